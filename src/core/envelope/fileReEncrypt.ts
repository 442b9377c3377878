// Re-encrypting a file in place under another key (reEncryptFileInPlace) and adding or removing
// keys (rekeyFileInPlace): unsigned messages get only their header rewritten (rewrap.ts): in
// place when its length stays (headerInPlace.ts: the body is not read but for its final frame),
// else streamed into a new file; signed or format-1 ones are decrypted and encrypted again,
// streamed; blobs go through KMS ReEncrypt.
import { basename } from 'node:path';
import { type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KmsError } from '../kms/errors';
import { type OriginalFile, replaceFileAtomically, withFileLock } from '../files/atomicReplace';
import { Base64ArmorDecoder, Base64ArmorEncoder, encodeBase64 } from './base64';
import { MessageEndGuard } from './messageEnd';
import { type EncryptionContext, KMS_PROVIDER_ID, MAX_ENCRYPTED_DATA_KEYS, type MessageHeader } from './messageFormat';
import {
  type HeaderInMaking,
  type KeyChange,
  makeRewrappedHeader,
  planKeyChange,
  rekeyHeader,
  type RewrappedHeader,
  rewrapObstacle,
  rewrapStage,
} from './rewrap';
import { type InPlaceOptions, rewrapHeaderInPlace } from './headerInPlace';
import { type FileInspection, inspectFile, readWholeHeader } from './fileInspection';
import {
  blobOfText,
  type FileJob,
  type FileOutputFormat,
  notEncrypted,
  pipelineOf,
  type ReEncryptedFile,
  replaceOptions,
  run,
  source,
} from './fileJob';

export async function reEncryptFileInPlace(path: string, params: ReEncryptParams, job: FileJob): Promise<ReEncryptedFile> {
  // KMS is asked for the new header of what the caller inspected while the file is locked,
  // inspected again and read: taken only if the file still holds exactly that header.
  const early = earlyHeader(params, job);
  try {
    return await withFileLock(path, (realPath) => reEncryptUnlocked(path, params, job, early, realPath));
  } finally {
    early?.discard();
  }
}

/** A new header asked of KMS ahead of time, for the header the caller inspected. */
interface EarlyHeader {
  /** The new header, if `header` is the one it is made from (then it is the taker's to zero). */
  take(header: MessageHeader): HeaderInMaking | undefined;
  /** Zeroes its key unless it was taken. */
  discard(): void;
}

function earlyHeader(params: ReEncryptParams, job: FileJob): EarlyHeader | undefined {
  const format = params.inspected?.format;
  const inspected = params.inspected?.header;
  // Only where the header alone is rewritten: a message kept in its armor.
  if (!inspected || format?.kind !== 'message' || (params.format && params.format !== format.armor) || rewrapObstacle(inspected))
    return undefined;
  const making = makeRewrappedHeader(inspected, job.gatewayFor, target(params), { signal: job.signal });
  const made = making.made;
  // Awaited when taken; a refusal for a header that is not taken (the file changed) goes nowhere.
  made.catch(() => undefined);
  let settled = false;
  return {
    take(header) {
      if (settled || !header.headerBody.equals(inspected.headerBody) || !header.headerTag.equals(inspected.headerTag)) return undefined;
      settled = true;
      return making;
    },
    discard() {
      if (settled) return;
      settled = true;
      made.then(
        (h) => h.derivedKey.fill(0),
        () => undefined,
      );
    },
  };
}

function target(params: ReEncryptParams): { keyId: string; encryptionContext?: EncryptionContext; keyChecked?: Promise<void> } {
  return { keyId: params.keyId, encryptionContext: params.encryptionContext, keyChecked: params.keyChecked };
}

type ReEncryptParams = {
  keyId: string;
  /**
   * Settles once the new key is known to be usable (the caller's DescribeKey, running
   * meanwhile): awaited before anything is encrypted under the key or written; its refusal is the error.
   */
  keyChecked?: Promise<void>;
  encryptionContext?: EncryptionContext;
  sourceEncryptionContext?: EncryptionContext;
  format?: FileOutputFormat;
  /** The file as the caller inspected it (before the lock): its new header is asked for at once. */
  inspected?: FileInspection;
};

