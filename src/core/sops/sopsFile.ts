// SOPS files without the sops binary: detect, decrypt (MAC verified, all or nothing), save an
// edit re-encrypting only what changed, and encrypt a new file (re-keying: sopsRekey.ts; the
// stores: sopsStores.ts; the walk over the tree: sopsWalk.ts).
// KMS is reached only through the injected SopsKeyService, so this never imports vscode or
// builds clients itself.
import { createHash, randomBytes } from 'node:crypto';
import { decryptValue, encryptValue, isEncryptedValue, pathAad } from './cipher';
import {
  describeMasterKeys,
  field,
  text as scalarText,
  type KmsMasterKey,
  kmsEntryTree,
  macAad,
  type PartialEncryption,
  readMetadata,
  rfc3339,
  setField,
  type SopsMetadata,
  unflattenTree,
} from './metadata';
import { combineShares } from './shamir';
import { branch, isBranch, isList, leafBytes, SopsComment, SopsError, type SopsBranch, type SopsLeaf, type SopsValue } from './tree';
import { emitEncrypted, emitPlain, parsePlain, parseStore } from './sopsStores';
import { goRegex, pathName, shouldEncrypt, walkBranch } from './sopsWalk';

export type SopsFormat = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary';

/** What a SOPS file is made of, as read (values still encrypted). */
export interface SopsDocument {
  readonly format: SopsFormat;
  /** The documents without their `sops` metadata (one, except for multi-document YAML). */
  readonly branches: SopsBranch[];
  /** The metadata tree as read (kept verbatim apart from what a save must change). */
  readonly metadataTree: SopsBranch;
  readonly metadata: SopsMetadata;
  /** dotenv and INI: the order of the flattened metadata entries in the file. */
  readonly flatOrder?: string[];
}

/** Master key operations on the data key; the host builds it over the user's connections. */
export interface SopsKeyService {
  /** The plaintext of `key.enc` (KMS Decrypt with the entry's context, profile and role). */
  decryptDataKey(key: KmsMasterKey, signal?: AbortSignal): Promise<Uint8Array>;
  /** KMS Encrypt of a data key (or share) under `key`; returns the ciphertext blob. */
  encryptDataKey(key: NewKmsKey, dataKey: Uint8Array, signal?: AbortSignal): Promise<Uint8Array>;
}

export interface NewKmsKey {
  readonly arn: string;
  readonly context?: Readonly<Record<string, string>>;
  readonly awsProfile?: string;
  readonly role?: string;
}

// ------------------------------------------------------------------------ detection

/** The store sops would use for a file name (binary for anything it does not know). */
export function formatForName(name: string): SopsFormat {
  const lower = name.toLowerCase();
  if (/\.ya?ml$/.test(lower)) return 'yaml';
  if (/\.json$/.test(lower)) return 'json';
  if (/\.env$/.test(lower) || /(^|[\\/])\.env(\.[^\\/]*)?$/.test(lower)) return 'dotenv';
  if (/\.ini$/.test(lower)) return 'ini';
  return 'binary';
}

/** Cheap test before any parsing: could this text be a SOPS file? */
export function mightBeSops(text: string): boolean {
  return text.includes('sops') && text.includes('lastmodified') && (text.includes('mac') || text.includes('ENC[AES256_GCM'));
}

function splitMetadata(
  format: SopsFormat,
  parsed: SopsBranch[],
): { branches: SopsBranch[]; metadataTree?: SopsBranch; flatOrder?: string[] } {
  if (format === 'dotenv') {
    const b = parsed[0];
    const flat = b
      .filter((i) => typeof i.key === 'string' && i.key.startsWith('sops_'))
      .map((i) => [(i.key as string).slice(5), scalarText(i.value) ?? ''] as [string, string]);
    if (flat.length === 0) return { branches: parsed };
    return {
      branches: [branch(b.filter((i) => !(typeof i.key === 'string' && i.key.startsWith('sops_'))))],
      metadataTree: unflattenTree(flat),
      flatOrder: flat.map(([k]) => k),
    };
  }
  if (format === 'ini') {
    const b = parsed[0];
    const section = b.find((i) => i.key === 'sops');
    if (!section || !isBranch(section.value)) return { branches: parsed };
    const flat = section.value
      .filter((i) => typeof i.key === 'string')
      .map((i) => [i.key as string, scalarText(i.value) ?? ''] as [string, string]);
    return { branches: [branch(b.filter((i) => i !== section))], metadataTree: unflattenTree(flat), flatOrder: flat.map(([k]) => k) };
  }
  let metadataTree: SopsBranch | undefined;
  const branches = parsed.map((b) => {
    const item = [...b].reverse().find((i) => i.key === 'sops');
    if (item && isBranch(item.value)) metadataTree ??= item.value;
    return branch(b.filter((i) => i.key !== 'sops'));
  });
  return { branches, metadataTree };
}

