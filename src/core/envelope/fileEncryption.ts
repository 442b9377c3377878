// Encrypting, decrypting and re-encrypting files in place, streamed (memory stays flat for
// any size) and atomic (see ../files/atomicReplace.ts).
//
// Formats written: an AWS Encryption SDK message, base64-armored (default: the file stays
// text) or binary; or, for files of at most 4,096 bytes and only when asked, one KMS blob in
// base64 (what `aws kms encrypt --output text --query CiphertextBlob` prints). Read: all of
// them, whatever the setting says.
import { randomBytes } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KmsError } from '../kms/errors';
import {
  type FileState,
  type OriginalFile,
  replaceFileAtomically,
  type ReplaceOptions,
  withFileLock,
  type WriteFaults,
} from '../files/atomicReplace';
import { Base64ArmorDecoder, Base64ArmorEncoder, Base64FormatError, decodeArmorPrefix, encodeBase64, withoutBom } from './base64';
import { MessageEndGuard } from './messageEnd';
import { DETECT_HEAD_BYTES, detectFileFormat, type FileFormat, isEncryptedFormat, MAX_SOPS_BYTES } from './detect';
import { type EnvelopeCrypto, type GatewayForRegion, resolveKeyArn } from './envelopeCrypto';
import { MAX_BLOB_PLAINTEXT } from './kmsBlob';
import { cryptFile, type CryptFileOptions } from './cryptoWorker';
import {
  ALGORITHM_SUITES,
  DEFAULT_SUITE_ID,
  deriveCommittingKeys,
  type EncryptedDataKey,
  headerAuthTag,
  newHeaderBody,
  type EncryptionContext,
  KMS_PROVIDER_ID,
  MAX_ENCRYPTED_DATA_KEYS,
  type MessageHeader,
  MessageFormatError,
  messageInfo,
  type MessageInfo,
  parseMessageHeader,
  tampered,
} from './messageFormat';
import { type KeyChange, planKeyChange, type RewrappedHeader, rewrapObstacle, rewrapStage } from './rewrap';
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
  /** The file's state when it was inspected: a rewrite based on this inspection expects it. */
  readonly state: FileState;
}

/** Largest header read while inspecting (the format allows up to about 64 KiB of EDKs per key…). */
const MAX_HEADER_BYTES = 1024 * 1024;

