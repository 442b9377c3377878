// Decrypting an encrypted file into memory for editing, and encrypting the edited text
// again the way the file was encrypted (same format, key and encryption context), then
// replacing the file atomically unless it changed on disk in the meantime. Nothing here
// writes plaintext anywhere: the only file written is the new ciphertext, through
// ../files/atomicReplace.ts (a temporary file beside the original, renamed over it).
//
// Formats and crypto are the envelope core's (../envelope): detection, Encryption SDK
// messages through EnvelopeCrypto, KMS blobs through the gateway, base64 armor.
import { type KeyNameContext, keyName, keyNames } from '../kms/keyNames';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { replaceFileAtomically, type WriteFaults } from '../files/atomicReplace';
import { armorBase64, Base64ArmorDecoder, encodeBase64 } from '../envelope/base64';
import { detectFileFormat } from '../envelope/detect';
import { formatEncryptionContext } from '../envelope/encryptionContext';
import type { EnvelopeCrypto, GatewayForRegion } from '../envelope/envelopeCrypto';
import { MAX_BLOB_PLAINTEXT } from '../envelope/kmsBlob';
import { ALGORITHM_SUITES, DEFAULT_SUITE_ID, type EncryptionContext, tampered } from '../envelope/messageFormat';
import { KmsError } from '../kms/errors';
import { checkEditableText, MAX_EDITABLE_BYTES } from './editableText';
import { connectionKeyService } from '../sops/kmsKeyService';
import { decryptSops, decryptSopsText, readSopsFile, saveEdit, type SopsKeyService } from '../sops/sopsFile';

/** How the file is encrypted, and so how it is written again. */
export type DecryptedFormat = 'message-base64' | 'message-binary' | 'blob' | 'sops';

export interface EncryptionTarget {
  readonly format: DecryptedFormat;
  /** ARN of the key it is encrypted under (as the endpoint names it), and will be again. */
  readonly keyId: string;
  /** The encryption context it is encrypted with, and will be again. */
  readonly encryptionContext: EncryptionContext;
  /** What saving changes about the file besides its content (said once when it is opened). */
  readonly changesOnSave: readonly string[];
  /**
   * SOPS files: the file as it was decrypted (ciphertext and metadata only), whose data key,
   * master keys and unchanged values a save keeps; `name` chooses the store.
   */
  readonly sops?: { readonly originalText: string; readonly name: string; readonly kmsKeys: readonly string[] };
}

export interface DecryptedContent {
  readonly plaintext: Buffer;
  readonly target: EncryptionTarget;
}

export interface DecryptedFileContent extends DecryptedContent {
  /** SHA-256 of the file's bytes that were decrypted: the version the editor started from. */
  readonly ciphertextHash: string;
  readonly mtimeMs: number;
}

export interface DecryptedCrypto {
  readonly envelope: EnvelopeCrypto;
  readonly gatewayFor: GatewayForRegion;
  /** SOPS files: how KMS entries are opened (their profile and role); default the connection's gateways. */
  readonly sopsKeys?: SopsKeyService;
  /**
   * SOPS files: called with the KMS keys a save will leave the secrets readable by (named by the
   * file, so chosen by the repository) before anything is encrypted; throws to refuse.
   */
  readonly checkSopsKeys?: (kmsKeys: readonly string[], name: string) => Promise<void>;
  /** What names keys to a person (see ../kms/keyNames.ts); ARNs as they are without it. */
  readonly names?: () => Promise<KeyNameContext>;
}

export interface DecryptOptions {
  /** For a KMS blob: the encryption context it was encrypted with (a blob does not carry it). */
  readonly blobContext?: EncryptionContext;
}

/** Largest encrypted file opened for editing (base64 armor makes it a third larger than its text). */
export const MAX_CIPHERTEXT_BYTES = Math.ceil((MAX_EDITABLE_BYTES * 4) / 3) + 1024 * 1024;

