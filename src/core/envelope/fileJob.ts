// The shared parts of the file operations (fileEncryption.ts): the job and result types, and
// the plumbing each path uses (progress, replace options, pipelines and their errors).
import { basename } from 'node:path';
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KmsError } from '../kms/errors';
import { type OriginalFile, type ReplaceOptions, type WriteFaults } from '../files/atomicReplace';
import { Base64FormatError, withoutBom } from './base64';
import { type EnvelopeCrypto, type GatewayForRegion } from './envelopeCrypto';
import { type CryptFileOptions } from './cryptoWorker';
import { type EncryptionContext, MessageFormatError, tampered } from './messageFormat';
import type { SopsKeyService } from '../sops/sopsFile';
import { type FileInspection } from './fileInspection';

/** How an encrypted file is written. */
export type FileOutputFormat = 'base64' | 'binary' | 'blob' | 'sops';
export const FILE_OUTPUT_FORMATS: readonly FileOutputFormat[] = ['base64', 'binary', 'blob', 'sops'];

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
export function source(original: OriginalFile, job: FileJob): [NodeJS.ReadableStream, Transform] {
  return [original.stream(job.chunkSize ?? 1024 * 1024), new Progress(original.size, job.onProgress)];
}

/** The file must still be as inspected when it is opened for the rewrite (what was decided on is what is rewritten). */
export function replaceOptions(job: FileJob, inspection: FileInspection, ownerOnly?: boolean): ReplaceOptions {
  return { signal: job.signal, faults: job.faults, allowHardLinks: job.allowHardLinks, ownerOnly, expect: inspection.state };
}

export function cryptOptions(job: FileJob): CryptFileOptions {
  return { signal: job.signal, onProgress: job.onProgress, chunkSize: job.chunkSize, workerScript: job.workerScript };
}

type Stage =
  | NodeJS.ReadableStream
  | NodeJS.WritableStream
  | NodeJS.ReadWriteStream
  | ((source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer>)
  | Writable;

export function pipelineOf(stages: Stage[], signal: AbortSignal | undefined): Promise<void> {
  return (pipeline as unknown as (...args: unknown[]) => Promise<void>)(...stages, { signal });
}

/** Awaits a pipeline and explains its failure (the Encryption SDK's texts become KmsErrors). */
export async function run(explain: (error: unknown) => unknown, done: Promise<void>): Promise<void> {
  try {
    await done;
  } catch (error) {
    if ((error as { name?: string }).name === 'AbortError') throw error;
    // The armor or the message structure is broken: the file was altered or cut short.
    if (error instanceof Base64FormatError || error instanceof MessageFormatError) throw tampered(error.message.replace(/\.$/, ''));
    throw explain(error);
  }
}

export function notEncrypted(path: string): KmsError {
  return new KmsError(
    'NotEncrypted',
    `${basename(path)} is not encrypted: it is neither an AWS Encryption SDK message (binary or base64) nor a KMS ciphertext blob, so there is ` +
      `nothing to decrypt.`,
  );
}

export function blobOfText(content: Buffer): Buffer {
  return Buffer.from(withoutBom(content).toString('latin1').trim(), 'base64');
}
