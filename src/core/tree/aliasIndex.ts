import type { AliasListEntry } from '@aws-sdk/client-kms';

/** Aliases under `alias/aws/` belong to AWS managed keys (KMS reserves the prefix). */
export const AWS_ALIAS_PREFIX = 'alias/aws/';

/** The name people read: `alias/payments/api` is shown as `payments/api`. */
export function shortAliasName(aliasName: string): string {
  return aliasName.startsWith('alias/') ? aliasName.slice('alias/'.length) : aliasName;
}

export function isAwsAlias(aliasName: string): boolean {
  return aliasName.startsWith(AWS_ALIAS_PREFIX);
}

/**
 * Every alias of a region, indexed by the key it points at. The tree names keys with it
 * (a key's label is its first alias) and tells AWS managed keys from customer managed
 * ones without describing them: an AWS managed key always has an `alias/aws/…` alias,
 * and no customer managed key can have one.
 */
export class AliasIndex {
  /** Every alias, sorted by name. */
  readonly entries: readonly AliasListEntry[];
  private readonly byKey = new Map<string, string[]>();
  private readonly byName = new Map<string, AliasListEntry>();

  constructor(entries: readonly AliasListEntry[]) {
    this.entries = [...entries].filter((e) => e.AliasName).sort((a, b) => compareNames(a.AliasName ?? '', b.AliasName ?? ''));
    for (const entry of this.entries) {
      const name = entry.AliasName ?? '';
      this.byName.set(name, entry);
      if (!entry.TargetKeyId) continue;
      const list = this.byKey.get(entry.TargetKeyId) ?? [];
      list.push(name);
      this.byKey.set(entry.TargetKeyId, list);
    }
  }

  get size(): number {
    return this.entries.length;
  }

  /** The key's aliases, sorted by name (full names, `alias/…`). */
  aliasesOf(keyId: string): readonly string[] {
    return this.byKey.get(keyId) ?? [];
  }

  /** The alias the tree names the key by: the first by name. */
  firstAlias(keyId: string): string | undefined {
    return this.byKey.get(keyId)?.[0];
  }

  /** Whether the key is known to be AWS managed (it has an `alias/aws/…` alias). */
  isAwsManaged(keyId: string): boolean {
    return (this.byKey.get(keyId) ?? []).some(isAwsAlias);
  }

  /** AWS managed keys that exist (their alias points at a key), sorted by alias. */
  awsManagedKeys(): { keyId: string; aliasName: string }[] {
    const out: { keyId: string; aliasName: string }[] = [];
    const seen = new Set<string>();
    for (const entry of this.entries) {
      const name = entry.AliasName ?? '';
      if (!isAwsAlias(name) || !entry.TargetKeyId || seen.has(entry.TargetKeyId)) continue;
      seen.add(entry.TargetKeyId);
      out.push({ keyId: entry.TargetKeyId, aliasName: name });
    }
    return out;
  }

  find(aliasName: string): AliasListEntry | undefined {
    return this.byName.get(aliasName);
  }

  /**
   * The index after a ListAliases for one key: that key's aliases replaced by `fresh`, and
   * any of them that pointed elsewhere before (an alias moved) taken from the other key.
   */
  withKeyAliases(keyId: string, fresh: readonly AliasListEntry[]): AliasIndex {
    const names = new Set(fresh.map((e) => e.AliasName));
    const kept = this.entries.filter((e) => e.TargetKeyId !== keyId && !names.has(e.AliasName));
    return new AliasIndex([...kept, ...fresh.filter((e) => e.TargetKeyId === keyId || e.TargetKeyId === undefined)]);
  }
}

/** Case-insensitive, then by code point, so the order is stable across locales. */
export function compareNames(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