/** SHA-256 (hex) of a file's bytes: what "unchanged on disk" is checked against. */
export function fingerprint(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads and decrypts a file into memory. */
export async function decryptFileToMemory(path: string, options: DecryptOptions, crypto: DecryptedCrypto): Promise<DecryptedFileContent> {
  const name = basename(path);
  const info = await stat(path).catch((error: unknown) => {
    throw fileError(error, name);
  });
  if (!info.isFile()) throw new KmsError('NotAFile', `${name} is not a file.`);
  if (info.size > MAX_CIPHERTEXT_BYTES) throw tooLarge(name, info.size);
  const bytes = await readFile(path);
  const content = await decryptBytesToMemory(bytes, name, options, crypto);
  return { ...content, ciphertextHash: fingerprint(bytes), mtimeMs: info.mtimeMs };
}

/** Decrypts the bytes of an encrypted file (e.g. a Git revision of it) into memory. */
export async function decryptBytesToMemory(
  bytes: Buffer,
  name: string,
  options: DecryptOptions,
  crypto: DecryptedCrypto,
): Promise<DecryptedContent> {
  if (bytes.length > MAX_CIPHERTEXT_BYTES) throw tooLarge(name, bytes.length);
  const fileName = name.replace(/ at [^/\\]*$/, '');
  const format = detectFileFormat(bytes, bytes.length, fileName);
  if (format.kind === 'sops') {
    const originalText = bytes.toString('utf8');
    const out = await decryptSopsText(fileName, originalText, crypto.sopsKeys ?? connectionKeyService(crypto.gatewayFor));
    checked(out.plaintext, name);
    const others = format.masterKeys.filter((k) => !k.startsWith('KMS key'));
    const changesOnSave = [
      `It is a SOPS file (${format.store}): a save encrypts only the values you change with its data key ` +
        '(the others keep their ciphertext) and writes it the way sops does (comments on their own lines, no blank lines).',
    ];
    if (others.length) changesOnSave.push(`Its other master keys (${others.join('; ')}) are kept and still open it.`);
    return {
      plaintext: out.plaintext,
      target: {
        format: 'sops',
        keyId: out.openedWith,
        encryptionContext: {},
        changesOnSave,
        sops: { originalText, name: fileName, kmsKeys: format.kmsKeys },
      },
    };
  }
  if (format.kind === 'plaintext') {
    throw new KmsError(
      'NotEncrypted',
      `${name} is not encrypted: it is neither an AWS Encryption SDK message (binary or base64) nor a KMS ciphertext blob. Open it as usual.`,
    );
  }
  if (format.kind === 'blob') {
    const encryptionContext = options.blobContext ?? {};
    const blob = Buffer.from(bytes.toString('latin1').trim(), 'base64');
    const out = await crypto
      .gatewayFor(undefined)
      .decrypt({ ciphertext: blob, encryptionContext })
      .catch((error: unknown) => {
        throw explainBlobFailure(error, name, encryptionContext, format.confidence);
      });
    const plaintext = Buffer.from(out.plaintext);
    out.plaintext.fill(0);
    checked(plaintext, name);
    return { plaintext, target: { format: 'blob', keyId: out.keyId, encryptionContext, changesOnSave: [] } };
  }
  const message = format.armor === 'base64' ? await decodeArmor(bytes) : bytes;
  const out = await crypto.envelope.decryptBuffer(message);
  checked(out.plaintext, name);
  const keyId = out.keyArn || out.info.keyArns[0] || '';
  const changesOnSave: string[] = [];
  const others = out.info.keyArns.filter((arn) => arn !== keyId);
  if (others.length) {
    const names = await crypto.names?.().catch(() => undefined);
    const name = (ref: string): string => (names ? keyName(ref, names) : ref);
    changesOnSave.push(
      `Its data key is also wrapped under ${names ? keyNames(others, names, others.length) : others.join(', ')}; ` +
        `once saved, only ${name(keyId)} can decrypt it.`,
    );
  }
  const written = ALGORITHM_SUITES.get(DEFAULT_SUITE_ID)?.name ?? '';
  if (out.info.algorithmSuite !== written)
    changesOnSave.push(`It uses ${out.info.algorithmSuite}; it is saved with ${written} (committing, not signed).`);
  return {
    plaintext: out.plaintext,
    target: {
      format: format.armor === 'base64' ? 'message-base64' : 'message-binary',
      keyId,
      encryptionContext: withoutReservedKeys(out.info.encryptionContext),
      changesOnSave,
    },
  };
}

/** The file's new bytes: `plaintext` encrypted as `target` says (same format, key and context). */
export async function encryptForTarget(
  plaintext: Uint8Array,
  target: EncryptionTarget,
  name: string,
  crypto: DecryptedCrypto,
  signal?: AbortSignal,
): Promise<Buffer> {
  if (target.format === 'sops') {
    if (!target.sops) throw new KmsError('SopsFormat', `${name}: the SOPS file it was opened from is not known; reopen it.`);
    const doc = readSopsFile(target.sops.name, target.sops.originalText);
    if (!doc) throw new KmsError('SopsFormat', `${name} is no longer a SOPS file; reopen it.`);
    await crypto.checkSopsKeys?.(target.sops.kmsKeys, name);
    const decrypted = await decryptSops(doc, crypto.sopsKeys ?? connectionKeyService(crypto.gatewayFor));
    try {
      return Buffer.from(saveEdit(decrypted, Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength)).text, 'utf8');
    } finally {
      decrypted.dataKey.fill(0);
    }
  }
  if (target.format === 'blob') {
    if (plaintext.byteLength === 0) {
      throw new KmsError(
        'PlaintextEmpty',
        `${name} is a KMS ciphertext blob, and KMS Encrypt needs 1 to 4,096 bytes: ` +
          'an empty text cannot be saved in it. Undo, or decrypt the file and encrypt it as an AWS Encryption ' +
          'SDK message, which has no size limits.',
      );
    }
    if (plaintext.byteLength > MAX_BLOB_PLAINTEXT) {
      throw new KmsError(
        'PlaintextTooLarge',
        `${name} is a KMS ciphertext blob, and KMS Encrypt takes at most 4,096 bytes; ` +
          `the text has ${plaintext.byteLength.toLocaleString('en-US')}. ` +
          'Shorten it, or decrypt the file and encrypt it as an AWS Encryption SDK message, which has no size limit.',
      );
    }
    const out = await crypto
      .gatewayFor(undefined)
      .encrypt({ keyId: target.keyId, plaintext, encryptionContext: target.encryptionContext }, { abortSignal: signal });
    return Buffer.from(`${encodeBase64(out.ciphertext)}\n`, 'latin1');
  }
  const { message } = await crypto.envelope.encryptBuffer(plaintext, {
    keyId: target.keyId,
    encryptionContext: target.encryptionContext,
    signal,
  });
  return target.format === 'message-base64' ? armorBase64(message) : message;
}

