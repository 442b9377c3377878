// SOPS files without the sops binary: detect, decrypt (MAC verified, all or nothing), save an
// edit re-encrypting only what changed, encrypt a new file, re-key (updatekeys) and rotate.
// KMS is reached only through the injected SopsKeyService, so this never imports vscode or
// builds clients itself.
import { createHash, randomBytes } from 'node:crypto';
import { decryptValue, encryptValue, isEncryptedValue, pathAad } from './cipher';
import { emitDotenv, parseDotenv } from './dotenvStore';
import { emitIni, parseIni } from './iniStore';
import { emitJson, parseJson } from './jsonStore';
import { describeMasterKeys, field, flattenTree, type KmsMasterKey, kmsEntryTree, macAad, type PartialEncryption, readMetadata, rfc3339, setField, type SopsMetadata, unflattenTree } from './metadata';
import { combineShares } from './shamir';
import { branch, isBranch, isList, leafBytes, SopsComment, SopsError, type SopsBranch, type SopsLeaf, type SopsList, type SopsValue } from './tree';
import { emitYaml, parseYaml } from './yamlStore';

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

function splitMetadata(format: SopsFormat, parsed: SopsBranch[]): { branches: SopsBranch[]; metadataTree?: SopsBranch; flatOrder?: string[] } {
  if (format === 'dotenv') {
    const b = parsed[0]!;
    const flat = b.filter((i) => typeof i.key === 'string' && i.key.startsWith('sops_')).map((i) => [(i.key as string).slice(5), String(i.value ?? '')] as [string, string]);
    if (flat.length === 0) return { branches: parsed };
    return { branches: [branch(b.filter((i) => !(typeof i.key === 'string' && i.key.startsWith('sops_'))))], metadataTree: unflattenTree(flat), flatOrder: flat.map(([k]) => k) };
  }
  if (format === 'ini') {
    const b = parsed[0]!;
    const section = b.find((i) => i.key === 'sops');
    if (!section || !isBranch(section.value)) return { branches: parsed };
    const flat = section.value.filter((i) => typeof i.key === 'string').map((i) => [i.key as string, String(i.value ?? '')] as [string, string]);
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

function parseStore(format: SopsFormat, text: string): SopsBranch[] {
  switch (format) {
    case 'yaml':
      return parseYaml(text);
    case 'json':
    case 'binary':
      return [parseJson(text)];
    case 'dotenv':
      return [parseDotenv(text)];
    case 'ini':
      return [parseIni(text)];
  }
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
      const keys = split.branches[0]!.filter((i) => typeof i.key === 'string');
      if (keys.length === 1 && keys[0]!.key === 'data' && typeof keys[0]!.value === 'string' && byName !== 'json') format = 'binary';
      else if (keys.length === 1 && keys[0]!.key === 'data' && typeof keys[0]!.value === 'string' && isEncryptedValue(keys[0]!.value)) format = 'binary';
    }
    return { format, branches: split.branches, metadataTree: split.metadataTree, metadata: readMetadata(split.metadataTree), flatOrder: split.flatOrder };
  }
  if (lastError && byName !== 'binary') throw lastError;
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

// ------------------------------------------------------------------------ the walk

interface WalkRules extends PartialEncryption {}

/** Whether sops encrypts a value at `path` (with the comments seen before it in its branch). */
export function shouldEncrypt(rules: WalkRules, path: readonly string[], comments: readonly string[]): boolean {
  let encrypted = true;
  if (rules.unencryptedSuffix) if (path.some((p) => p.endsWith(rules.unencryptedSuffix!))) encrypted = false;
  if (rules.encryptedSuffix) encrypted = path.some((p) => p.endsWith(rules.encryptedSuffix!));
  if (rules.unencryptedRegex) {
    const re = goRegex(rules.unencryptedRegex);
    if (path.some((p) => re.test(p))) encrypted = false;
  }
  if (rules.encryptedRegex) {
    const re = goRegex(rules.encryptedRegex);
    encrypted = path.some((p) => re.test(p));
  }
  if (rules.unencryptedCommentRegex) {
    const re = goRegex(rules.unencryptedCommentRegex);
    if (comments.some((c) => re.test(c))) encrypted = false;
  }
  if (rules.encryptedCommentRegex) {
    const re = goRegex(rules.encryptedCommentRegex);
    encrypted = comments.some((c) => re.test(c));
  }
  return encrypted;
}

const regexCache = new Map<string, RegExp>();

/** A Go (RE2) regular expression in JavaScript; the common syntax is shared. */
export function goRegex(source: string): RegExp {
  let re = regexCache.get(source);
  if (!re) {
    let flags = 'u';
    let body = source;
    const inline = /^\(\?([imsU]+)\)/.exec(body);
    if (inline) {
      body = body.slice(inline[0].length);
      if (inline[1]!.includes('i')) flags += 'i';
      if (inline[1]!.includes('m')) flags += 'm';
      if (inline[1]!.includes('s')) flags += 's';
    }
    try {
      re = new RegExp(body, flags);
    } catch {
      try {
        re = new RegExp(body, flags.replace('u', ''));
      } catch (error) {
        throw new SopsError('SopsFormat', `The regular expression "${source}" is not valid: ${(error as Error).message}`);
      }
    }
    regexCache.set(source, re);
  }
  return re;
}

type LeafVisitor = (value: Exclude<SopsLeaf, null> | SopsComment, path: readonly string[], comments: readonly string[]) => SopsLeaf | SopsComment;

/** sops's walk: every leaf and comment in order, keys extending the path (list items do not). */
function walkBranch(b: SopsBranch, path: string[], visit: LeafVisitor): SopsBranch {
  const out = branch();
  let comments: string[] = [];
  for (const item of b) {
    if (item.key instanceof SopsComment) {
      const c = visit(item.key, path, comments);
      const comment = c instanceof SopsComment ? c : new SopsComment(String(c));
      out.push({ key: comment, value: null });
      comments = [...comments, comment.value];
      continue;
    }
    out.push({ key: item.key, value: walkValue(item.value, [...path, item.key], visit, comments) });
    comments = [];
  }
  return out;
}

function walkValue(value: SopsValue, path: string[], visit: LeafVisitor, comments: readonly string[]): SopsValue {
  if (isBranch(value)) return walkBranch(value, path, visit);
  if (isList(value)) return walkList(value, path, visit, comments);
  if (value === null) return null;
  return visit(value, path, comments) as SopsValue;
}

function walkList(list: SopsList, path: string[], visit: LeafVisitor, comments: readonly string[]): SopsList {
  const out: SopsList = [];
  let seen = [...comments];
  for (const item of list) {
    if (item instanceof SopsComment) {
      const c = visit(item, path, seen);
      const comment = c instanceof SopsComment ? c : new SopsComment(String(c));
      out.push(comment);
      seen = [...seen, comment.value];
      continue;
    }
    out.push(walkValue(item, path, visit, seen));
  }
  return out;
}

function pathName(path: readonly string[]): string {
  return path.length === 0 ? 'the top level' : `"${path.join('.')}"`;
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
  const bytes = value instanceof SopsComment ? Buffer.from(value.value) : typeof value === 'string' ? Buffer.from(value) : typeof value === 'boolean' ? Buffer.from(String(value)) : value instanceof Uint8Array ? Buffer.from(value) : Buffer.from(`${value.constructor.name}:${String((value as { value: unknown }).value)}`);
  return `${aad}\u0000${type}\u0000${bytes.toString('base64')}`;
}

/** The data key of a file, from the first KMS entry the key service can open (Shamir-combined for several groups). */
export async function openDataKey(doc: SopsDocument, keys: SopsKeyService, signal?: AbortSignal): Promise<{ dataKey: Buffer; openedWith: string }> {
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
    const opened = await openGroup(meta.groups[0]!);
    if (opened) {
      if (opened.key.length !== 32) throw new SopsError('SopsFormat', `The data key under ${opened.by} is ${opened.key.length} bytes, not 32: the file is damaged.`);
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
      if (key.length !== 32) throw new SopsError('SopsFormat', 'The key groups of this file recombine to a data key of the wrong length: the file is damaged.');
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
  const hash = createHash('sha512');
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
          if (!isEncryptedValue(value)) throw new SopsError('SopsTampered', `The value at ${pathName(path)} should be encrypted (by the file's partial-encryption options) but is clear text: the file was edited by hand. Nothing was decrypted.`, { path: path.join('.') });
          clear = decryptValue(value, dataKey, aad, pathName(path), raw && path.length === 1 && path[0] === 'data');
        } else if (typeof value !== 'string') {
          throw new SopsError('SopsTampered', `The value at ${pathName(path)} should be encrypted (by the file's partial-encryption options) but is a clear ${typeof value === 'boolean' ? 'boolean' : 'number'}: the file was edited by hand. Nothing was decrypted.`, { path: path.join('.') });
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
      throw new SopsError('SopsMacMismatch', 'The MAC of this SOPS file does not authenticate against its lastmodified time (MAC mismatch): the metadata was changed by hand. Nothing was decrypted; restore the file from version control.');
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

function macBytes(value: Exclude<SopsLeaf, null>): Buffer {
  return leafBytes(value);
}

export async function decryptSops(doc: SopsDocument, keys: SopsKeyService, signal?: AbortSignal): Promise<DecryptedSops> {
  const { dataKey, openedWith } = await openDataKey(doc, keys, signal);
  const { plain, reusable } = decryptWithKey(doc, dataKey);
  return { document: doc, dataKey, plain, reusable, openedWith };
}

// ------------------------------------------------------------------------ output

/** The plaintext sops --decrypt prints for a file of this format. */
export function emitPlain(format: SopsFormat, plain: readonly SopsBranch[]): Buffer {
  switch (format) {
    case 'yaml':
      return Buffer.from(emitYaml(plain), 'utf8');
    case 'json':
      return Buffer.from(emitJson(plain[0]!), 'utf8');
    case 'dotenv':
      return Buffer.from(emitDotenv(plain[0]!), 'utf8');
    case 'ini':
      return Buffer.from(emitIni(plain[0]!), 'utf8');
    case 'binary': {
      const data = plain[0]!.find((i) => i.key === 'data');
      if (!data) throw new SopsError('SopsFormat', 'This binary SOPS file has no data value.');
      const v = data.value;
      return typeof v === 'string' ? Buffer.from(v, 'utf8') : v instanceof Uint8Array ? Buffer.from(v) : Buffer.alloc(0);
    }
  }
}

/** Parses plaintext the way sops reads a file of this format. */
export function parsePlain(format: SopsFormat, plaintext: Buffer): SopsBranch[] {
  // A binary file is one `data` string of any bytes (a Go string); kept as bytes here, written as type str.
  if (format === 'binary') return [branch([{ key: 'data', value: new Uint8Array(plaintext) }])];
  const text = plaintext.toString('utf8');
  const trees = parseStore(format, text);
  for (const t of trees) {
    if (t.some((i) => i.key === 'sops')) throw new SopsError('SopsFormat', 'The plaintext has a top-level "sops" entry: SOPS keeps its metadata there. Rename that key.');
    if (format === 'dotenv' && t.some((i) => typeof i.key === 'string' && i.key.startsWith('sops_'))) throw new SopsError('SopsFormat', 'The plaintext has a key starting with "sops_": SOPS keeps its metadata under that prefix in dotenv files. Rename that key.');
  }
  return trees;
}

/** The encrypted file for these trees and metadata, in the document's format. */
export function emitEncrypted(format: SopsFormat, branches: readonly SopsBranch[], metadataTree: SopsBranch, flatOrder?: readonly string[]): string {
  switch (format) {
    case 'yaml':
      return emitYaml(branches.map((b) => branch([...b, { key: 'sops', value: metadataTree }])));
    case 'json':
    case 'binary':
      return emitJson(branch([...branches[0]!, { key: 'sops', value: metadataTree }]));
    case 'dotenv': {
      const flat = orderFlat(flattenTree(metadataTree), flatOrder, true);
      return emitDotenv(branch([...branches[0]!, ...flat.map(([k, v]) => ({ key: `sops_${k}`, value: v }))]));
    }
    case 'ini': {
      const flat = orderFlat(flattenTree(metadataTree), flatOrder, false);
      return emitIni(branch([...branches[0]!, { key: 'sops', value: branch(flat.map(([k, v]) => ({ key: k, value: v }))) }]));
    }
  }
}

function orderFlat(flat: Array<[string, string]>, order: readonly string[] | undefined, sortNew: boolean): Array<[string, string]> {
  const byKey = new Map(flat);
  if (order && order.length === flat.length && order.every((k) => byKey.has(k))) return order.map((k) => [k, byKey.get(k)!]);
  return sortNew ? [...flat].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : flat;
}

// ------------------------------------------------------------------------ encrypt

function encryptTrees(format: SopsFormat, plain: readonly SopsBranch[], rules: PartialEncryption, dataKey: Buffer, reusable?: Map<string, string[]>): { branches: SopsBranch[]; mac: string; reused: number; fresh: number } {
  const hash = createHash('sha512');
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

function cloneTree(b: SopsBranch): SopsBranch {
  return branch(b.map((i) => ({ key: i.key, value: cloneValue(i.value) })));
}
function cloneValue(v: SopsValue): SopsValue {
  if (isBranch(v)) return cloneTree(v);
  if (isList(v)) return v.map((x) => (x instanceof SopsComment ? x : cloneValue(x)));
  return v;
}

function withMac(metadataTree: SopsBranch, mac: string, dataKey: Buffer, now: Date): SopsBranch {
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
export async function encryptNew(plaintext: Buffer, options: NewSopsOptions, keys: SopsKeyService, signal?: AbortSignal, now = new Date()): Promise<string> {
  if (options.keys.length === 0) throw new SopsError('SopsRule', 'A SOPS file needs at least one KMS key.');
  const partialCount = [options.unencryptedSuffix, options.encryptedSuffix, options.unencryptedRegex, options.encryptedRegex, options.unencryptedCommentRegex, options.encryptedCommentRegex].filter(Boolean).length;
  if (partialCount > 1) throw new SopsError('SopsRule', 'Use only one of unencrypted_suffix, encrypted_suffix, unencrypted_regex, encrypted_regex, unencrypted_comment_regex and encrypted_comment_regex (sops refuses several).');
  const rules: PartialEncryption = partialCount === 0 ? { unencryptedSuffix: '_unencrypted', macOnlyEncrypted: options.macOnlyEncrypted } : options;
  for (const r of [rules.unencryptedRegex, rules.encryptedRegex, rules.unencryptedCommentRegex, rules.encryptedCommentRegex]) if (r) goRegex(r);
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

// ------------------------------------------------------------------------ re-keying

function kmsListOf(doc: SopsDocument): { list: SopsList; holder: SopsBranch } {
  if (doc.metadata.usesKeyGroups) {
    if (doc.metadata.groups.length > 1) throw new SopsError('SopsUnsupported', 'This SOPS file splits its data key over several key groups (Shamir): add or remove its keys with sops updatekeys.');
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
export async function updateKmsKeys(doc: SopsDocument, change: { add?: readonly NewKmsKey[]; remove?: readonly string[] }, keys: SopsKeyService, signal?: AbortSignal, now = new Date()): Promise<UpdateKeysResult> {
  const copy: SopsDocument = { ...doc, metadataTree: cloneTree(doc.metadataTree) };
  const { list, holder } = kmsListOf(copy);
  const current = list.filter(isBranch).map((b) => String(field(b, 'arn') ?? ''));
  const remove = new Set(change.remove ?? []);
  for (const r of remove) if (!current.some((c) => sameKey(c, r))) throw new SopsError('SopsRule', `The SOPS file has no KMS key ${r}. Its KMS keys: ${current.join(', ') || 'none'}.`);
  const add = (change.add ?? []).filter((k) => !current.some((c) => sameKey(c, k.arn) && !remove.has(c)));
  const remaining = list.filter((e) => !(isBranch(e) && remove.has(String(field(e, 'arn') ?? ''))));
  const othersLeft = doc.metadata.groups.some((g) => g.others.length > 0);
  if (remaining.filter(isBranch).length + add.length === 0 && !othersLeft) throw new SopsError('SopsRule', 'Removing these keys would leave the file with no master key at all, so nobody could open it again. Add another key first.');
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
  if (others.length > 0) throw new SopsError('SopsUnsupported', `This SOPS file is also encrypted for ${others.map((o) => `${o.type} ${o.id}`).join(', ')}, which KMS Workbench cannot re-wrap a new data key for. Rotate it with sops (sops rotate -i).`);
  if (doc.metadata.groups.length > 1) throw new SopsError('SopsUnsupported', 'This SOPS file splits its data key over several key groups (Shamir): rotate it with sops.');
  const decrypted = await decryptSops(doc, keys, signal);
  const newKey = randomBytes(32);
  try {
    const copy = cloneTree(doc.metadataTree);
    const { list, holder } = kmsListOf({ ...doc, metadataTree: copy });
    const createdAt = rfc3339(now);
    const entries: SopsBranch[] = [];
    for (const e of list.filter(isBranch)) {
      signal?.throwIfAborted();
      const k = doc.metadata.groups[0]!.kms.find((x) => x.arn === field(e, 'arn'))!;
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

/** Decrypts a whole file to what sops --decrypt prints. */
export async function decryptSopsText(name: string, text: string, keys: SopsKeyService, signal?: AbortSignal): Promise<{ plaintext: Buffer; document: SopsDocument; openedWith: string }> {
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
