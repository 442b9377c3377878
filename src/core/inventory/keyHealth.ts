// Whether a file can still be opened, from what is known of its keys: their state (from the
// user's connections, never asked of a connection the user has not approved), their account
// (trusted or not), or that no connection knows them at all.
import type { InventoryEntry } from './classify';
import { parseKeyRef, UNNAMED_KEY } from './keyRefs';

/** What the user's connections say about a key. */
export interface KnownKey {
  readonly keyId: string;
  readonly arn?: string;
  /** KeyState as DescribeKey reports it (Enabled, Disabled, PendingDeletion, …). */
  readonly state?: string;
  readonly deletionDate?: Date;
  readonly aliases?: readonly string[];
  /** Id and label of the connection that knows the key. */
  readonly connectionId: string;
  readonly connectionLabel?: string;
}

export type KeyProblemKind = 'disabled' | 'pendingDeletion' | 'pendingImport' | 'unavailable' | 'untrustedAccount' | 'unknownKey';
export type KeyFix = 'enableKey' | 'cancelKeyDeletion' | 'reKey';

export interface KeyProblem {
  readonly kind: KeyProblemKind;
  readonly keyRef: string;
  readonly known?: KnownKey;
  /** Whether another key of the file is fine (a SOPS file or message with several keys). */
  readonly fileStillOpens: boolean;
  readonly message: string;
  readonly fixes: readonly KeyFix[];
}

export interface KeyLookup {
  /** What a connection knows about the key, or undefined when none does. */
  known(ref: string): KnownKey | undefined;
  /** Whether the key's account is trusted (the lead may swap in the account-trust module). */
  trusted(ref: string, known: KnownKey | undefined): boolean;
}

interface Verdict {
  readonly kind?: KeyProblemKind;
  readonly known?: KnownKey;
}

function verdictOf(ref: string, lookup: KeyLookup): Verdict {
  const known = lookup.known(ref);
  if (!lookup.trusted(ref, known)) return { kind: 'untrustedAccount', known };
  if (!known) return { kind: 'unknownKey' };
  switch (known.state) {
    case 'Disabled':
      return { kind: 'disabled', known };
    case 'PendingDeletion':
    case 'PendingReplicaDeletion':
      return { kind: 'pendingDeletion', known };
    case 'PendingImport':
      return { kind: 'pendingImport', known };
    case 'Unavailable':
      return { kind: 'unavailable', known };
    default:
      return { known };
  }
}

/** Problems of one encrypted file's keys (empty: every key it names is usable as far as known). */
export function keyProblems(entry: InventoryEntry, lookup: KeyLookup): KeyProblem[] {
  const refs = entry.keyRefs.filter((r) => r !== UNNAMED_KEY);
  const verdicts = refs.map((ref) => ({ ref, ...verdictOf(ref, lookup) }));
  const anyFine = verdicts.some((v) => v.kind === undefined);
  return verdicts
    .filter((v): v is typeof v & { kind: KeyProblemKind } => v.kind !== undefined)
    .map((v) => ({
      kind: v.kind,
      keyRef: v.ref,
      known: v.known,
      fileStillOpens: anyFine,
      message: problemMessage(v.kind, v.ref, v.known, anyFine),
      fixes: fixesFor(v.kind),
    }));
}

function fixesFor(kind: KeyProblemKind): KeyFix[] {
  switch (kind) {
    case 'disabled':
      return ['enableKey', 'reKey'];
    case 'pendingDeletion':
      return ['cancelKeyDeletion', 'reKey'];
    default:
      return ['reKey'];
  }
}

/** "alias/app (1234abcd-…)" or the ARN/id as the file names it. */
export function keyLabel(ref: string, known?: KnownKey): string {
  const alias = known?.aliases?.[0];
  const id = parseKeyRef(ref).keyId;
  return alias ? `${alias} (${id})` : ref;
}

function problemMessage(kind: KeyProblemKind, ref: string, known: KnownKey | undefined, stillOpens: boolean): string {
  const key = `KMS key ${keyLabel(ref, known)}`;
  const tail = stillOpens ? ' The file still opens with another of its keys.' : ' Nobody can open this file until that changes.';
  switch (kind) {
    case 'disabled':
      return `This file is encrypted under ${key}, which is disabled.${tail} Enable the key, or re-key the file.`;
    case 'pendingDeletion': {
      const when = known?.deletionDate ? ` on ${known.deletionDate.toISOString().slice(0, 10)}` : '';
      return (
        `This file is encrypted under ${key}, which is scheduled for deletion${when}; ` +
        `after that the file can never be opened again.${stillOpens ? ' It would still open with another of its keys.' : ''} ` +
        'Cancel the deletion, or re-key the file.'
      );
    }
    case 'pendingImport':
      return `This file is encrypted under ${key}, whose key material is not imported (PendingImport).${tail} Import the key material, or re-key the file.`;
    case 'unavailable':
      return (
        `This file is encrypted under ${key}, which is unavailable (its custom key store is ` +
        `disconnected).${tail} Reconnect the key store, or re-key the file.`
      );
    case 'untrustedAccount': {
      const account = parseKeyRef(ref).account ?? 'an unknown account';
      return (
        `This file is encrypted under ${key} in account ${account}, which you do not trust: ` +
        'KMS Workbench will not use that key. Trust the account in your settings if it is yours, or re-key the file.'
      );
    }
    case 'unknownKey':
      return (
        `This file is encrypted under ${key}, which none of your connections knows (another account or ` +
        `region, or a deleted key).${stillOpens ? ' The file still opens with another of its keys.' : ''} ` +
        'Add a connection that can see it, or re-key the file.'
      );
  }
}
