// Encrypting, decrypting and re-encrypting files in place, streamed (memory stays flat for
// any size) and atomic (see ../files/atomicReplace.ts).
//
// Formats written: an AWS Encryption SDK message, base64-armored (default: the file stays
// text) or binary; or, for files of at most 4,096 bytes and only when asked, one KMS blob in
// base64 (what `aws kms encrypt --output text --query CiphertextBlob` prints). Read: all of
// them, whatever the setting says.
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KmsError } from '../kms/errors';
import { replaceFileAtomically, type WriteFaults } from '../files/atomicReplace';
import { Base64ArmorDecoder, Base64ArmorEncoder, Base64FormatError, decodeArmorPrefix, encodeBase64 } from './base64';
import { DETECT_HEAD_BYTES, detectFileFormat, type FileFormat, isEncryptedFormat, MAX_SOPS_BYTES } from './detect';
import { type EnvelopeCrypto, type GatewayForRegion, resolveKeyArn } from './envelopeCrypto';
import { MAX_BLOB_PLAINTEXT } from './kmsBlob';
import { type EncryptionContext, type MessageHeader, MessageFormatError, messageInfo, type MessageInfo, parseMessageHeader, tampered } from './messageFormat';
import { rewrapObstacle, rewrapStage } from './rewrap';
import { connectionKeyService } from '../sops/kmsKeyService';
import type { SopsKeyService } from '../sops/sopsFile';
import { decryptSopsFileInPlace } from '../sops/sopsFiles';

/** How an encrypted file is written. */
export type FileOutputFormat = 'base64' | 'binary' | 'blob' | 'sops';
export const FILE_OUTPUT_FORMATS: readonly FileOutputFormat[] = ['base64', 'binary', 'blob', 'sops'];

export interface FileInspection {
  readonly path: string;
  readonly size: number;
  readonly format: FileFormat;
  /** For messages whose header could be read. */
  readonly header?: MessageHeader;
  readonly info?: MessageInfo;
}

/** Largest header read while inspecting (the format allows up to about 64 KiB of EDKs per key…). */
const MAX_HEADER_BYTES = 1024 * 1024;

