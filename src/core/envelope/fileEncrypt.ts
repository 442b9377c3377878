// Encrypting a file in place: as an Encryption SDK message (base64 or binary, the frames off
// this thread) or as one KMS ciphertext blob (at most 4,096 bytes).
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { KmsError } from '../kms/errors';
import { replaceFileAtomically, withFileLock } from '../files/atomicReplace';
import { encodeBase64 } from './base64';
import { isEncryptedFormat } from './detect';
import { MAX_BLOB_PLAINTEXT } from './kmsBlob';
import { cryptFile, prestartCryptoWorker } from './cryptoWorker';
import {
  ALGORITHM_SUITES,
  DEFAULT_SUITE_ID,
  deriveCommittingKeys,
  type EncryptedDataKey,
  headerAuthTag,
  newHeaderBody,
  type EncryptionContext,
} from './messageFormat';
import { describeFormat, inspectFile } from './fileInspection';
import { cryptOptions, type EncryptedFile, type FileJob, type FileOutputFormat, replaceOptions, run } from './fileJob';

interface EncryptFileParams {
  readonly keyId: string;
  /** More keys the file is encrypted for (any one decrypts); messages only. */
  readonly additionalKeyIds?: readonly string[];
  readonly encryptionContext?: EncryptionContext;
  readonly format?: FileOutputFormat;
  /**
   * Settles once the key is known to be usable (the caller's DescribeKey, running meanwhile):
   * awaited before anything is encrypted under the key or written; its refusal is the error.
   */
  readonly keyChecked?: Promise<void>;
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
      `${name} is already encrypted ` +
        `(${describeFormat(inspection.format)}${inspection.info?.keyArns.length ? ` under ${inspection.info.keyArns.join(', ')}` : ''}). Decrypt it ` +
        `first, or re-encrypt it to change its key.`,
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
        `A KMS ciphertext blob is encrypted under exactly one key; to encrypt ${name} for several keys use the base64 or binary format (an ` +
          `Encryption SDK message).`,
      );
    if (inspection.size === 0)
      throw new KmsError(
        'PlaintextEmpty',
        `${name} is empty; KMS Encrypt needs 1 to 4,096 bytes. Use the base64 or binary format for empty files.`,
      );
    if (inspection.size > MAX_BLOB_PLAINTEXT) {
      throw new KmsError(
        'PlaintextTooLarge',
        `${name} has ${inspection.size.toLocaleString('en-US')} bytes: too large for a KMS ciphertext blob (KMS Encrypt takes at most 4,096 bytes). ` +
          `Use the base64 or binary format, which have no size limit.`,
      );
    }
    await params.keyChecked;
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
  // The data key from KMS here (the guarded gateway); the frames, off this thread (cryptoWorker.ts),
  // whose worker starts meanwhile.
  prestartCryptoWorker(inspection.size, job.workerScript);
  // GenerateDataKey and the caller's check of the key go at once; the check's refusal wins.
  const [made, checked] = await Promise.allSettled([
    job.envelope.newDataKey({
      keyId: params.keyId,
      additionalKeyIds: params.additionalKeyIds,
      encryptionContext,
      signal: job.signal,
    }),
    params.keyChecked,
  ]);
  if (checked.status === 'rejected') {
    if (made.status === 'fulfilled') made.value.dataKey.fill(0);
    throw checked.reason;
  }
  if (made.status === 'rejected') throw made.reason;
  const material = made.value;
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

function changedMeanwhile(path: string): KmsError {
  return new KmsError(
    'FileChangedOnDisk',
    `${basename(path)} changed on disk while it was being encrypted; it was left as it is now. Try again.`,
  );
}