/** Reads the start of a file and tells what it is. */
export async function inspectFile(path: string): Promise<FileInspection> {
  const info = await stat(path);
  const size = info.size;
  const state: FileState = { size, mtimeMs: info.mtimeMs, ino: info.ino };
  let want = Math.min(size, DETECT_HEAD_BYTES);
  for (;;) {
    const head = await readHead(path, want);
    let format = detectFileFormat(head, size, basename(path));
    if (
      format.kind === 'plaintext' &&
      size > head.length &&
      size <= MAX_SOPS_BYTES &&
      /ENC\[AES256_GCM,|sops/.test(head.toString('latin1'))
    ) {
      // A SOPS file keeps its metadata at the end: look at all of it.
      format = detectFileFormat(await readFile(path), size, basename(path));
    }
    if (format.kind !== 'message' || format.header) {
      const header = format.kind === 'message' ? format.header : undefined;
      return { path, size, format, header, info: header ? messageInfo(header) : undefined, state };
    }
    // A header longer than any the Encryption SDK writes (or the file ended): not a message.
    if (want >= Math.min(size, MAX_HEADER_BYTES * 2) || head.length < want) return { path, size, format: { kind: 'plaintext' }, state };
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
  /** Rewrite a file that has other hard links (they keep the old content); refused otherwise. */
  readonly allowHardLinks?: boolean;
  /** SOPS files: how KMS entries are opened (their profile and role); default the connection's gateways. */
  readonly sopsKeys?: SopsKeyService;
  /** Encrypt/decrypt of messages: the worker thread's script, or false for this thread (see cryptoWorker.ts). */
  readonly workerScript?: string | false;
}

export interface EncryptedFile {
  readonly path: string;
  /** ARN of the key it is encrypted under. */
  readonly keyId: string;
  /** Every key's ARN (any one decrypts); one for a file under one key. */
  readonly keyIds: readonly string[];
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

/** The original's content (read through the descriptor the replacement checks), with progress. */
function source(original: OriginalFile, job: FileJob): [NodeJS.ReadableStream, Transform] {
  return [original.stream(job.chunkSize ?? 1024 * 1024), new Progress(original.size, job.onProgress)];
}

/** The file must still be as inspected when it is opened for the rewrite (what was decided on is what is rewritten). */
function replaceOptions(job: FileJob, inspection: FileInspection, ownerOnly?: boolean): ReplaceOptions {
  return { signal: job.signal, faults: job.faults, allowHardLinks: job.allowHardLinks, ownerOnly, expect: inspection.state };
}

/** Mode of a decrypted file: the owner's permissions only (e.g. 0644 → 0600), or the original's kept. */
export type DecryptedFileMode = 'ownerOnly' | 'keep';

interface EncryptFileParams {
  readonly keyId: string;
  /** More keys the file is encrypted for (any one decrypts); messages only. */
  readonly additionalKeyIds?: readonly string[];
  readonly encryptionContext?: EncryptionContext;
  readonly format?: FileOutputFormat;
}

/** One operation at a time per file: a second one waits, then finds the file as the first left it. */
export function encryptFileInPlace(path: string, params: EncryptFileParams, job: FileJob): Promise<EncryptedFile> {
  return withFileLock(path, () => encryptUnlocked(path, params, job));
}

async function encryptUnlocked(path: string, params: EncryptFileParams, job: FileJob): Promise<EncryptedFile> {
  const inspection = await inspectFile(path);
  const name = basename(path);
  if (isEncryptedFormat(inspection.format)) {
    throw new KmsError(
      'AlreadyEncrypted',
      `${name} is already encrypted (${describeFormat(inspection.format)}${inspection.info?.keyArns.length ? ` under ${inspection.info.keyArns.join(', ')}` : ''}). Decrypt it first, or re-encrypt it to change its key.`,
    );
  }
  const format = params.format ?? 'base64';
  if (format === 'sops')
    throw new KmsError(
      'InvalidArgument',
      `${name}: SOPS files are written by encryptSopsFileInPlace (../sops/sopsFiles.ts), which needs key ARNs.`,
    );
  const encryptionContext = params.encryptionContext ?? {};
  if (format === 'blob') {
    if (params.additionalKeyIds?.length)
      throw new KmsError(
        'InvalidArgument',
        `A KMS ciphertext blob is encrypted under exactly one key; to encrypt ${name} for several keys use the base64 or binary format (an Encryption SDK message).`,
      );
    if (inspection.size === 0)
      throw new KmsError(
        'PlaintextEmpty',
        `${name} is empty; KMS Encrypt needs 1 to 4,096 bytes. Use the base64 or binary format for empty files.`,
      );
    if (inspection.size > MAX_BLOB_PLAINTEXT) {
      throw new KmsError(
        'PlaintextTooLarge',
        `${name} has ${inspection.size.toLocaleString('en-US')} bytes: too large for a KMS ciphertext blob (KMS Encrypt takes at most 4,096 bytes). Use the base64 or binary format, which have no size limit.`,
      );
    }
    // Read after the replacement took its snapshot: a change during the KMS call is not overwritten.
    let keyId = params.keyId;
    const result = await replaceFileAtomically(
      path,
      async (sink, original) => {
        const plaintext = await original.readAll();
        if (plaintext.length === 0 || plaintext.length > MAX_BLOB_PLAINTEXT) throw changedMeanwhile(path);
        try {
          const out = await job
            .gatewayFor(undefined)
            .encrypt({ keyId: params.keyId, plaintext, encryptionContext }, { abortSignal: job.signal });
          keyId = out.keyId;
          await pipeline([Buffer.from(`${encodeBase64(out.ciphertext)}\n`, 'latin1')], sink, { signal: job.signal });
        } finally {
          plaintext.fill(0);
        }
      },
      replaceOptions(job, inspection),
    );
    return { path: result.path, keyId, keyIds: [keyId], format, encryptionContext, bytes: result.bytesWritten };
  }
  // The data key from KMS here (the guarded gateway); the frames, off this thread (cryptoWorker.ts).
  const material = await job.envelope.newDataKey({
    keyId: params.keyId,
    additionalKeyIds: params.additionalKeyIds,
    encryptionContext,
    signal: job.signal,
  });
  try {
    const header = newMessageHeader(material.dataKey, material.encryptedDataKeys, encryptionContext, job.envelope.frameLength);
    const result = await replaceFileAtomically(
      path,
      (sink, original) =>
        run((e) => e, cryptFile(original, sink, { op: 'encrypt', armor: format, dataKey: material.dataKey, header }, cryptOptions(job))),
      replaceOptions(job, inspection),
    );
    return {
      path: result.path,
      keyId: material.keyArns[0],
      keyIds: material.keyArns,
      format,
      encryptionContext,
      bytes: result.bytesWritten,
    };
  } finally {
    material.dataKey.fill(0);
  }
}

/** The header of a new message (format 2, committing suite, no signature) with its authentication. */
function newMessageHeader(
  dataKey: Buffer,
  encryptedDataKeys: readonly EncryptedDataKey[],
  encryptionContext: EncryptionContext,
  frameLength: number,
): Buffer {
  const suite = ALGORITHM_SUITES.get(DEFAULT_SUITE_ID)!;
  const messageId = randomBytes(32);
  const { commitment, derivedKey } = deriveCommittingKeys(suite, dataKey, messageId);
  try {
    const body = newHeaderBody({ suite, messageId, encryptionContext, encryptedDataKeys, frameLength, commitment });
    return Buffer.concat([body, headerAuthTag(derivedKey, body)]);
  } finally {
    derivedKey.fill(0);
  }
}

function cryptOptions(job: FileJob): CryptFileOptions {
  return { signal: job.signal, onProgress: job.onProgress, chunkSize: job.chunkSize, workerScript: job.workerScript };
}

/**
 * `keyId` (optional): decrypt only if the file is encrypted under this key. `mode`: the
 * plaintext is readable by its owner only (default), or keeps the file's mode.
 */
export function decryptFileInPlace(
  path: string,
  params: { encryptionContext?: EncryptionContext; keyId?: string; mode?: DecryptedFileMode },
  job: FileJob,
): Promise<DecryptedFile> {
  return withFileLock(path, () => decryptUnlocked(path, params, job));
}

async function decryptUnlocked(
  path: string,
  params: { encryptionContext?: EncryptionContext; keyId?: string; mode?: DecryptedFileMode },
  job: FileJob,
): Promise<DecryptedFile> {
  const inspection = await inspectFile(path);
  const format = inspection.format;
  const ownerOnly = params.mode !== 'keep';
  if (format.kind === 'plaintext') throw notEncrypted(path);
  if (format.kind === 'sops') {
    const out = await decryptSopsFileInPlace(path, {
      keys: job.sopsKeys ?? connectionKeyService(job.gatewayFor),
      signal: job.signal,
      faults: job.faults,
      allowHardLinks: job.allowHardLinks,
      ownerOnly,
    });
    return { path, keyId: out.openedWith, format: 'sops', encryptionContext: {}, bytes: out.bytes };
  }
  if (format.kind === 'blob') {
    const encryptionContext = params.encryptionContext ?? {};
    let keyId = '';
    const result = await replaceFileAtomically(
      path,
      async (sink, original) => {
        const bytes = blobOfText(await original.readAll());
        const out = await job
          .gatewayFor(undefined)
          .decrypt({ ciphertext: bytes, encryptionContext, keyId: params.keyId }, { abortSignal: job.signal })
          .catch((error: unknown) => {
            throw format.confidence === 'plausible' && error instanceof KmsError && error.code === 'InvalidCiphertextException'
              ? new KmsError(
                  error.code,
                  `${basename(path)} is not a KMS ciphertext this connection can decrypt: it is base64 of no known ciphertext shape, and KMS refused it (wrong key, wrong encryption context, altered, or not a ciphertext at all).`,
                )
              : error;
          });
        keyId = out.keyId;
        try {
          await pipeline([Buffer.from(out.plaintext)], sink, { signal: job.signal });
        } finally {
          out.plaintext.fill(0);
        }
      },
      replaceOptions(job, inspection, ownerOnly),
    );
    return { path: result.path, keyId, format: 'blob', encryptionContext, bytes: result.bytesWritten };
  }
  const header = inspection.header ?? (await readWholeHeader(path, format.armor));
  const keyArn = params.keyId ? await resolveKeyArn(job.gatewayFor(undefined), params.keyId) : undefined;
  if (!rewrapObstacle(header)) {
    // What we write (committing, unsigned, framed): the data key opened here, the frames off this thread.
    const opened = await job.envelope.openDataKey(header, { expectedContext: params.encryptionContext, keyArn, signal: job.signal });
    try {
      const headerBytes = Buffer.concat([header.headerBody, header.headerTag]);
      const result = await replaceFileAtomically(
        path,
        (sink, original) =>
          run(
            (e) => e,
            cryptFile(
              original,
              sink,
              { op: 'decrypt', armor: format.armor, dataKey: opened.dataKey, header: headerBytes },
              cryptOptions(job),
            ),
          ),
        replaceOptions(job, inspection, ownerOnly),
      );
      return {
        path: result.path,
        keyId: opened.keyArn,
        format: format.armor,
        encryptionContext: { ...header.encryptionContext },
        bytes: result.bytesWritten,
      };
    } finally {
      opened.dataKey.fill(0);
    }
  }
  // Signed messages (the AWS Encryption CLI's default): the Encryption SDK's stream.
  const decryption = await job.envelope.decryptStream(header, { expectedContext: params.encryptionContext, keyArn, signal: job.signal });
  const result = await replaceFileAtomically(
    path,
    (sink, original) =>
      run(
        decryption.explain,
        pipelineOf(
          [
            ...source(original, job),
            ...(format.armor === 'base64' ? [new Base64ArmorDecoder()] : []),
            new MessageEndGuard(header),
            decryption.create(),
            sink,
          ],
          job.signal,
        ),
      ),
    replaceOptions(job, inspection, ownerOnly),
  );
  return {
    path: result.path,
    keyId: decryption.keyArn(),
    format: format.armor,
    encryptionContext: { ...header.encryptionContext },
    bytes: result.bytesWritten,
  };
}

export function reEncryptFileInPlace(path: string, params: ReEncryptParams, job: FileJob): Promise<ReEncryptedFile> {
  return withFileLock(path, () => reEncryptUnlocked(path, params, job));
}

type ReEncryptParams = {
  keyId: string;
  encryptionContext?: EncryptionContext;
  sourceEncryptionContext?: EncryptionContext;
  format?: FileOutputFormat;
};

async function reEncryptUnlocked(path: string, params: ReEncryptParams, job: FileJob): Promise<ReEncryptedFile> {
  const inspection = await inspectFile(path);
  const format = inspection.format;
  if (format.kind === 'plaintext') throw notEncrypted(path);
  if (format.kind === 'sops') {
    throw new KmsError(
      'SopsUnsupported',
      `${basename(path)} is a SOPS file: change its keys with "KMS: Add KMS Key to SOPS File" / "Remove KMS Key from SOPS File" (its values stay as they are), or give it a new data key with "KMS: Rotate SOPS Data Key".`,
    );
  }
  if (format.kind === 'blob') {
    if (params.format && params.format !== 'blob')
      throw new KmsError(
        'InvalidArgument',
        `${basename(path)} is a KMS ciphertext blob; re-encrypting keeps it one. Decrypt it and encrypt it again to change its format.`,
      );
    const sourceContext = params.sourceEncryptionContext ?? {};
    const encryptionContext = params.encryptionContext ?? sourceContext;
    let keyId = '';
    let sourceKeyId = '';
    const result = await replaceFileAtomically(
      path,
      async (sink, original) => {
        const bytes = blobOfText(await original.readAll());
        const out = await job.gatewayFor(undefined).reEncrypt(
          {
            ciphertext: bytes,
            destinationKeyId: params.keyId,
            sourceEncryptionContext: sourceContext,
            destinationEncryptionContext: encryptionContext,
          },
          { abortSignal: job.signal },
        );
        keyId = out.keyId;
        sourceKeyId = out.sourceKeyId;
        await pipeline([Buffer.from(`${encodeBase64(out.ciphertext)}\n`, 'latin1')], sink, { signal: job.signal });
      },
      replaceOptions(job, inspection),
    );
    return {
      path: result.path,
      keyId,
      keyIds: [keyId],
      sourceKeyId,
      format: 'blob',
      encryptionContext,
      bytes: result.bytesWritten,
      method: 'blob',
    };
  }
  if (params.format === 'blob')
    throw new KmsError(
      'InvalidArgument',
      `${basename(path)} is an Encryption SDK message; it can be re-encrypted as base64 or binary, not as a KMS blob.`,
    );
  const header = inspection.header ?? (await readWholeHeader(path, format.armor));
  const outFormat = params.format ?? format.armor;
  const input = (original: OriginalFile): [NodeJS.ReadableStream, ...Transform[]] =>
    format.armor === 'base64' ? [...source(original, job), new Base64ArmorDecoder()] : source(original, job);
  const output = (): Transform[] => (outFormat === 'base64' ? [new Base64ArmorEncoder()] : []);

  if (!rewrapObstacle(header)) {
    let keyId = '';
    let sourceKeyId = '';
    let encryptionContext: EncryptionContext = header.encryptionContext;
    const stage = rewrapStage(
      job.gatewayFor,
      { keyId: params.keyId, encryptionContext: params.encryptionContext },
      {
        signal: job.signal,
        onHeader: (h) => {
          keyId = h.keyArn;
          sourceKeyId = h.sourceKeyArn;
          encryptionContext = h.encryptionContext;
        },
      },
    );
    const result = await replaceFileAtomically(
      path,
      (sink, original) => run((error) => error, pipelineOf([...input(original), stage, ...output(), sink], job.signal)),
      replaceOptions(job, inspection),
    );
    return {
      path: result.path,
      keyId,
      keyIds: [keyId],
      sourceKeyId,
      format: outFormat,
      encryptionContext,
      bytes: result.bytesWritten,
      method: 'rewrap',
    };
  }
  // Signed or format-1 messages: decrypt and encrypt again, plaintext only in memory, a frame at a time.
  const encryptionContext = params.encryptionContext ?? withoutReservedKeys(header.encryptionContext);
  const out = await decryptAndEncryptAgain(path, header, inspection, job, { input, output, keyIds: [params.keyId], encryptionContext });
  return { ...out, format: outFormat, encryptionContext, method: 'reencrypt' };
}

export interface RekeyedFile extends ReEncryptedFile {
  /** ARNs of the keys added and removed. */
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/**
 * Adds or removes keys of an Encryption SDK message in place (`change.add`/`remove`, or
 * `keyIds`, the new set). Messages without signature get only their header rewritten: the
 * data key wrapped under each added key, the data keys of removed keys dropped, the content
 * untouched. Signed messages are decrypted and encrypted again for the new set, streamed. KMS
 * blobs are under exactly one key: refused.
 */
export function rekeyFileInPlace(path: string, change: KeyChange, job: FileJob): Promise<RekeyedFile> {
  return withFileLock(path, () => rekeyUnlocked(path, change, job));
}

async function rekeyUnlocked(path: string, change: KeyChange, job: FileJob): Promise<RekeyedFile> {
  const inspection = await inspectFile(path);
  const format = inspection.format;
  const name = basename(path);
  if (format.kind === 'plaintext') throw notEncrypted(path);
  if (format.kind === 'sops')
    throw new KmsError(
      'SopsUnsupported',
      `${name} is a SOPS file: change its keys with "KMS: Add KMS Key to SOPS File" / "Remove KMS Key from SOPS File".`,
    );
  if (format.kind === 'blob') {
    throw new KmsError(
      'InvalidArgument',
      `${name} is a KMS ciphertext blob, which is encrypted under exactly one key. To encrypt it for several keys, decrypt it and encrypt it again as an Encryption SDK message (base64 or binary).`,
    );
  }
  const header = inspection.header ?? (await readWholeHeader(path, format.armor));
  const input = (original: OriginalFile): [NodeJS.ReadableStream, ...Transform[]] =>
    format.armor === 'base64' ? [...source(original, job), new Base64ArmorDecoder()] : source(original, job);
  const output = (): Transform[] => (format.armor === 'base64' ? [new Base64ArmorEncoder()] : []);
  if (!rewrapObstacle(header)) {
    let rewrapped: RewrappedHeader | undefined;
    const stage = rewrapStage(
      job.gatewayFor,
      { ...change, limit: MAX_ENCRYPTED_DATA_KEYS },
      { signal: job.signal, onHeader: (h) => (rewrapped = h) },
    );
    const result = await replaceFileAtomically(
      path,
      (sink, original) => run((error) => error, pipelineOf([...input(original), stage, ...output(), sink], job.signal)),
      replaceOptions(job, inspection),
    );
    if (!rewrapped) throw new KmsError('RewrapFailed', `${name}: the header was not rewritten.`);
    const keyIds = [...(rewrapped.keyArns ?? [])];
    return {
      path: result.path,
      keyId: keyIds[0],
      keyIds,
      sourceKeyId: rewrapped.sourceKeyArn,
      format: format.armor,
      encryptionContext: header.encryptionContext,
      bytes: result.bytesWritten,
      method: 'rewrap',
      added: rewrapped.added ?? [],
      removed: rewrapped.removed ?? [],
    };
  }
  // Signed or format-1 messages: decrypted and encrypted again for the new set of keys.
  const current = header.encryptedDataKeys.filter((k) => k.providerId === KMS_PROVIDER_ID).map((k) => k.providerInfo);
  const plan = await planKeyChange(current, change, job.gatewayFor, MAX_ENCRYPTED_DATA_KEYS);
  const encryptionContext = withoutReservedKeys(header.encryptionContext);
  const out = await decryptAndEncryptAgain(path, header, inspection, job, { input, output, keyIds: plan.result, encryptionContext });
  return { ...out, format: format.armor, encryptionContext, method: 'reencrypt', added: plan.add, removed: plan.remove };
}

/**
 * Re-encrypts a message that cannot be re-wrapped (signed, or format 1): decrypted and
 * encrypted again under `keyIds` (the first makes the data key), streamed, the plaintext only
 * in memory a frame at a time; the file replaced atomically.
 */
async function decryptAndEncryptAgain(
  path: string,
  header: MessageHeader,
  inspection: FileInspection,
  job: FileJob,
  how: {
    input: (original: OriginalFile) => [NodeJS.ReadableStream, ...Transform[]];
    output: () => Transform[];
    keyIds: readonly string[];
    encryptionContext: EncryptionContext;
  },
): Promise<{ path: string; keyId: string; keyIds: string[]; sourceKeyId: string; bytes: number }> {
  const decryption = await job.envelope.decryptStream(header, { signal: job.signal });
  const encryption = await job.envelope.encryptStream({
    keyId: how.keyIds[0],
    additionalKeyIds: how.keyIds.slice(1),
    encryptionContext: how.encryptionContext,
    signal: job.signal,
  });
  const result = await replaceFileAtomically(
    path,
    (sink, original) =>
      run(
        (error) => {
          const fromDecrypt = decryption.explain(error);
          return fromDecrypt !== error ? fromDecrypt : encryption.explain(error);
        },
        pipelineOf(
          [...how.input(original), new MessageEndGuard(header), decryption.create(), encryption.create(), ...how.output(), sink],
          job.signal,
        ),
      ),
    replaceOptions(job, inspection),
  );
  return {
    path: result.path,
    keyId: encryption.keyArn(),
    keyIds: encryption.keyArns(),
    sourceKeyId: decryption.keyArn(),
    bytes: result.bytesWritten,
  };
}

/** The Encryption SDK adds "aws-crypto-public-key" to the context of signed messages; it is not the person's. */
function withoutReservedKeys(context: EncryptionContext): EncryptionContext {
  return Object.fromEntries(Object.entries(context).filter(([k]) => !k.startsWith('aws-crypto-')));
}

type Stage =
  | NodeJS.ReadableStream
  | NodeJS.WritableStream
  | NodeJS.ReadWriteStream
  | ((source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer>)
  | Writable;

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
  return new KmsError(
    'NotEncrypted',
    `${basename(path)} is not encrypted: it is neither an AWS Encryption SDK message (binary or base64) nor a KMS ciphertext blob, so there is nothing to decrypt.`,
  );
}

function blobOfText(content: Buffer): Buffer {
  return Buffer.from(withoutBom(content).toString('latin1').trim(), 'base64');
}

function changedMeanwhile(path: string): KmsError {
  return new KmsError(
    'FileChangedOnDisk',
    `${basename(path)} changed on disk while it was being encrypted; it was left as it is now. Try again.`,
  );
}

/** For headers larger than the inspected head (huge encryption contexts). */
async function readWholeHeader(path: string, armor: 'base64' | 'binary'): Promise<MessageHeader> {
  const raw = await readHead(path, armor === 'base64' ? Math.ceil((MAX_HEADER_BYTES * 4) / 3) + 64 * 1024 : MAX_HEADER_BYTES);
  const bytes = armor === 'base64' ? decodeArmorPrefix(raw) : raw;
  const header = bytes ? parseMessageHeader(bytes) : undefined;
  if (!header) throw tampered('its header is truncated or longer than 1 MiB');
  return header;
}
