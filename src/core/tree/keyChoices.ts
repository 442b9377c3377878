import type { KeyMetadata } from '@aws-sdk/client-kms';
import { shortAliasName } from './aliasIndex';
import { shortKeySpec, stateLabel } from './keyPresentation';

/**
 * The entries of a key picker, as plain data: each key once, named by one alias (the one used
 * last, else the first by name) with its other aliases beside it, its key id, and whether it is
 * a key the data is under now (Re-encrypt marks it).
 */
export interface KeyChoice {
  readonly keyId: string;
  /** What picking the entry chooses: the alias it is named by, else the key id. */
  readonly ref: string;
  readonly alias?: string;
  /** Every alias of the key (full names, sorted). */
  readonly aliases: readonly string[];
  readonly metadata: KeyMetadata;
  /** Position in the recently used list (Infinity when not recently used). */
  readonly recentRank: number;
  /** One of `current`: a key the data is encrypted under now. */
  readonly current: boolean;
  /** The label: the alias it is named by, else the key id. */
  readonly label: string;
  /** "also payments/legacy, payments/v1 · 1234abcd-…": the other aliases, then the key id. */
  readonly description: string;
  /** "Enabled · symmetric · the description". */
  readonly detail: string;
}

/**
 * One choice per key. `recent`: key ids or alias names picked before, most recent first (a key
 * is named by the alias picked last). `current`: key ids or key ARNs the data is under now.
 * Sorted: recently used first, then keys with an alias by alias, then the rest by key id
 * (as the tree does); current keys are not moved, only marked.
 */
export function keyChoices(
  metadata: readonly KeyMetadata[],
  aliasesByKey: ReadonlyMap<string, readonly string[]>,
  options: { readonly recent?: readonly string[]; readonly current?: readonly string[] } = {},
): KeyChoice[] {
  const recent = options.recent ?? [];
  const current = options.current ?? [];
  const seen = new Set<string>();
  const choices: KeyChoice[] = [];
  for (const meta of metadata) {
    const keyId = meta.KeyId ?? '';
    if (!keyId || seen.has(keyId)) continue;
    seen.add(keyId);
    const aliases = [...(aliasesByKey.get(keyId) ?? [])].sort();
    const rankOf = (ref: string): number => {
      const i = recent.indexOf(ref);
      return i < 0 ? Number.POSITIVE_INFINITY : i;
    };
    const recentRank = Math.min(rankOf(keyId), ...(meta.Arn ? [rankOf(meta.Arn)] : []), ...aliases.map(rankOf));
    // Named by the alias picked last, else the first alias by name.
    const alias = [...aliases].sort((a, b) => rankOf(a) - rankOf(b))[0];
    const others = aliases.filter((a) => a !== alias).map(shortAliasName);
    const description = [others.length ? `also ${others.join(', ')}` : undefined, alias ? keyId : undefined].filter(Boolean).join(' · ');
    const detail = [stateLabel(meta), shortKeySpec(meta.KeySpec ?? meta.CustomerMasterKeySpec), meta.Description]
      .filter(Boolean)
      .join(' · ');
    choices.push({
      keyId,
      ref: alias ?? keyId,
      alias,
      aliases,
      metadata: meta,
      recentRank,
      current: current.some((ref) => isSameKey(ref, keyId, meta.Arn)),
      label: alias ?? keyId,
      description,
      detail,
    });
  }
  return choices.sort((a, b) => a.recentRank - b.recentRank || Number(!a.alias) - Number(!b.alias) || a.label.localeCompare(b.label));
}

/** Whether a key id or key ARN names the key `keyId` (ARN `arn`). */
export function isSameKey(ref: string, keyId: string, arn?: string): boolean {
  return ref === keyId || (arn !== undefined && ref === arn) || ref.endsWith(`:key/${keyId}`);
}