async function reEncryptUnlocked(
  path: string,
  params: ReEncryptParams,
  job: FileJob,
  early?: EarlyHeader,
  realPath?: string,
): Promise<ReEncryptedFile> {
  // A message whose header alone is rewritten (there is an early header): the in-place attempt
  // reads the header under the lock and checks the file's facts against the caller's
  // inspection, so the file is not inspected again first; a file changed since is inspected
  // afresh (below) and re-encrypted as it is now.
  const given = early && params.inspected;
  const inspection = given || (await inspectFile(path));
  const format = inspection.format;
  if (format.kind === 'plaintext') throw notEncrypted(path);
  if (format.kind === 'sops') {
    throw new KmsError(
      'SopsUnsupported',
      `${basename(path)} is a SOPS file: change its keys with "KMS: Add KMS Key to SOPS File" / "Remove KMS Key from SOPS File" (its values stay as ` +
        `they are), or give it a new data key with "KMS: Rotate SOPS Data Key".`,
    );
  }
  if (format.kind === 'blob') {
    if (params.format && params.format !== 'blob')
      throw new KmsError(
        'InvalidArgument',
        `${basename(path)} is a KMS ciphertext blob; re-encrypting keeps it one. Decrypt it and encrypt it again to change its format.`,
      );
    await params.keyChecked;
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
    const inPlace =
      outFormat === format.armor
        ? await rewrapHeaderInPlace(
            path,
            format.armor,
            (h) => early?.take(h) ?? makeRewrappedHeader(h, job.gatewayFor, target(params), { signal: job.signal }),
            { ...inPlaceOptions(job, inspection), realPath },
          )
        : undefined;
    if (inPlace?.done) {
      const h = inPlace.rewrapped;
      return {
        path: inPlace.path,
        keyId: h.keyArn,
        keyIds: [h.keyArn],
        sourceKeyId: h.sourceKeyArn,
        format: outFormat,
        encryptionContext: h.encryptionContext,
        bytes: inPlace.size,
        method: 'rewrap',
      };
    }
    // Not the file the caller inspected any more (or not writable in place): looked at afresh.
    if (given && !inPlace?.prepared) return reEncryptUnlocked(path, { ...params, inspected: undefined }, job, early, realPath);
    let keyId = '';
    let sourceKeyId = '';
    let encryptionContext: EncryptionContext = header.encryptionContext;
    const stage = rewrapStage(job.gatewayFor, target(params), {
      signal: job.signal,
      prepared: inPlace?.prepared,
      onHeader: (h) => {
        keyId = h.keyArn;
        sourceKeyId = h.sourceKeyArn;
        encryptionContext = h.encryptionContext;
      },
    });
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
  await params.keyChecked;
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
      `${name} is a KMS ciphertext blob, which is encrypted under exactly one key. To encrypt it for several keys, decrypt it and encrypt it again ` +
        `as an Encryption SDK message (base64 or binary).`,
    );
  }
  const header = inspection.header ?? (await readWholeHeader(path, format.armor));
  const input = (original: OriginalFile): [NodeJS.ReadableStream, ...Transform[]] =>
    format.armor === 'base64' ? [...source(original, job), new Base64ArmorDecoder()] : source(original, job);
  const output = (): Transform[] => (format.armor === 'base64' ? [new Base64ArmorEncoder()] : []);
  if (!rewrapObstacle(header)) {
    const inPlace = await rewrapHeaderInPlace(
      path,
      format.armor,
      (h) => ({ made: rekeyHeader(h, job.gatewayFor, change, { signal: job.signal, limit: MAX_ENCRYPTED_DATA_KEYS }) }),
      inPlaceOptions(job, inspection),
    );
    /** What a header-only rekey returns, written in place or streamed. */
    const rekeyed = (h: RewrappedHeader, at: string, bytes: number): RekeyedFile => {
      const keyIds = [...(h.keyArns ?? [])];
      return {
        path: at,
        keyId: keyIds[0],
        keyIds,
        sourceKeyId: h.sourceKeyArn,
        format: format.armor,
        encryptionContext: header.encryptionContext,
        bytes,
        method: 'rewrap',
        added: h.added ?? [],
        removed: h.removed ?? [],
      };
    };
    if (inPlace.done) return rekeyed(inPlace.rewrapped, inPlace.path, inPlace.size);
    let rewrapped: RewrappedHeader | undefined;
    const stage = rewrapStage(
      job.gatewayFor,
      { ...change, limit: MAX_ENCRYPTED_DATA_KEYS },
      { signal: job.signal, prepared: inPlace.prepared, onHeader: (h) => (rewrapped = h) },
    );
    const result = await replaceFileAtomically(
      path,
      (sink, original) => run((error) => error, pipelineOf([...input(original), stage, ...output(), sink], job.signal)),
      replaceOptions(job, inspection),
    );
    if (!rewrapped) throw new KmsError('RewrapFailed', `${name}: the header was not rewritten.`);
    return rekeyed(rewrapped, result.path, result.bytesWritten);
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

/** The in-place header rewrite checks what the replacement checks: the file as inspected. */
function inPlaceOptions(job: FileJob, inspection: FileInspection): InPlaceOptions {
  return { signal: job.signal, expect: inspection.state, faults: job.faults };
}

/** The Encryption SDK adds "aws-crypto-public-key" to the context of signed messages; it is not the person's. */
function withoutReservedKeys(context: EncryptionContext): EncryptionContext {
  return Object.fromEntries(Object.entries(context).filter(([k]) => !k.startsWith('aws-crypto-')));
}
