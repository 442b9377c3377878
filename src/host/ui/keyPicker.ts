import type { KeyMetadata } from '@aws-sdk/client-kms';
import type { Connection } from '../../core/aws/connection';
import type { KmsGateway } from '../../core/kms/gateway';
import { inertLabel } from '../../core/text/inertText';
import { type PickItem, UserCancelledError, type UserInput } from './userInput';

export interface PickedKey {
  /** The alias name when one was picked, else the key id. What the person chose. */
  readonly ref: string;
  readonly keyId: string;
  readonly alias?: string;
  readonly metadata: KeyMetadata;
}

export interface KeyPickerOptions {
  readonly title: string;
  /** Keeps only keys this accepts (DescribeKey metadata). */
  readonly filter?: (metadata: KeyMetadata) => boolean;
  /** Key ids or alias names picked before, listed first in this order. */
  readonly recent?: readonly string[];
  /** Words for an empty list, e.g. "No enabled symmetric keys". */
  readonly emptyMessage?: string;
  readonly includeAwsManaged?: boolean;
}

const DESCRIBE_CONCURRENCY = 8;

/**
 * A QuickPick of the connection's keys, each under its aliases, filtered by key metadata.
 * Lists aliases and keys, then describes the keys (at most 8 calls in flight).
 */
export async function pickKey(ui: UserInput, gateway: KmsGateway, connection: Connection, options: KeyPickerOptions): Promise<PickedKey> {
  const items = loadKeyItems(gateway, options);
  return ui.pick(items, { title: `${options.title} (${connection.label})`, placeholder: 'Type to filter by alias, key id or description' });
}

/** What "Several keys…" and "As a SOPS file…" return from the first list. */
const SEVERAL = Symbol('several keys');
const SOPS = Symbol('sops');

/**
 * The key picker with one more entry, "Several keys…": picking a key returns it alone;
 * "Several keys…" opens a multi-select of the same keys (any one of those chosen decrypts;
 * the first chosen makes the data key).
 */
export async function pickKeys(ui: UserInput, gateway: KmsGateway, connection: Connection, options: KeyPickerOptions): Promise<PickedKey[]> {
  const picked = await pickKeysOrSops(ui, gateway, connection, options, false);
  if (picked === 'sops') throw new UserCancelledError();
  return picked;
}

/**
 * pickKeys for Encrypt File on a structured file: a last entry "As a SOPS file…" returns
 * 'sops' (the file is then encrypted as SOPS, its keys chosen in that flow).
 */
export async function pickKeysOrSops(ui: UserInput, gateway: KmsGateway, connection: Connection, options: KeyPickerOptions, offerSops: boolean): Promise<PickedKey[] | 'sops'> {
  const items = loadKeyItems(gateway, options);
  type Entry = PickItem<PickedKey | typeof SEVERAL | typeof SOPS>;
  const several: Entry = { label: '$(list-selection) Several keys…', description: 'any one of them decrypts', detail: 'For example a multi-Region key and its replica, or keys in two accounts', value: SEVERAL, group: 'more' };
  const sops: Entry = { label: '$(symbol-key) As a SOPS file…', description: 'values encrypted one by one, keys readable', detail: "A SOPS file of this file's type (YAML, JSON, dotenv, INI) that sops and KMS Workbench open", value: SOPS, group: 'more' };
  const more = offerSops ? [several, sops] : [several];
  const first = await ui.pick<PickedKey | typeof SEVERAL | typeof SOPS>(
    items.then((list) => [...list, ...more]),
    { title: `${options.title} (${connection.label})`, placeholder: 'Type to filter by alias, key id or description' },
  );
  if (first === SOPS) return 'sops';
  if (first !== SEVERAL) return [first];
  const chosen = await ui.pickMany(await items, { title: `${options.title}: several keys, any one decrypts (${connection.label})`, placeholder: 'Choose the keys; the first chosen makes the data key' });
  if (chosen.length === 0) throw new UserCancelledError();
  const seen = new Set<string>();
  return chosen.filter((k) => !seen.has(k.keyId) && seen.add(k.keyId));
}

async function loadKeyItems(gateway: KmsGateway, options: KeyPickerOptions): Promise<PickItem<PickedKey>[]> {
  const [keys, aliases] = await Promise.all([collectAll(gateway.listKeys(1000)), collectAll(gateway.listAliases())]);
  const aliasesByKey = new Map<string, string[]>();
  for (const a of aliases) {
    if (!a.TargetKeyId || !a.AliasName) continue;
    const list = aliasesByKey.get(a.TargetKeyId) ?? [];
    list.push(a.AliasName);
    aliasesByKey.set(a.TargetKeyId, list);
  }
  const metas = await mapLimit(keys.flatMap((k) => (k.KeyId ? [k.KeyId] : [])), DESCRIBE_CONCURRENCY, (id) => gateway.describeKey(id).catch(() => undefined));
  const usable = metas.filter((m): m is KeyMetadata => m !== undefined && (options.includeAwsManaged || m.KeyManager !== 'AWS') && (options.filter?.(m) ?? true));
  const recent = options.recent ?? [];
  const items: (PickItem<PickedKey> & { rank: number })[] = [];
  for (const meta of usable) {
    const keyId = meta.KeyId ?? '';
    const keyAliases = (aliasesByKey.get(keyId) ?? []).sort();
    const detail = [meta.KeySpec ?? meta.CustomerMasterKeySpec, meta.KeyState, meta.Description].filter(Boolean).join(' · ');
    const entries = keyAliases.length ? keyAliases.map((alias) => ({ ref: alias, alias })) : [{ ref: keyId, alias: undefined }];
    for (const { ref, alias } of entries) {
      const rank = Math.min(...[recent.indexOf(ref), recent.indexOf(keyId)].map((i) => (i < 0 ? Number.MAX_SAFE_INTEGER : i)));
      // Aliases and descriptions come from the server: quick picks render $(icon) syntax, so it is escaped.
      items.push({ label: inertLabel(alias ?? keyId), description: alias ? inertLabel(keyId) : undefined, detail: inertLabel(detail), value: { ref, keyId, alias, metadata: meta }, rank });
    }
  }
  items.sort((a, b) => a.rank - b.rank || a.label.localeCompare(b.label));
  if (items.length === 0) throw new Error(options.emptyMessage ?? 'No keys to choose from in this connection.');
  const firstOther = items.findIndex((i) => i.rank === Number.MAX_SAFE_INTEGER);
  return items.map(({ rank, ...item }, index) => ({ ...item, group: firstOther > 0 ? (rank < Number.MAX_SAFE_INTEGER ? 'recently used' : index === firstOther ? 'keys' : undefined) : undefined }));
}

async function collectAll<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Maps with at most `limit` promises in flight, keeping order. After a failure nothing new starts (those in flight finish). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  });
  await Promise.all(workers);
  return results;
}