/**
 * Reads a SOPS file, or returns undefined when `text` is not one. The store comes from the
 * name as sops chooses it; a JSON file holding only `data` (and `sops`) is a binary file.
 * Throws SopsError when the file has SOPS metadata but cannot be read.
 */
export function readSopsFile(name: string, text: string): SopsDocument | undefined {
  if (!mightBeSops(text)) return undefined;
  const byName = formatForName(name);
  const candidates: SopsFormat[] = byName === 'binary' ? ['json', 'yaml', 'dotenv', 'ini'] : [byName];
  let lastError: unknown;
  for (const candidate of candidates) {
    let parsed: SopsBranch[];
    try {
      parsed = parseStore(candidate, text);
    } catch (error) {
      lastError = error;
      continue;
    }
    const split = splitMetadata(candidate, parsed);
    if (!split.metadataTree || field(split.metadataTree, 'lastmodified') === undefined) continue;
    let format = candidate;
    if (format === 'json') {
      const keys = split.branches[0].filter((i) => typeof i.key === 'string');
      if (keys.length === 1 && keys[0].key === 'data' && typeof keys[0].value === 'string' && byName !== 'json') format = 'binary';
      else if (keys.length === 1 && keys[0].key === 'data' && typeof keys[0].value === 'string' && isEncryptedValue(keys[0].value))
        format = 'binary';
    }
    return {
      format,
      branches: split.branches,
      metadataTree: split.metadataTree,
      metadata: readMetadata(split.metadataTree),
      flatOrder: split.flatOrder,
    };
  }
  if (lastError instanceof Error && byName !== 'binary') throw lastError;
  return undefined;
}

/** True when `text` is a SOPS file (any store). Never throws. */
export function isSopsFile(name: string, text: string): boolean {
  try {
    return readSopsFile(name, text) !== undefined;
  } catch {
    return mightBeSops(text) && /(^|\n)\s*"?sops"?\s*[:=]|\[sops\]|(^|\n)sops_mac=/.test(text);
  }
}

// ------------------------------------------------------------------------ decrypt

export interface DecryptedSops {
  readonly document: SopsDocument;
  /** The data key; callers must not keep it longer than the operation. */
  readonly dataKey: Buffer;
  /** Cleartext trees (comments decrypted), one per document. */
  readonly plain: SopsBranch[];
  /** Ciphertexts of the file by AAD, type and plaintext, so a save can keep unchanged ones. */
  readonly reusable: Map<string, string[]>;
  /** Which master key opened the data key. */
  readonly openedWith: string;
}

function reuseKey(aad: string, value: Exclude<SopsLeaf, null> | SopsComment): string {
  const type = value instanceof SopsComment ? 'comment' : typeof value === 'string' ? 'str' : typeof value;
  const bytes =
    value instanceof SopsComment
      ? Buffer.from(value.value)
      : typeof value === 'string'
        ? Buffer.from(value)
        : typeof value === 'boolean'
          ? Buffer.from(String(value))
          : value instanceof Uint8Array
            ? Buffer.from(value)
            : Buffer.from(`${value.constructor.name}:${String((value as { value: unknown }).value)}`);
  return `${aad}\u0000${type}\u0000${bytes.toString('base64')}`;
}

