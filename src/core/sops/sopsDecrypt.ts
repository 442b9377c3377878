// SOPS decryption: open the data key with the file's KMS entries (Shamir-combined for several
// key groups), decrypt every value and check the MAC, all or nothing.
import { createHash } from 'node:crypto';
import { decryptValue, isEncryptedValue, pathAad } from './cipher';
import { describeMasterKeys, macAad, type PartialEncryption, type SopsMetadata } from './metadata';
import { combineShares } from './shamir';
import { leafBytes, SopsComment, SopsError, type SopsBranch, type SopsLeaf } from './tree';
import { pathName, shouldEncrypt, walkBranch } from './sopsWalk';
import type { SopsDocument, SopsKeyService } from './sopsFile';

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

export function reuseKey(aad: string, value: Exclude<SopsLeaf, null> | SopsComment): string {
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
      'This SOPS file has no AWS KMS key, so KMS Workbench cannot open it. ' +
        `It is encrypted for: ${all.length ? all.join('; ') : 'no master key at all'}. ` +
        'Open it with sops and those keys, or ask someone who can to add a KMS key (sops updatekeys, or KMS: ' +
        'Add KMS Key to SOPS File).',
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
      `This SOPS file is split over ${meta.groups.length} key groups (any ${threshold} open it), and ` +
        `only ${shares.length} could be opened with KMS.` +
        (failures.length ? ` KMS said: ${failures.join('; ')}.` : '') +
        (others.length ? ` Its other master keys: ${others.join('; ')}.` : ''),
    );
  }
  const others = describeMasterKeys(meta).filter((d) => !d.startsWith('KMS key'));
  throw new SopsError(
    'SopsNoUsableKey',
    `None of the KMS keys of this SOPS file could open its data key. ${failures.join('; ')}.` +
      `${others.length ? ` The file can also be opened with: ${others.join('; ')} (with sops).` : ''} ` +
      `Check the connection's account and region, and that you may use kms:Decrypt on one of these keys.`,
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
              `The value at ${pathName(path)} should be encrypted (by the file's partial-encryption options) ` +
                'but is clear text: the file was edited by hand. Nothing was decrypted.',
              { path: path.join('.') },
            );
          clear = decryptValue(value, dataKey, aad, pathName(path), raw && path.length === 1 && path[0] === 'data');
        } else if (typeof value !== 'string') {
          throw new SopsError(
            'SopsTampered',
            `The value at ${pathName(path)} should be encrypted (by the file's partial-encryption options) ` +
              `but is a clear ${typeof value === 'boolean' ? 'boolean' : 'number'}: the file was edited by hand. Nothing was decrypted.`,
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
        'The MAC of this SOPS file does not authenticate against its lastmodified time (MAC mismatch): ' +
          'the metadata was changed by hand. Nothing was decrypted; restore the file from version control.',
      );
    }
  }
  if (fileMac !== computed) {
    throw new SopsError(
      'SopsMacMismatch',
      'MAC mismatch: the values of this SOPS file are not the ones its MAC was made over, so a value ' +
        '(possibly one left unencrypted by the partial-encryption options) ' +
        'was changed or removed outside sops. Nothing was decrypted; restore the file from version ' +
        `control${fileMac ? '' : ' (the file has no MAC)'}.`,
    );
  }
  return { plain, reusable };
}

/**
 * With mac_only_encrypted, sops starts the MAC with SHA-256("sops") so that such a MAC never
 * equals one made over every value.
 */
const MAC_ONLY_ENCRYPTED_INITIALIZATION = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex');

export function macHash(rules: PartialEncryption): ReturnType<typeof createHash> {
  const hash = createHash('sha512');
  if (rules.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INITIALIZATION);
  return hash;
}

export function macBytes(value: Exclude<SopsLeaf, null>): Buffer {
  return leafBytes(value);
}

export async function decryptSops(doc: SopsDocument, keys: SopsKeyService, signal?: AbortSignal): Promise<DecryptedSops> {
  const { dataKey, openedWith } = await openDataKey(doc, keys, signal);
  const { plain, reusable } = decryptWithKey(doc, dataKey);
  return { document: doc, dataKey, plain, reusable, openedWith };
}