export interface ReplaceOutcome {
  /** Fingerprint of the bytes now in the file. */
  readonly ciphertextHash: string;
  readonly mtimeMs: number;
}

/**
 * Puts `bytes` in place of the file atomically, but only while the file still holds the
 * version the editor started from (`expectedHash`); otherwise nothing is written and a
 * KmsError (FileChangedOnDisk or FileDeleted) says why.
 */
export async function replaceIfUnchanged(
  path: string,
  bytes: Uint8Array,
  expectedHash: string,
  options: { faults?: WriteFaults; signal?: AbortSignal } = {},
): Promise<ReplaceOutcome> {
  const name = basename(path);
  try {
    const result = await replaceFileAtomically(
      path,
      async (sink, original) => {
        // Read through the descriptor whose snapshot the replacement checks before its rename,
        // so a change from here on is caught by the replacement itself.
        if (fingerprint(await original.readAll()) !== expectedHash) throw changedOnDisk(name);
        await pipeline(Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]), sink, { signal: options.signal });
      },
      // Other hard links keep the previous ciphertext, never plaintext: a save is not refused for them.
      { ...options, allowHardLinks: true },
    );
    const after = await stat(result.path);
    return { ciphertextHash: fingerprint(bytes), mtimeMs: after.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw deleted(name);
    if (error instanceof KmsError && error.code === 'FileChangedOnDisk') throw changedOnDisk(name);
    throw error;
  }
}

/** How the file on disk relates to the version an editor started from. */
export type DiskChange = 'unchanged' | 'changed' | 'deleted';

export async function diskChangeOf(path: string, baseHash: string): Promise<{ change: DiskChange; hash?: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { change: 'deleted' };
    throw error;
  }
  const hash = fingerprint(bytes);
  return { change: hash === baseHash ? 'unchanged' : 'changed', hash };
}

export function changedOnDisk(name: string): KmsError {
  return new KmsError(
    'FileChangedOnDisk',
    `${name} changed on disk after it was decrypted (another program or a git pull wrote it), so it was ` +
      'not overwritten. Reload the decrypted editor to see the newer version (copy your changes first: reloading drops them).',
  );
}

function deleted(name: string): KmsError {
  return new KmsError(
    'FileDeleted',
    `${name} was deleted on disk after it was decrypted, so nothing was written. ` +
      'Restore the file (for example with git checkout) and save again, or close the editor to drop the changes.',
  );
}

function checked(plaintext: Buffer, name: string): void {
  try {
    checkEditableText(plaintext, name);
  } catch (error) {
    plaintext.fill(0);
    throw error;
  }
}

/** The Encryption SDK adds "aws-crypto-public-key" to signed messages' context; it is not the person's. */
function withoutReservedKeys(context: EncryptionContext): EncryptionContext {
  return Object.fromEntries(Object.entries(context).filter(([k]) => !k.startsWith('aws-crypto-')));
}

async function decodeArmor(bytes: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    await pipeline(Readable.from([bytes]), new Base64ArmorDecoder(), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) chunks.push(chunk);
    });
  } catch (error) {
    throw tampered(error instanceof Error ? error.message : String(error));
  }
  return Buffer.concat(chunks);
}

function explainBlobFailure(error: unknown, name: string, tried: EncryptionContext, confidence: 'structure' | 'plausible'): unknown {
  if (!(error instanceof KmsError) || error.code !== 'InvalidCiphertextException') return error;
  const context = formatEncryptionContext(tried);
  const triedText = context ? `the encryption context ${context}` : 'no encryption context';
  const what =
    confidence === 'plausible'
      ? 'it is base64 of no ciphertext shape known here, so it may not be a KMS ciphertext at all; otherwise'
      : 'most likely';
  return new KmsError(
    error.code,
    `KMS could not decrypt ${name} with ${triedText}: ${what} the encryption context is wrong (it must ` +
      'match exactly), or the ciphertext belongs to another account or region, or it was altered.',
    error.details,
  );
}

function fileError(error: unknown, name: string): unknown {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new KmsError('FileNotFound', `${name} does not exist (any more).`);
  return error;
}

function tooLarge(name: string, size: number): KmsError {
  return new KmsError(
    'FileTooLarge',
    `${name} has ${size.toLocaleString('en-US')} bytes: too large to edit decrypted in memory (at ` +
      `most ${MAX_EDITABLE_BYTES / (1024 * 1024)} MiB of text). Use KMS: Decrypt File to decrypt it on disk instead.`,
  );
}
