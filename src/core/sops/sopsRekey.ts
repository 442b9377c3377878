// Re-keying a SOPS file without the sops binary: updatekeys for KMS keys (the data key wrapped
// for keys added, entries dropped for keys removed) and rotate (a new data key for every value).
import { randomBytes } from 'node:crypto';
import { field, text as scalarText, kmsEntryTree, rfc3339, setField } from './metadata';
import {
  cloneTree,
  decryptSops,
  decryptWithKey,
  encryptTrees,
  type NewKmsKey,
  openDataKey,
  type SopsDocument,
  type SopsKeyService,
  withMac,
} from './sopsFile';
import { emitEncrypted } from './sopsStores';
import { isBranch, isList, SopsError, type SopsBranch, type SopsList } from './tree';

function kmsListOf(doc: SopsDocument): { list: SopsList; holder: SopsBranch } {
  if (doc.metadata.usesKeyGroups) {
    if (doc.metadata.groups.length > 1)
      throw new SopsError(
        'SopsUnsupported',
        'This SOPS file splits its data key over several key groups (Shamir): add or remove its keys with sops updatekeys.',
      );
    const groups = field(doc.metadataTree, 'key_groups') as SopsList;
    const g = groups.find(isBranch)!;
    const found = field(g, 'kms');
    const list: SopsList = isList(found) ? found : [];
    if (!isList(found)) setField(g, 'kms', list);
    return { list, holder: g };
  }
  const found = field(doc.metadataTree, 'kms');
  const list: SopsList = isList(found) ? found : [];
  if (!isList(found)) setField(doc.metadataTree, 'kms', list);
  return { list, holder: doc.metadataTree };
}

function sameKey(a: string, b: string): boolean {
  return a === b;
}

export interface UpdateKeysResult {
  readonly text: string;
  readonly added: string[];
  readonly removed: string[];
}

/**
 * sops updatekeys for KMS keys: the data key is wrapped for `add` and the entries of `remove`
 * are dropped; every other master key entry and every value stays as it is.
 */
export async function updateKmsKeys(
  doc: SopsDocument,
  change: { add?: readonly NewKmsKey[]; remove?: readonly string[] },
  keys: SopsKeyService,
  signal?: AbortSignal,
  now = new Date(),
): Promise<UpdateKeysResult> {
  const copy: SopsDocument = { ...doc, metadataTree: cloneTree(doc.metadataTree) };
  const { list, holder } = kmsListOf(copy);
  const current = list.filter(isBranch).map((b) => scalarText(field(b, 'arn')) ?? '');
  const remove = new Set(change.remove ?? []);
  for (const r of remove)
    if (!current.some((c) => sameKey(c, r)))
      throw new SopsError('SopsRule', `The SOPS file has no KMS key ${r}. Its KMS keys: ${current.join(', ') || 'none'}.`);
  const add = (change.add ?? []).filter((k) => !current.some((c) => sameKey(c, k.arn) && !remove.has(c)));
  const remaining = list.filter((e) => !(isBranch(e) && remove.has(scalarText(field(e, 'arn')) ?? '')));
  const othersLeft = doc.metadata.groups.some((g) => g.others.length > 0);
  if (remaining.filter(isBranch).length + add.length === 0 && !othersLeft)
    throw new SopsError(
      'SopsRule',
      'Removing these keys would leave the file with no master key at all, so nobody could open it again. Add another key first.',
    );
  const added: string[] = [];
  if (add.length > 0) {
    const { dataKey } = await openDataKey(doc, keys, signal);
    try {
      decryptWithKey(doc, dataKey); // never re-wrap the key of a file that does not verify
      const createdAt = rfc3339(now);
      for (const k of add) {
        signal?.throwIfAborted();
        const blob = await keys.encryptDataKey(k, dataKey, signal);
        remaining.push(kmsEntryTree({ ...k, enc: Buffer.from(blob).toString('base64'), createdAt }));
        added.push(k.arn);
      }
    } finally {
      dataKey.fill(0);
    }
  }
  setField(holder, 'kms', remaining);
  const flatOrder = add.length || remove.size ? undefined : doc.flatOrder;
  return { text: emitEncrypted(doc.format, doc.branches, copy.metadataTree, flatOrder), added, removed: [...remove] };
}

/** sops rotate: a new data key, every value re-encrypted, every KMS entry re-wrapped. */
export async function rotateDataKey(doc: SopsDocument, keys: SopsKeyService, signal?: AbortSignal, now = new Date()): Promise<string> {
  const others = doc.metadata.groups.flatMap((g) => g.others);
  if (others.length > 0)
    throw new SopsError(
      'SopsUnsupported',
      `This SOPS file is also encrypted for ${others.map((o) => `${o.type} ${o.id}`).join(', ')}, which ` +
        'KMS Workbench cannot re-wrap a new data key for. Rotate it with sops (sops rotate -i).',
    );
  if (doc.metadata.groups.length > 1)
    throw new SopsError('SopsUnsupported', 'This SOPS file splits its data key over several key groups (Shamir): rotate it with sops.');
  const decrypted = await decryptSops(doc, keys, signal);
  const newKey = randomBytes(32);
  try {
    const copy = cloneTree(doc.metadataTree);
    const { list, holder } = kmsListOf({ ...doc, metadataTree: copy });
    const createdAt = rfc3339(now);
    const entries: SopsBranch[] = [];
    for (const e of list.filter(isBranch)) {
      signal?.throwIfAborted();
      const k = doc.metadata.groups[0].kms.find((x) => x.arn === field(e, 'arn'))!;
      const blob = await keys.encryptDataKey(k, newKey, signal);
      const entry = cloneTree(e);
      setField(entry, 'enc', Buffer.from(blob).toString('base64'));
      setField(entry, 'created_at', createdAt);
      entries.push(entry);
    }
    setField(holder, 'kms', entries);
    const { branches, mac } = encryptTrees(doc.format, decrypted.plain, doc.metadata, newKey);
    const metadataTree = withMac(copy, mac, newKey, now);
    return emitEncrypted(doc.format, branches, metadataTree, doc.flatOrder);
  } finally {
    newKey.fill(0);
    decrypted.dataKey.fill(0);
  }
}