/** The data key of a file, from the first KMS entry the key service can open (Shamir-combined for several groups). */
export async function openDataKey(
  doc: SopsDocument,
  keys: SopsKeyService,
  signal?: AbortSignal,
): Promise<{ dataKey: Buffer; openedWith: string }> {
  const meta = doc.metadata;
  const failures: string[] = [];
  const openGroup = async (group: SopsMetadata['groups'][number]): Promise<{ key: Buffer; by: string } | undefined> => {
    for (const k of group.kms) {
      signal?.throwIfAborted();
      try {
        return { key: Buffer.from(await keys.decryptDataKey(k, signal)), by: k.arn };
      } catch (error) {
        if (signal?.aborted) throw error;
        failures.push(`${k.arn}: ${(error as Error).message}`);
      }
    }
    return undefined;
  };
  const noKms = meta.groups.every((g) => g.kms.length === 0);
  if (noKms) {
    const all = describeMasterKeys(meta);
    throw new SopsError(
      'SopsNoUsableKey',
      `This SOPS file has no AWS KMS key, so KMS Workbench cannot open it. It is encrypted for: ${all.length ? all.join('; ') : 'no master key at all'}. Open it with sops and those keys, or ask someone who can to add a KMS key (sops updatekeys, or KMS: Add KMS Key to SOPS File).`,
    );
  }
  if (meta.groups.length <= 1) {
    const opened = await openGroup(meta.groups[0]);
    if (opened) {
      if (opened.key.length !== 32)
        throw new SopsError('SopsFormat', `The data key under ${opened.by} is ${opened.key.length} bytes, not 32: the file is damaged.`);
      return { dataKey: opened.key, openedWith: opened.by };
    }
  } else {
    const threshold = meta.shamirThreshold ?? meta.groups.length;
    const shares: Buffer[] = [];
    const used: string[] = [];
    for (const g of meta.groups) {
      if (shares.length >= threshold) break;
      const opened = await openGroup(g);
      if (opened) {
        shares.push(opened.key);
        used.push(opened.by);
      }
    }
    if (shares.length >= threshold) {
      const key = combineShares(shares);
      if (key.length !== 32)
        throw new SopsError('SopsFormat', 'The key groups of this file recombine to a data key of the wrong length: the file is damaged.');
      return { dataKey: key, openedWith: used.join(' + ') };
    }
    const others = describeMasterKeys(meta).filter((d) => !d.startsWith('KMS key'));
    throw new SopsError(
      'SopsNoUsableKey',
      `This SOPS file is split over ${meta.groups.length} key groups (any ${threshold} open it), and only ${shares.length} could be opened with KMS.${failures.length ? ` KMS said: ${failures.join('; ')}.` : ''}${others.length ? ` Its other master keys: ${others.join('; ')}.` : ''}`,
    );
  }
  const others = describeMasterKeys(meta).filter((d) => !d.startsWith('KMS key'));
  throw new SopsError(
    'SopsNoUsableKey',
    `None of the KMS keys of this SOPS file could open its data key. ${failures.join('; ')}.${others.length ? ` The file can also be opened with: ${others.join('; ')} (with sops).` : ''} Check the connection's account and region, and that you may use kms:Decrypt on one of these keys.`,
  );
}

