// Decrypting a file in place: SOPS files, KMS blobs, and Encryption SDK messages (unsigned ones
// with the frames off this thread, signed ones through the Encryption SDK's stream).
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { KmsError } from '../kms/errors';
import { replaceFileAtomically, withFileLock } from '../files/atomicReplace';
import { Base64ArmorDecoder } from './base64';
import { MessageEndGuard } from './messageEnd';
import { resolveKeyArn } from './envelopeCrypto';
import { cryptFile, prestartCryptoWorker } from './cryptoWorker';
import { type EncryptionContext } from './messageFormat';
import { rewrapObstacle } from './rewrap';
import { connectionKeyService } from '../sops/kmsKeyService';
import { decryptSopsFileInPlace } from '../sops/sopsFiles';
import { inspectFile, readWholeHeader } from './fileInspection';
import {
  blobOfText,
  cryptOptions,
  type DecryptedFile,
  type FileJob,
  notEncrypted,
  pipelineOf,
  replaceOptions,
  run,
  source,
} from './fileJob';

/** Mode of a decrypted file: the owner's permissions only (e.g. 0644 → 0600), or the original's kept. */
export type DecryptedFileMode = 'ownerOnly' | 'keep';

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
                  `${basename(path)} is not a KMS ciphertext this connection can decrypt: it is base64 of no known ciphertext shape, and KMS ` +
                    `refused it (wrong key, wrong encryption context, altered, or not a ciphertext at all).`,
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
    // What we write (committing, unsigned, framed): the data key opened here, the frames off
    // this thread (the worker starts while KMS answers).
    prestartCryptoWorker(inspection.size, job.workerScript);
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
