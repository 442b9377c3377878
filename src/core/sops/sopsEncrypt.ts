// SOPS encryption: save an edit re-encrypting only what changed (unchanged values keep their
// ciphertext), and encrypt a new file under a fresh data key wrapped by each KMS key.
import { randomBytes } from 'node:crypto';
import { encryptValue, pathAad } from './cipher';
import { kmsEntryTree, type PartialEncryption, rfc3339, setField } from './metadata';
import { branch, isBranch, isList, SopsComment, SopsError, type SopsBranch, type SopsValue } from './tree';
import { emitEncrypted, parsePlain } from './sopsStores';
import { goRegex, shouldEncrypt, walkBranch } from './sopsWalk';
import { type DecryptedSops, macBytes, macHash, reuseKey } from './sopsDecrypt';
import type { NewKmsKey, SopsFormat, SopsKeyService } from './sopsFile';

export function encryptTrees(
  format: SopsFormat,
  plain: readonly SopsBranch[],
  rules: PartialEncryption,
  dataKey: Buffer,
  reusable?: Map<string, string[]>,
): { branches: SopsBranch[]; mac: string; reused: number; fresh: number } {
  const hash = macHash(rules);
  let reused = 0;
  let fresh = 0;
  const pools = new Map<string, string[]>();
  if (reusable) for (const [k, v] of reusable) pools.set(k, [...v]);
  const branches = plain.map((b) =>
    walkBranch(b, [], (value, path, comments) => {
      const encrypted = shouldEncrypt(rules, path, comments);
      if (!(value instanceof SopsComment) && (!rules.macOnlyEncrypted || encrypted)) hash.update(macBytes(value));
      if (!encrypted) return value;
      if (typeof value === 'string' && value === '') return value;
      if (value instanceof Uint8Array && value.length === 0) return '';
      const aad = pathAad(path);
      const pool = pools.get(reuseKey(aad, value));
      const old = pool?.shift();
      if (old !== undefined) {
        reused++;
        return value instanceof SopsComment ? new SopsComment(old) : old;
      }
      fresh++;
      const enc = encryptValue(value, dataKey, aad, format === 'binary' && value instanceof Uint8Array ? 'str' : undefined);
      return value instanceof SopsComment ? new SopsComment(enc) : enc;
    }),
  );
  return { branches, mac: hash.digest('hex').toUpperCase(), reused, fresh };
}

export function cloneTree(b: SopsBranch): SopsBranch {
  return branch(b.map((i) => ({ key: i.key, value: cloneValue(i.value) })));
}
function cloneValue(v: SopsValue): SopsValue {
  if (isBranch(v)) return cloneTree(v);
  if (isList(v)) return v.map((x) => (x instanceof SopsComment ? x : cloneValue(x)));
  return v;
}

export function withMac(metadataTree: SopsBranch, mac: string, dataKey: Buffer, now: Date): SopsBranch {
  const tree = cloneTree(metadataTree);
  const lastModified = rfc3339(now);
  setField(tree, 'lastmodified', lastModified);
  setField(tree, 'mac', encryptValue(mac, dataKey, lastModified));
  return tree;
}

export interface SaveResult {
  readonly text: string;
  /** Values whose ciphertext was kept, and values encrypted anew. */
  readonly reused: number;
  readonly fresh: number;
}

/**
 * The file after an edit: `plaintext` (what the person saved) encrypted with the file's own data
 * key; values that did not change keep their ciphertext; metadata untouched but `lastmodified`
 * and `mac`.
 */
export function saveEdit(decrypted: DecryptedSops, plaintext: Buffer, now = new Date()): SaveResult {
  const doc = decrypted.document;
  const plain = parsePlain(doc.format, plaintext);
  const { branches, mac, reused, fresh } = encryptTrees(doc.format, plain, doc.metadata, decrypted.dataKey, decrypted.reusable);
  const metadataTree = withMac(doc.metadataTree, mac, decrypted.dataKey, now);
  return { text: emitEncrypted(doc.format, branches, metadataTree, doc.flatOrder), reused, fresh };
}

