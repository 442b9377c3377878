// SOPS files on disk: decrypt in place (what sops --decrypt prints), encrypt in place as a new
// SOPS file, add/remove KMS keys and rotate the data key. Every write is an atomic replace with
// the same guarantees as the other in-place writes: one operation per file at a time, and the
// file replaced only if it is still the version that was read (a change made meanwhile, during
// the KMS calls, is never overwritten).
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type FileState, replaceFileAtomically, withFileLock, type WriteFaults } from '../files/atomicReplace';
import { KmsError } from '../kms/errors';
import {
  decryptSopsText,
  encryptNew,
  formatForName,
  type NewKmsKey,
  type NewSopsOptions,
  readSopsFile,
  type SopsDocument,
  type SopsFormat,
  type SopsKeyService,
} from './sopsFile';
import { rotateDataKey, updateKmsKeys } from './sopsRekey';

export interface SopsJob {
  readonly keys: SopsKeyService;
  readonly signal?: AbortSignal;
  readonly faults?: WriteFaults;
  /** Rewrite a file that has other hard links (they keep the old content); refused otherwise. */
  readonly allowHardLinks?: boolean;
  /** Decrypt: the plaintext keeps only the owner's permissions (default true). */
  readonly ownerOnly?: boolean;
}

/** The file's state, taken before it is read: the replacement is refused if the file is no longer this version. */
async function stateOf(path: string): Promise<FileState> {
  const info = await stat(path);
  return { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino };
}

async function readDocument(path: string): Promise<{ text: string; doc: SopsDocument; state: FileState }> {
  const state = await stateOf(path);
  const text = await readFile(path, 'utf8');
  const doc = readSopsFile(basename(path), text);
  if (!doc) throw new KmsError('NotSops', `${basename(path)} is not a SOPS file (it has no sops metadata).`);
  return { text, doc, state };
}

async function write(path: string, bytes: Buffer, job: SopsJob, expect: FileState, ownerOnly = false): Promise<number> {
  const result = await replaceFileAtomically(path, (sink) => pipeline([bytes], sink, { signal: job.signal }), {
    faults: job.faults,
    signal: job.signal,
    allowHardLinks: job.allowHardLinks,
    expect,
    ownerOnly,
  });
  return result.bytesWritten;
}

/** Decrypts a SOPS file in place. The caller holds the file's lock (decryptFileInPlace does). */
export async function decryptSopsFileInPlace(
  path: string,
  job: SopsJob,
): Promise<{ openedWith: string; store: SopsFormat; bytes: number }> {
  const state = await stateOf(path);
  const text = await readFile(path, 'utf8');
  const out = await decryptSopsText(basename(path), text, job.keys, job.signal);
  try {
    return {
      openedWith: out.openedWith,
      store: out.document.format,
      bytes: await write(path, out.plaintext, job, state, job.ownerOnly ?? true),
    };
  } finally {
    out.plaintext.fill(0);
  }
}

export function encryptSopsFileInPlace(
  path: string,
  options: Omit<NewSopsOptions, 'format'> & { format?: SopsFormat },
  job: SopsJob,
): Promise<{ store: SopsFormat; bytes: number }> {
  return withFileLock(path, async () => {
    const state = await stateOf(path);
    const plaintext = await readFile(path);
    try {
      const format = options.format ?? formatForName(basename(path));
      const text = await encryptNew(plaintext, { ...options, format }, job.keys, job.signal);
      return { store: format, bytes: await write(path, Buffer.from(text, 'utf8'), job, state) };
    } finally {
      plaintext.fill(0);
    }
  });
}

export function updateSopsKeysInPlace(
  path: string,
  change: { add?: readonly NewKmsKey[]; remove?: readonly string[] },
  job: SopsJob,
): Promise<{ added: string[]; removed: string[]; kmsKeys: string[] }> {
  return withFileLock(path, async () => {
    const { doc, state } = await readDocument(path);
    const out = await updateKmsKeys(doc, change, job.keys, job.signal);
    await write(path, Buffer.from(out.text, 'utf8'), job, state);
    const after = readSopsFile(basename(path), out.text)!;
    return { added: out.added, removed: out.removed, kmsKeys: after.metadata.groups.flatMap((g) => g.kms.map((k) => k.arn)) };
  });
}

export function rotateSopsFileInPlace(path: string, job: SopsJob): Promise<{ kmsKeys: string[] }> {
  return withFileLock(path, async () => {
    const { doc, state } = await readDocument(path);
    const text = await rotateDataKey(doc, job.keys, job.signal);
    await write(path, Buffer.from(text, 'utf8'), job, state);
    return { kmsKeys: doc.metadata.groups.flatMap((g) => g.kms.map((k) => k.arn)) };
  });
}

/** The KMS key ARNs and every master key of a SOPS file (for trust checks and messages). */
export async function sopsFileKeys(path: string): Promise<{ kmsKeys: string[]; doc: SopsDocument }> {
  const { doc } = await readDocument(path);
  return { kmsKeys: doc.metadata.groups.flatMap((g) => g.kms.map((k) => k.arn)), doc };
}
