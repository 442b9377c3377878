// SOPS files without the sops binary: detect and read a file; decrypt in sopsDecrypt.ts, save and encrypt
// in sopsEncrypt.ts (re-keying: sopsRekey.ts; the stores: sopsStores.ts; the walk: sopsWalk.ts).
// KMS is reached only through the injected SopsKeyService, so this never imports vscode or builds clients itself.
import { isEncryptedValue } from './cipher';
import { field, text as scalarText, type KmsMasterKey, readMetadata, type SopsMetadata, unflattenTree } from './metadata';
import { branch, isBranch, SopsError, type SopsBranch, type SopsValue } from './tree';
import { emitPlain, parseStore } from './sopsStores';
import { decryptSops } from './sopsDecrypt';

export { decryptSops, decryptWithKey, openDataKey, type DecryptedSops } from './sopsDecrypt';
export {
  cloneTree,
  encryptNew,
  encryptTrees,
  saveEdit,
  SOPS_FORMAT_VERSION,
  withMac,
  type NewSopsOptions,
  type SaveResult,
} from './sopsEncrypt';

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