export interface NewSopsOptions extends PartialEncryption {
  readonly format: SopsFormat;
  readonly keys: readonly NewKmsKey[];
  /** Written as `version` (the sops version whose format this is). */
  readonly version?: string;
}

export const SOPS_FORMAT_VERSION = '3.8.1';

function emptyKeyList(format: SopsFormat): SopsValue {
  return format === 'json' || format === 'binary' ? null : [];
}

/** A new SOPS file: a random data key, wrapped by each KMS key (as sops does), every value encrypted. */
export async function encryptNew(
  plaintext: Buffer,
  options: NewSopsOptions,
  keys: SopsKeyService,
  signal?: AbortSignal,
  now = new Date(),
): Promise<string> {
  if (options.keys.length === 0) throw new SopsError('SopsRule', 'A SOPS file needs at least one KMS key.');
  const partialCount = [
    options.unencryptedSuffix,
    options.encryptedSuffix,
    options.unencryptedRegex,
    options.encryptedRegex,
    options.unencryptedCommentRegex,
    options.encryptedCommentRegex,
  ].filter(Boolean).length;
  if (partialCount > 1)
    throw new SopsError(
      'SopsRule',
      'Use only one of unencrypted_suffix, encrypted_suffix, unencrypted_regex, encrypted_regex, ' +
        'unencrypted_comment_regex and encrypted_comment_regex (sops refuses several).',
    );
  const rules: PartialEncryption =
    partialCount === 0 ? { unencryptedSuffix: '_unencrypted', macOnlyEncrypted: options.macOnlyEncrypted } : options;
  for (const r of [rules.unencryptedRegex, rules.encryptedRegex, rules.unencryptedCommentRegex, rules.encryptedCommentRegex])
    if (r) goRegex(r);
  const plain = parsePlain(options.format, plaintext);
  const dataKey = randomBytes(32);
  try {
    const createdAt = rfc3339(now);
    const kms: SopsBranch[] = [];
    for (const key of options.keys) {
      signal?.throwIfAborted();
      const blob = await keys.encryptDataKey(key, dataKey, signal);
      kms.push(kmsEntryTree({ ...key, enc: Buffer.from(blob).toString('base64'), createdAt }));
    }
    const { branches, mac } = encryptTrees(options.format, plain, rules, dataKey);
    const meta = branch([
      { key: 'kms', value: kms },
      { key: 'gcp_kms', value: emptyKeyList(options.format) },
      { key: 'azure_kv', value: emptyKeyList(options.format) },
      { key: 'hc_vault', value: emptyKeyList(options.format) },
      { key: 'age', value: emptyKeyList(options.format) },
      { key: 'lastmodified', value: createdAt },
      { key: 'mac', value: '' },
      { key: 'pgp', value: emptyKeyList(options.format) },
    ]);
    const optional: Array<[string, string | undefined]> = [
      ['unencrypted_suffix', rules.unencryptedSuffix],
      ['encrypted_suffix', rules.encryptedSuffix],
      ['unencrypted_regex', rules.unencryptedRegex],
      ['encrypted_regex', rules.encryptedRegex],
      ['unencrypted_comment_regex', rules.unencryptedCommentRegex],
      ['encrypted_comment_regex', rules.encryptedCommentRegex],
    ];
    for (const [k, v] of optional) if (v) meta.push({ key: k, value: v });
    if (rules.macOnlyEncrypted) meta.push({ key: 'mac_only_encrypted', value: true });
    meta.push({ key: 'version', value: options.version ?? SOPS_FORMAT_VERSION });
    const metadataTree = withMac(meta, mac, dataKey, now);
    return emitEncrypted(options.format, branches, metadataTree);
  } finally {
    dataKey.fill(0);
  }
}
