import type { KeyMetadata } from '@aws-sdk/client-kms';

/**
 * Actions on a key, and the one place that knows which key states, key managers and key
 * types allow each (the key-state table of the KMS developer guide). The tree turns the
 * allowed ones into `can-<action>` context-value tokens for package.json menus, and
 * commands call explainRefusal() to refuse early with a sentence naming what would make
 * the action possible.
 */
export const KEY_ACTIONS = [
  'encrypt',
  'decrypt',
  'generateDataKey',
  'generateDataKeyPair',
  'sign',
  'verify',
  'getPublicKey',
  'generateMac',
  'verifyMac',
  'enable',
  'disable',
  'scheduleDeletion',
  'cancelDeletion',
  'updateDescription',
  'tag',
  'createAlias',
  'createGrant',
  'editPolicy',
  'viewRotation',
  'changeRotation',
  'rotateNow',
  'replicate',
  'updatePrimaryRegion',
  'importKeyMaterial',
  'deleteImportedKeyMaterial',
  'deriveSharedSecret',
  'encapsulate',
  'decapsulate',
] as const;

export type KeyAction = (typeof KEY_ACTIONS)[number];

type Meta = Pick<KeyMetadata, 'KeyState' | 'KeyManager' | 'KeyUsage' | 'KeySpec' | 'Origin' | 'MultiRegion' | 'MultiRegionConfiguration'> &
  Partial<Pick<KeyMetadata, 'CustomerMasterKeySpec' | 'EncryptionAlgorithms'>>;

type SpecAndUsage = Partial<Pick<KeyMetadata, 'KeySpec' | 'KeyUsage' | 'CustomerMasterKeySpec' | 'EncryptionAlgorithms'>>;

/**
 * Key metadata as KMS itself sends it. moto (and LocalStack, built on it) describes a key made
 * by a plain CreateKey with no `KeyUsage`, and older moto with `CustomerMasterKeySpec` only (no
 * `KeySpec`). A SYMMETRIC_DEFAULT key can have no usage but ENCRYPT_DECRYPT, and an HMAC key
 * none but GENERATE_VERIFY_MAC, so a missing usage of those is filled in; the spec comes from
 * CustomerMasterKeySpec, else from the encryption algorithms (SYMMETRIC_DEFAULT is only a
 * symmetric key's). Anything else is left as sent.
 */
export function normalizeKeyMetadata<T extends SpecAndUsage>(meta: T): T {
  const spec =
    meta.KeySpec ??
    meta.CustomerMasterKeySpec ??
    (meta.EncryptionAlgorithms?.includes('SYMMETRIC_DEFAULT') ? 'SYMMETRIC_DEFAULT' : undefined);
  const usage =
    meta.KeyUsage ?? (spec === 'SYMMETRIC_DEFAULT' ? 'ENCRYPT_DECRYPT' : spec?.startsWith('HMAC_') ? 'GENERATE_VERIFY_MAC' : undefined);
  if (spec === meta.KeySpec && usage === meta.KeyUsage) return meta;
  return { ...meta, KeySpec: spec, KeyUsage: usage };
}

const PENDING_DELETION = new Set(['PendingDeletion', 'PendingReplicaDeletion']);