/** Reads the start of a file and tells what it is. */
export async function inspectFile(path: string): Promise<FileInspection> {
  const { size } = await stat(path);
  let want = Math.min(size, DETECT_HEAD_BYTES);
  for (;;) {
    const head = await readHead(path, want);
    let format = detectFileFormat(head, size, basename(path));
    if (format.kind === 'plaintext' && size > head.length && size <= MAX_SOPS_BYTES && /ENC\[AES256_GCM,|sops/.test(head.toString('latin1'))) {
      // A SOPS file keeps its metadata at the end: look at all of it.
      format = detectFileFormat(await readFile(path), size, basename(path));
    }
    if (format.kind !== 'message' || format.header || want >= Math.min(size, MAX_HEADER_BYTES * 2)) {
      const header = format.kind === 'message' ? format.header : undefined;
      return { path, size, format, header, info: header ? messageInfo(header) : undefined };
    }
    want = Math.min(size, want * 4, MAX_HEADER_BYTES * 2);
  }
}

/** A short description of a file's format for messages, e.g. "an AWS Encryption SDK message (base64)". */
export function describeFormat(format: FileFormat): string {
  switch (format.kind) {
    case 'message':
      return `an AWS Encryption SDK message (${format.armor})`;
    case 'blob':
      return 'a KMS ciphertext blob (base64)';
    case 'sops':
      return `a SOPS file (${format.store})`;
    default:
      return 'not encrypted';
  }
}

async function readHead(path: string, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(buffer, read, length - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return buffer.subarray(0, read);
  } finally {
    await handle.close();
  }
}

export interface FileJob {
  readonly envelope: EnvelopeCrypto;
  readonly gatewayFor: GatewayForRegion;
  readonly signal?: AbortSignal;
  /** Bytes of the original read so far, of `total`. */
  readonly onProgress?: (done: number, total: number) => void;
  readonly faults?: WriteFaults;
  /** Read chunk size; default 1 MiB. */
  readonly chunkSize?: number;
  /** SOPS files: how KMS entries are opened (their profile and role); default the connection's gateways. */
  readonly sopsKeys?: SopsKeyService;
}

export interface EncryptedFile {
  readonly path: string;
  /** ARN of the key it is encrypted under. */
  readonly keyId: string;
  readonly format: FileOutputFormat;
  readonly encryptionContext: EncryptionContext;
  readonly bytes: number;
}

export interface DecryptedFile {
  readonly path: string;
  /** ARN of the key that decrypted it. */
  readonly keyId: string;
  /** The format it had. */
  readonly format: FileOutputFormat;
  readonly encryptionContext: EncryptionContext;
  readonly bytes: number;
}

export interface ReEncryptedFile extends EncryptedFile {
  readonly sourceKeyId: string;
  /** `rewrap`: only the header was rewritten; `reencrypt`: decrypted and encrypted again (streamed). */
  readonly method: 'rewrap' | 'reencrypt' | 'blob';
}

/** Counts bytes passing by, for progress. */
class Progress extends Transform {
  private done = 0;
  constructor(
    private readonly total: number,
    private readonly report: ((done: number, total: number) => void) | undefined,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, callback: TransformCallback): void {
    this.done += chunk.length;
    this.report?.(this.done, this.total);
    callback(null, chunk);
  }
}

function source(path: string, size: number, job: FileJob): [NodeJS.ReadableStream, Transform] {
  return [createReadStream(path, { highWaterMark: job.chunkSize ?? 1024 * 1024 }), new Progress(size, job.onProgress)];
}

export async function encryptFileInPlace(path: string, params: { keyId: string; encryptionContext?: EncryptionContext; format?: FileOutputFormat }, job: FileJob): Promise<EncryptedFile> {
  const inspection = await inspectFile(path);
  const name = basename(path);
  if (isEncryptedFormat(inspection.format)) {
    throw new KmsError('AlreadyEncrypted', `${name} is already encrypted (${describeFormat(inspection.format)}${inspection.info?.keyArns.length ? ` under ${inspection.info.keyArns.join(', ')}` : ''}). Decrypt it first, or re-encrypt it to change its key.`);
  }
  const format = params.format ?? 'base64';
  if (format === 'sops') throw new KmsError('InvalidArgument', `${name}: SOPS files are written by encryptSopsFileInPlace (../sops/sopsFiles.ts), which needs key ARNs.`);
  const encryptionContext = params.encryptionContext ?? {};
  if (format === 'blob') {
    if (inspection.size === 0) throw new KmsError('PlaintextEmpty', `${name} is empty; KMS Encrypt needs 1 to 4,096 bytes. Use the base64 or binary format for empty files.`);
    if (inspection.size > MAX_BLOB_PLAINTEXT) {
      throw new KmsError('PlaintextTooLarge', `${name} has ${inspection.size.toLocaleString('en-US')} bytes: too large for a KMS ciphertext blob (KMS Encrypt takes at most 4,096 bytes). Use the base64 or binary format, which have no size limit.`);
    }
    const plaintext = await readFile(path);
    try {
      const out = await job.gatewayFor(undefined).encrypt({ keyId: params.keyId, plaintext, encryptionContext }, { abortSignal: job.signal });
      const result = await replaceFileAtomically(path, (sink) => pipeline([Buffer.from(`${encodeBase64(out.ciphertext)}\n`, 'latin1')], sink, { signal: job.signal }), job);
      return { path: result.path, keyId: out.keyId, format, encryptionContext, bytes: result.bytesWritten };
    } finally {
      plaintext.fill(0);
    }
  }
  const encryption = await job.envelope.encryptStream({ keyId: params.keyId, encryptionContext, plaintextLength: inspection.size });
  const result = await replaceFileAtomically(
    path,
    (sink) => run(encryption.explain, pipelineOf([...source(path, inspection.size, job), encryption.create(), ...(format === 'base64' ? [new Base64ArmorEncoder()] : []), sink], job.signal)),
    job,
  );
  return { path: result.path, keyId: encryption.keyArn(), format, encryptionContext, bytes: result.bytesWritten };
}

/** `keyId` (optional): decrypt only if the file is encrypted under this key. */
export async function decryptFileInPlace(path: string, params: { encryptionContext?: EncryptionContext; keyId?: string }, job: FileJob): Promise<DecryptedFile> {
  const inspection = await inspectFile(path);
  const format = inspection.format;
  if (format.kind === 'plaintext') throw notEncrypted(path);
  if (format.kind === 'sops') {
    const out = await decryptSopsFileInPlace(path, { keys: job.sopsKeys ?? connectionKeyService(job.gatewayFor), signal: job.signal, faults: job.faults });
    return { path, keyId: out.openedWith, format: 'sops', encryptionContext: {}, bytes: out.bytes };
  }
  if (format.kind === 'blob') {
    const bytes = await blobOfFile(path);
    const encryptionContext = params.encryptionContext ?? {};
    const out = await job.gatewayFor(undefined)
      .decrypt({ ciphertext: bytes, encryptionContext, keyId: params.keyId }, { abortSignal: job.signal })
      .catch((error: unknown) => {
        throw format.confidence === 'plausible' && error instanceof KmsError && error.code === 'InvalidCiphertextException'
          ? new KmsError(error.code, `${basename(path)} is not a KMS ciphertext this connection can decrypt: it is base64 of no known ciphertext shape, and KMS refused it (wrong key, wrong encryption context, altered, or not a ciphertext at all).`)
          : error;
      });
    try {
      const result = await replaceFileAtomically(path, (sink) => pipeline([Buffer.from(out.plaintext)], sink, { signal: job.signal }), job);
      return { path: result.path, keyId: out.keyId, format: 'blob', encryptionContext, bytes: result.bytesWritten };
    } finally {
      out.plaintext.fill(0);
    }
  }
  const header = inspection.header ?? (await readWholeHeader(path, format.armor));
  const keyArn = params.keyId ? await resolveKeyArn(job.gatewayFor(undefined), params.keyId) : undefined;
  const decryption = await job.envelope.decryptStream(header, { expectedContext: params.encryptionContext, keyArn });
  const result = await replaceFileAtomically(
    path,
    (sink) => run(decryption.explain, pipelineOf([...source(path, inspection.size, job), ...(format.armor === 'base64' ? [new Base64ArmorDecoder()] : []), decryption.create(), sink], job.signal)),
    job,
  );
  return { path: result.path, keyId: decryption.keyArn(), format: format.armor, encryptionContext: { ...header.encryptionContext }, bytes: result.bytesWritten };
}

export async function reEncryptFileInPlace(path: string, params: { keyId: string; encryptionContext?: EncryptionContext; sourceEncryptionContext?: EncryptionContext; format?: FileOutputFormat }, job: FileJob): Promise<ReEncryptedFile> {
  const inspection = await inspectFile(path);
  const format = inspection.format;
  if (format.kind === 'plaintext') throw notEncrypted(path);
  if (format.kind === 'sops') {
    throw new KmsError('SopsUnsupported', `${basename(path)} is a SOPS file: change its keys with "KMS: Add KMS Key to SOPS File" / "Remove KMS Key from SOPS File" (its values stay as they are), or give it a new data key with "KMS: Rotate SOPS Data Key".`);
  }
  if (format.kind === 'blob') {
    if (params.format && params.format !== 'blob') throw new KmsError('InvalidArgument', `${basename(path)} is a KMS ciphertext blob; re-encrypting keeps it one. Decrypt it and encrypt it again to change its format.`);
    const bytes = await blobOfFile(path);
    const sourceContext = params.sourceEncryptionContext ?? {};
    const encryptionContext = params.encryptionContext ?? sourceContext;
    const out = await job.gatewayFor(undefined).reEncrypt({ ciphertext: bytes, destinationKeyId: params.keyId, sourceEncryptionContext: sourceContext, destinationEncryptionContext: encryptionContext }, { abortSignal: job.signal });
    const result = await replaceFileAtomically(path, (sink) => pipeline([Buffer.from(`${encodeBase64(out.ciphertext)}\n`, 'latin1')], sink, { signal: job.signal }), job);
    return { path: result.path, keyId: out.keyId, sourceKeyId: out.sourceKeyId, format: 'blob', encryptionContext, bytes: result.bytesWritten, method: 'blob' };
  }
  if (params.format === 'blob') throw new KmsError('InvalidArgument', `${basename(path)} is an Encryption SDK message; it can be re-encrypted as base64 or binary, not as a KMS blob.`);
  const header = inspection.header ?? (await readWholeHeader(path, format.armor));
  const outFormat = params.format ?? format.armor;
  const input = (): [NodeJS.ReadableStream, ...Transform[]] => (format.armor === 'base64' ? [...source(path, inspection.size, job), new Base64ArmorDecoder()] : source(path, inspection.size, job));
  const output = (): Transform[] => (outFormat === 'base64' ? [new Base64ArmorEncoder()] : []);

  if (!rewrapObstacle(header)) {
    let keyId = '';
    let sourceKeyId = '';
    let encryptionContext: EncryptionContext = header.encryptionContext;
    const stage = rewrapStage(job.gatewayFor, { keyId: params.keyId, encryptionContext: params.encryptionContext }, {
      signal: job.signal,
      onHeader: (h) => {
        keyId = h.keyArn;
        sourceKeyId = h.sourceKeyArn;
        encryptionContext = h.encryptionContext;
      },
    });
    const result = await replaceFileAtomically(path, (sink) => run((error) => error, pipelineOf([...input(), stage, ...output(), sink], job.signal)), job);
    return { path: result.path, keyId, sourceKeyId, format: outFormat, encryptionContext, bytes: result.bytesWritten, method: 'rewrap' };
  }
  // Signed or format-1 messages: decrypt and encrypt again, plaintext only in memory, a frame at a time.
  const encryptionContext = params.encryptionContext ?? withoutReservedKeys(header.encryptionContext);
  const decryption = await job.envelope.decryptStream(header, {});
  const encryption = await job.envelope.encryptStream({ keyId: params.keyId, encryptionContext });
  const result = await replaceFileAtomically(
    path,
    (sink) =>
      run(
        (error) => {
          const fromDecrypt = decryption.explain(error);
          return fromDecrypt !== error ? fromDecrypt : encryption.explain(error);
        },
        pipelineOf([...input(), decryption.create(), encryption.create(), ...output(), sink], job.signal),
      ),
    job,
  );
  return { path: result.path, keyId: encryption.keyArn(), sourceKeyId: decryption.keyArn(), format: outFormat, encryptionContext, bytes: result.bytesWritten, method: 'reencrypt' };
}

/** The Encryption SDK adds "aws-crypto-public-key" to the context of signed messages; it is not the person's. */
function withoutReservedKeys(context: EncryptionContext): EncryptionContext {
  return Object.fromEntries(Object.entries(context).filter(([k]) => !k.startsWith('aws-crypto-')));
}

type Stage = NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream | ((source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer>) | Writable;

function pipelineOf(stages: Stage[], signal: AbortSignal | undefined): Promise<void> {
  return (pipeline as unknown as (...args: unknown[]) => Promise<void>)(...stages, { signal });
}

/** Awaits a pipeline and explains its failure (the Encryption SDK's texts become KmsErrors). */
async function run(explain: (error: unknown) => unknown, done: Promise<void>): Promise<void> {
  try {
    await done;
  } catch (error) {
    if ((error as { name?: string }).name === 'AbortError') throw error;
    // The armor or the message structure is broken: the file was altered or cut short.
    if (error instanceof Base64FormatError || error instanceof MessageFormatError) throw tampered(error.message.replace(/\.$/, ''));
    throw explain(error);
  }
}

function notEncrypted(path: string): KmsError {
  return new KmsError('NotEncrypted', `${basename(path)} is not encrypted: it is neither an AWS Encryption SDK message (binary or base64) nor a KMS ciphertext blob, so there is nothing to decrypt.`);
}

async function blobOfFile(path: string): Promise<Buffer> {
  const text = (await readFile(path, 'latin1')).trim();
  return Buffer.from(text, 'base64');
}

/** For headers larger than the inspected head (huge encryption contexts). */
async function readWholeHeader(path: string, armor: 'base64' | 'binary'): Promise<MessageHeader> {
  const raw = await readHead(path, armor === 'base64' ? Math.ceil((MAX_HEADER_BYTES * 4) / 3) + 64 * 1024 : MAX_HEADER_BYTES);
  const bytes = armor === 'base64' ? decodeArmorPrefix(raw) : raw;
  const header = bytes ? parseMessageHeader(bytes) : undefined;
  if (!header) throw tampered('its header is truncated or longer than 1 MiB');
  return header;
}
