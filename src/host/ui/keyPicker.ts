import type { KeyMetadata } from '@aws-sdk/client-kms';
import type { Connection } from '../../core/aws/connection';
import type { KmsGateway } from '../../core/kms/gateway';
import { inertLabel } from '../../core/text/inertText';
import { keyChoices } from '../../core/tree/keyChoices';
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
  /** Key ids or key ARNs the data is under now (Re-encrypt): marked "current key". */
  readonly current?: readonly string[];
}

const DESCRIBE_CONCURRENCY = 8;

/**
 * A QuickPick of the connection's keys, each once with all its aliases, filtered by key metadata.
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
export async function pickKeys(
  ui: UserInput,
  gateway: KmsGateway,
  connection: Connection,
  options: KeyPickerOptions,
): Promise<PickedKey[]> {
  const picked = await pickKeysOrSops(ui, gateway, connection, options, false);
  if (picked === 'sops') throw new UserCancelledError();
  return picked;
}

/**
 * pickKeys for Encrypt File on a structured file: a last entry "As a SOPS file…" returns
 * 'sops' (the file is then encrypted as SOPS, its keys chosen in that flow).
 */
export async function pickKeysOrSops(
  ui: UserInput,
  gateway: KmsGateway,
  connection: Connection,
  options: KeyPickerOptions,
  offerSops: boolean,
): Promise<PickedKey[] | 'sops'> {
  const items = loadKeyItems(gateway, options);
  type Entry = PickItem<PickedKey | typeof SEVERAL | typeof SOPS>;
  const several: Entry = {
    label: '$(list-selection) Several keys…',
    description: 'any one of them decrypts',
    detail: 'For example a multi-Region key and its replica, or keys in two accounts',
    value: SEVERAL,
    group: 'more',
  };
  const sops: Entry = {
    label: '$(symbol-key) As a SOPS file…',
    description: 'values encrypted one by one, keys readable',
    detail: "A SOPS file of this file's type (YAML, JSON, dotenv, INI) that sops and KMS Workbench open",
    value: SOPS,
    group: 'more',
  };
  const more = offerSops ? [several, sops] : [several];
  const first = await ui.pick<PickedKey | typeof SEVERAL | typeof SOPS>(
    items.then((list) => [...list, ...more]),
    { title: `${options.title} (${connection.label})`, placeholder: 'Type to filter by alias, key id or description' },
  );
  if (first === SOPS) return 'sops';
  if (first !== SEVERAL) return [first];
  const chosen = await ui.pickMany(await items, {
    title: `${options.title}: several keys, any one decrypts (${connection.label})`,
    placeholder: 'Choose the keys; the first chosen makes the data key',
  });
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
  const metas = await mapLimit(
    keys.flatMap((k) => (k.KeyId ? [k.KeyId] : [])),
    DESCRIBE_CONCURRENCY,
    (id) => gateway.describeKey(id).catch(() => undefined),
  );
  const usable = metas.filter(
    (m): m is KeyMetadata => m !== undefined && (options.includeAwsManaged || m.KeyManager !== 'AWS') && (options.filter?.(m) ?? true),
  );
  const choices = keyChoices(usable, aliasesByKey, { recent: options.recent, current: options.current });
  if (choices.length === 0) throw new Error(options.emptyMessage ?? 'No keys to choose from in this connection.');
  const firstOther = choices.findIndex((c) => c.recentRank === Number.POSITIVE_INFINITY);
  return choices.map((c, index) => ({
    // Aliases and descriptions come from the server: quick picks render $(icon) syntax, so it is escaped.
    label: c.current ? `$(check) ${inertLabel(c.label)}` : inertLabel(c.label),
    description:
      [c.current ? 'current key' : undefined, c.description ? inertLabel(c.description) : undefined].filter(Boolean).join(' · ') ||
      undefined,
    detail: inertLabel(c.detail),
    value: { ref: c.ref, keyId: c.keyId, alias: c.alias, metadata: c.metadata },
    group:
      firstOther > 0 ? (c.recentRank < Number.POSITIVE_INFINITY ? 'recently used' : index === firstOther ? 'keys' : undefined) : undefined,
  }));
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