/** Decrypts every value with the data key and checks the MAC; never returns a partial result. */
export function decryptWithKey(doc: SopsDocument, dataKey: Buffer): { plain: SopsBranch[]; reusable: Map<string, string[]> } {
  const meta = doc.metadata;
  const hash = macHash(meta);
  const reusable = new Map<string, string[]>();
  const raw = doc.format === 'binary';
  const plain = doc.branches.map((b) =>
    walkBranch(b, [], (value, path, comments) => {
      const encrypted = shouldEncrypt(meta, path, comments);
      let clear: Exclude<SopsLeaf, null> | SopsComment = value;
      const aad = pathAad(path);
      if (encrypted) {
        if (value instanceof SopsComment) {
          if (isEncryptedValue(value.value)) {
            try {
              clear = decryptValue(value.value, dataKey, aad, `a comment in ${pathName(path)}`);
            } catch {
              clear = value; // sops: "possibly unencrypted comment", kept as it is
            }
          }
        } else if (typeof value === 'string' && value !== '') {
          if (!isEncryptedValue(value))
            throw new SopsError(
              'SopsTampered',
              `The value at ${pathName(path)} should be encrypted (by the file's partial-encryption options) but is clear text: the file was edited by hand. Nothing was decrypted.`,
              { path: path.join('.') },
            );
          clear = decryptValue(value, dataKey, aad, pathName(path), raw && path.length === 1 && path[0] === 'data');
        } else if (typeof value !== 'string') {
          throw new SopsError(
            'SopsTampered',
            `The value at ${pathName(path)} should be encrypted (by the file's partial-encryption options) but is a clear ${typeof value === 'boolean' ? 'boolean' : 'number'}: the file was edited by hand. Nothing was decrypted.`,
            { path: path.join('.') },
          );
        }
        if (clear !== value && typeof value === 'string') {
          const k = reuseKey(aad, clear);
          reusable.set(k, [...(reusable.get(k) ?? []), value]);
        } else if (clear !== value && value instanceof SopsComment) {
          const k = reuseKey(aad, clear);
          reusable.set(k, [...(reusable.get(k) ?? []), value.value]);
        }
      }
      if (!(clear instanceof SopsComment) && (!meta.macOnlyEncrypted || encrypted)) hash.update(macBytes(clear));
      return clear;
    }),
  );
  const computed = hash.digest('hex').toUpperCase();
  let fileMac: string;
  if (!meta.mac) fileMac = '';
  else {
    try {
      const m = decryptValue(meta.mac, dataKey, macAad(meta.lastModified), 'the MAC');
      fileMac = typeof m === 'string' ? m : '';
    } catch {
      throw new SopsError(
        'SopsMacMismatch',
        'The MAC of this SOPS file does not authenticate against its lastmodified time (MAC mismatch): the metadata was changed by hand. Nothing was decrypted; restore the file from version control.',
      );
    }
  }
  if (fileMac !== computed) {
    throw new SopsError(
      'SopsMacMismatch',
      `MAC mismatch: the values of this SOPS file are not the ones its MAC was made over, so a value (possibly one left unencrypted by the partial-encryption options) was changed or removed outside sops. Nothing was decrypted; restore the file from version control${fileMac ? '' : ' (the file has no MAC)'}.`,
    );
  }
  return { plain, reusable };
}

/**
 * With mac_only_encrypted, sops starts the MAC with SHA-256("sops") so that such a MAC never
 * equals one made over every value.
 */
const MAC_ONLY_ENCRYPTED_INITIALIZATION = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex');

function macHash(rules: PartialEncryption): ReturnType<typeof createHash> {
  const hash = createHash('sha512');
  if (rules.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INITIALIZATION);
  return hash;
}

function macBytes(value: Exclude<SopsLeaf, null>): Buffer {
  return leafBytes(value);
}

export async function decryptSops(doc: SopsDocument, keys: SopsKeyService, signal?: AbortSignal): Promise<DecryptedSops> {
  const { dataKey, openedWith } = await openDataKey(doc, keys, signal);
  const { plain, reusable } = decryptWithKey(doc, dataKey);
  return { document: doc, dataKey, plain, reusable, openedWith };
}

// ------------------------------------------------------------------------ encrypt

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
      'Use only one of unencrypted_suffix, encrypted_suffix, unencrypted_regex, encrypted_regex, unencrypted_comment_regex and encrypted_comment_regex (sops refuses several).',
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

/** Decrypts a whole file to what sops --decrypt prints. */
export async function decryptSopsText(
  name: string,
  text: string,
  keys: SopsKeyService,
  signal?: AbortSignal,
): Promise<{ plaintext: Buffer; document: SopsDocument; openedWith: string }> {
  const doc = readSopsFile(name, text);
  if (!doc) throw new SopsError('SopsFormat', 'This file has no SOPS metadata.');
  const decrypted = await decryptSops(doc, keys, signal);
  try {
    return { plaintext: emitPlain(doc.format, decrypted.plain), document: doc, openedWith: decrypted.openedWith };
  } finally {
    decrypted.dataKey.fill(0);
  }
}

export type { SopsValue };
