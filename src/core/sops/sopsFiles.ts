// SOPS files on disk: decrypt in place (what sops --decrypt prints), encrypt in place as a new
// SOPS file, add/remove KMS keys and rotate the data key; every write is an atomic replace.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { replaceFileAtomically, type WriteFaults } from '../files/atomicReplace';
import { KmsError } from '../kms/errors';
import { decryptSopsText, encryptNew, formatForName, type NewKmsKey, type NewSopsOptions, readSopsFile, rotateDataKey, type SopsDocument, type SopsFormat, type SopsKeyService, updateKmsKeys } from './sopsFile';

export interface SopsJob {
  readonly keys: SopsKeyService;
  readonly signal?: AbortSignal;
  readonly faults?: WriteFaults;
}

async function readDocument(path: string): Promise<{ text: string; doc: SopsDocument }> {
  const text = await readFile(path, 'utf8');
  const doc = readSopsFile(basename(path), text);
  if (!doc) throw new KmsError('NotSops', `${basename(path)} is not a SOPS file (it has no sops metadata).`);
  return { text, doc };
}

async function write(path: string, bytes: Buffer, job: SopsJob): Promise<number> {
  const result = await replaceFileAtomically(path, (sink) => pipeline([bytes], sink, { signal: job.signal }), { faults: job.faults });
  return result.bytesWritten;
}

export async function decryptSopsFileInPlace(path: string, job: SopsJob): Promise<{ openedWith: string; store: SopsFormat; bytes: number }> {
  const text = await readFile(path, 'utf8');
  const out = await decryptSopsText(basename(path), text, job.keys, job.signal);
  try {
    return { openedWith: out.openedWith, store: out.document.format, bytes: await write(path, out.plaintext, job) };
  } finally {
    out.plaintext.fill(0);
  }
}

export async function encryptSopsFileInPlace(path: string, options: Omit<NewSopsOptions, 'format'> & { format?: SopsFormat }, job: SopsJob): Promise<{ store: SopsFormat; bytes: number }> {
  const plaintext = await readFile(path);
  try {
    const format = options.format ?? formatForName(basename(path));
    const text = await encryptNew(plaintext, { ...options, format }, job.keys, job.signal);
    return { store: format, bytes: await write(path, Buffer.from(text, 'utf8'), job) };
  } finally {
    plaintext.fill(0);
  }
}

export async function updateSopsKeysInPlace(path: string, change: { add?: readonly NewKmsKey[]; remove?: readonly string[] }, job: SopsJob): Promise<{ added: string[]; removed: string[]; kmsKeys: string[] }> {
  const { doc } = await readDocument(path);
  const out = await updateKmsKeys(doc, change, job.keys, job.signal);
  await write(path, Buffer.from(out.text, 'utf8'), job);
  const after = readSopsFile(basename(path), out.text)!;
  return { added: out.added, removed: out.removed, kmsKeys: after.metadata.groups.flatMap((g) => g.kms.map((k) => k.arn)) };
}

export async function rotateSopsFileInPlace(path: string, job: SopsJob): Promise<{ kmsKeys: string[] }> {
  const { doc } = await readDocument(path);
  const text = await rotateDataKey(doc, job.keys, job.signal);
  await write(path, Buffer.from(text, 'utf8'), job);
  return { kmsKeys: doc.metadata.groups.flatMap((g) => g.kms.map((k) => k.arn)) };
}

/** The KMS key ARNs and every master key of a SOPS file (for trust checks and messages). */
export async function sopsFileKeys(path: string): Promise<{ kmsKeys: string[]; doc: SopsDocument }> {
  const { doc } = await readDocument(path);
  return { kmsKeys: doc.metadata.groups.flatMap((g) => g.kms.map((k) => k.arn)), doc };
}