/** Why `action` is not possible on this key, or undefined when it is. */
export function explainRefusal(sent: Meta, action: KeyAction): string | undefined {
  const meta = normalizeKeyMetadata(sent);
  const state = meta.KeyState ?? 'Unknown';
  const customer = meta.KeyManager !== 'AWS';
  const symmetric = meta.KeySpec === 'SYMMETRIC_DEFAULT';
  const usage = meta.KeyUsage;
  const pendingDeletion = PENDING_DELETION.has(state);
  const role = meta.MultiRegionConfiguration?.MultiRegionKeyType;

  const needCustomer = (): string | undefined =>
    customer ? undefined : 'This is an AWS managed key: AWS manages it, so it cannot be changed.';
  const needEnabledFor = (what: string): string | undefined => {
    if (state === 'Enabled') return undefined;
    return `The key is ${describeState(state)}, so it cannot be used to ${what}. ${fixForState(state)}`.trim();
  };
  const needUsage = (wanted: string, what: string): string | undefined =>
    usage === wanted ? undefined : `This key's usage is ${usage ?? 'unknown'}; ${what} needs a key with usage ${wanted}.`;
  const notPendingDeletion = (what: string): string | undefined =>
    pendingDeletion ? `The key is ${describeState(state)}, so you cannot ${what}. Cancel the key deletion first.` : undefined;
  const first = (...checks: (() => string | undefined)[]): string | undefined => {
    for (const check of checks) {
      const r = check();
      if (r) return r;
    }
    return undefined;
  };

  switch (action) {
    case 'encrypt':
    case 'decrypt':
      return first(
        () => needUsage('ENCRYPT_DECRYPT', action === 'encrypt' ? 'encryption' : 'decryption'),
        () => needEnabledFor(action),
      );
    case 'generateDataKey':
    case 'generateDataKeyPair':
      return first(
        () =>
          symmetric && usage === 'ENCRYPT_DECRYPT'
            ? undefined
            : 'Data keys need a symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT).',
        () => needEnabledFor('generate data keys'),
      );
    case 'sign':
    case 'verify':
      return first(
        () => needUsage('SIGN_VERIFY', action === 'sign' ? 'signing' : 'verifying'),
        () => needEnabledFor(action),
      );
    case 'getPublicKey':
      return first(
        () => (symmetric || usage === 'GENERATE_VERIFY_MAC' ? 'Only asymmetric keys have a public key.' : undefined),
        () => needEnabledFor('get its public key'),
      );
    case 'generateMac':
    case 'verifyMac':
      return first(
        () => needUsage('GENERATE_VERIFY_MAC', 'MACs'),
        () => needEnabledFor(action === 'generateMac' ? 'generate MACs' : 'verify MACs'),
      );
    case 'enable':
      return first(needCustomer, () =>
        state === 'Disabled'
          ? undefined
          : state === 'Enabled'
            ? 'The key is already enabled.'
            : `The key is ${describeState(state)}; only a disabled key can be enabled. ${fixForState(state)}`.trim(),
      );
    case 'disable':
      return first(needCustomer, () =>
        state === 'Enabled'
          ? undefined
          : state === 'Disabled'
            ? 'The key is already disabled.'
            : `The key is ${describeState(state)}; only an enabled key can be disabled.`,
      );
    case 'scheduleDeletion':
      return first(needCustomer, () =>
        pendingDeletion
          ? `The key is already ${describeState(state)}.`
          : ['Enabled', 'Disabled', 'PendingImport', 'Unavailable'].includes(state)
            ? undefined
            : `The key is ${describeState(state)}; wait until it is ready.`,
      );
    case 'cancelDeletion':
      return first(needCustomer, () => (pendingDeletion ? undefined : 'The key is not pending deletion.'));
    case 'updateDescription':
      return first(needCustomer, () => notPendingDeletion('change its description'));
    case 'tag':
      return first(needCustomer, () => notPendingDeletion('tag it'));
    case 'createAlias':
      return first(needCustomer, () => notPendingDeletion('give it an alias'));
    case 'createGrant':
      return first(needCustomer, () =>
        state === 'Enabled' ? undefined : `The key is ${describeState(state)}, so no grant can be created. ${fixForState(state)}`.trim(),
      );
    case 'editPolicy':
      return needCustomer();
    case 'viewRotation':
      return symmetric ? undefined : 'Only symmetric encryption keys rotate automatically.';
    case 'changeRotation':
    case 'rotateNow':
      return first(
        needCustomer,
        () => (symmetric && usage === 'ENCRYPT_DECRYPT' ? undefined : 'Rotation is only for symmetric encryption keys.'),
        () =>
          meta.Origin === undefined || meta.Origin === 'AWS_KMS'
            ? undefined
            : `Keys with ${meta.Origin} key material cannot rotate in KMS.`,
        () => (role === 'REPLICA' ? 'Rotation of a multi-Region key is set on its primary key.' : undefined),
        () => needEnabledFor(action === 'rotateNow' ? 'rotate now' : 'change rotation'),
      );
    case 'replicate':
    case 'updatePrimaryRegion':
      return first(
        needCustomer,
        () => (meta.MultiRegion ? undefined : 'Only multi-Region keys can be replicated; this key is single-Region.'),
        () => (role === 'PRIMARY' ? undefined : 'This is a replica key: act on its primary key.'),
        () => (state === 'Enabled' || state === 'Disabled' ? undefined : `The key is ${describeState(state)}.`),
      );
    case 'importKeyMaterial':
      return first(
        needCustomer,
        () =>
          meta.Origin === 'EXTERNAL'
            ? undefined
            : `Key material can be imported only into keys created with origin EXTERNAL; this key's material comes from ${meta.Origin ?? 'AWS_KMS'}.`,
        () =>
          ['PendingImport', 'Enabled', 'Disabled'].includes(state)
            ? undefined
            : `The key is ${describeState(state)}, so no key material can be imported. ${fixForState(state)}`.trim(),
      );
    case 'deleteImportedKeyMaterial':
      return first(
        needCustomer,
        () =>
          meta.Origin === 'EXTERNAL'
            ? undefined
            : 'Only keys with imported key material (origin EXTERNAL) have material that can be deleted.',
        () =>
          state === 'Enabled' || state === 'Disabled'
            ? undefined
            : state === 'PendingImport'
              ? 'The key has no key material to delete (it is waiting for an import).'
              : `The key is ${describeState(state)}.`,
      );
    case 'deriveSharedSecret':
      return first(
        () => needUsage('KEY_AGREEMENT', 'DeriveSharedSecret (ECDH)'),
        () => needEnabledFor('derive a shared secret'),
      );
    case 'encapsulate':
    case 'decapsulate':
      return first(
        () => needUsage('ENCAPSULATE_DECAPSULATE', action === 'encapsulate' ? 'Encapsulate (ML-KEM)' : 'Decapsulate (ML-KEM)'),
        () => needEnabledFor(action === 'encapsulate' ? 'encapsulate a shared secret' : 'decapsulate a shared secret'),
      );
    default: {
      const never: never = action;
      return `Unknown action ${String(never)}`;
    }
  }
}

export function allowedActions(meta: Meta): KeyAction[] {
  return KEY_ACTIONS.filter((a) => explainRefusal(meta, a) === undefined);
}

export function describeState(state: string): string {
  switch (state) {
    case 'PendingDeletion':
      return 'pending deletion';
    case 'PendingReplicaDeletion':
      return 'pending replica deletion';
    case 'PendingImport':
      return 'waiting for imported key material (pending import)';
    case 'Unavailable':
      return 'unavailable (its custom key store is disconnected)';
    default:
      return state.toLowerCase();
  }
}

function fixForState(state: string): string {
  switch (state) {
    case 'Disabled':
      return 'Enable the key first.';
    case 'PendingDeletion':
    case 'PendingReplicaDeletion':
      return 'Cancel the key deletion, then enable the key.';
    case 'PendingImport':
      return 'Import its key material first.';
    case 'Unavailable':
      return 'Connect its custom key store first.';
    case 'Creating':
    case 'Updating':
      return 'Wait a moment and try again.';
    default:
      return '';
  }
}
