// Rewriting the first bytes of a file in place, crash-safe: what Re-encrypt File does when a
// message's new header has the length of the old one (the body stays where it is, untouched).
//
// The journal: before a byte of the file changes, the original bytes of the range (and the
// new ones) are written to `.<name>.kmswb-journal` beside it and flushed (the file and its
// folder); then the range is overwritten and flushed (O_DSYNC: that range only, not the rest
// of the file's dirty pages); then the journal is removed.
// Only ciphertext goes in a journal (a message's header: its encrypted data keys, never a
// plaintext or a data key). A journal found later means the rewrite was interrupted (a crash,
// a power cut): recoverPrefixJournal puts the original bytes back (or, when the new bytes are
// all on disk, keeps them), so the file is always either as it was or as it was to become.
// withFileLock (atomicReplace.ts) runs the recovery before any operation on the file.
//
// Journal layout: "KMSWB-JOURNAL 1\n", a line of JSON (offset, length, the file's size and
// inode, the writer's process id), the original bytes, the new bytes, and a SHA-256 of all that
// (a journal torn by the crash itself fails it and is dropped: the file was not touched yet).
import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, readFile, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { KmsError } from '../kms/errors';
import { readAt, syncDirectory } from './fileIo';

const MAGIC = 'KMSWB-JOURNAL 1\n';
/** A journal of another live process younger than this is its rewrite in progress: left alone. */
const FOREIGN_STALE_MS = 10 * 60 * 1000;

/** Test seam: each hook that throws makes that step fail, as a full disk or a failing device would. */
export interface PrefixFaults {
  /** After the journal is on disk, before the file is written. */
  afterJournal?(): void;
  /** Before the new bytes are written (`length` of them at `offset`). */
  beforeWrite?(written: number, length: number): void;
  /** After the write, before the file is flushed. */
  beforeSync?(): void;
  /** After the flush, before the journal is removed (the commit). */
  beforeCommit?(): void;
}

interface JournalMeta {
  readonly offset: number;
  readonly length: number;
  readonly size: number;
  readonly ino: number;
  readonly pid: number;
}

/** Where the journal of `path` (a real path) lives. */
export function journalPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.kmswb-journal`);
}

export function isJournalFileName(name: string): boolean {
  return /^\..+\.kmswb-journal$/.test(name);
}

function encodeJournal(meta: JournalMeta, before: Buffer, after: Buffer): Buffer {
  const head = Buffer.from(`${MAGIC}${JSON.stringify(meta)}\n`, 'utf8');
  const body = Buffer.concat([head, before, after]);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

function decodeJournal(bytes: Buffer): { meta: JournalMeta; before: Buffer; after: Buffer } | undefined {
  if (bytes.length < MAGIC.length + 32 || bytes.toString('latin1', 0, MAGIC.length) !== MAGIC) return undefined;
  const body = bytes.subarray(0, bytes.length - 32);
  if (
    !createHash('sha256')
      .update(body)
      .digest()
      .equals(bytes.subarray(bytes.length - 32))
  )
    return undefined;
  const eol = body.indexOf(0x0a, MAGIC.length);
  if (eol < 0) return undefined;
  let meta: JournalMeta;
  try {
    meta = JSON.parse(body.toString('utf8', MAGIC.length, eol)) as JournalMeta;
  } catch {
    return undefined;
  }
  const data = body.subarray(eol + 1);
  if (!Number.isSafeInteger(meta.length) || data.length !== 2 * meta.length) return undefined;
  return { meta, before: data.subarray(0, meta.length), after: data.subarray(meta.length) };
}

async function writeAllAt(handle: FileHandle, bytes: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

/**
 * Writes the journal of a rewrite of `before.length` bytes at `offset` of the file at `path`
 * (open as `handle`), flushed with its folder. Exported for the crash tests; use rewritePrefix.
 */
export async function writePrefixJournal(path: string, handle: FileHandle, offset: number, before: Buffer, after: Buffer): Promise<string> {
  const { journal, closed } = await writeJournal(path, handle.stat(), offset, before, after);
  await closed;
  return journal;
}

/**
 * writePrefixJournal, answering once the journal is flushed; `closed` settles when its descriptor
 * is closed (before it is removed). `stated`: the file's facts (asked while the journal opens);
 * `check` refuses them before anything is written.
 */
async function writeJournal(
  path: string,
  stated: Promise<Stats>,
  offset: number,
  before: Buffer,
  after: Buffer,
  check?: (info: Stats) => void,
): Promise<{ journal: string; closed: Promise<void> }> {
  const journal = journalPathFor(path);
  // Exclusive: a journal already there is another rewrite's (recovery runs before ours).
  const [info, opened] = await Promise.allSettled([
    stated,
    open(journal, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600),
  ]);
  if (opened.status === 'rejected') throw opened.reason;
  const out = opened.value;
  try {
    if (info.status === 'rejected') throw info.reason;
    check?.(info.value);
    const { size, ino } = info.value;
    const bytes = encodeJournal({ offset, length: before.length, size, ino, pid: process.pid }, before, after);
    // The journal's name in the folder (it exists since the open) is flushed while its bytes are
    // written and flushed: both are on disk before this returns, and so before a byte of the file changes.
    await Promise.all([writeAllAt(out, bytes, 0).then(() => out.sync()), syncDirectory(dirname(path))]);
  } catch (error) {
    await out.close().catch(() => undefined);
    await unlink(journal).catch(() => undefined);
    throw error;
  }
  return { journal, closed: out.close() };
}

/**
 * Replaces `before.length` bytes at `offset` of the file open as `handle` (at `path`, its real
 * path) with `after` (same length), crash-safe (see the header comment). `unchanged` refuses the
 * file's facts (stat'ed once, while the journal opens) before anything is written: the caller's
 * check that the file is still the one it read. On a failure the original bytes are put back at
 * once; if even that fails, the journal stays for the next operation on the file to recover from.
 */
export async function rewritePrefix(
  path: string,
  handle: FileHandle,
  change: { offset: number; before: Buffer; after: Buffer; unchanged?: (info: Stats) => void },
  faults?: PrefixFaults,
): Promise<void> {
  const { offset, before, after } = change;
  if (before.length !== after.length) throw new Error('An in-place rewrite must keep the length of what it replaces.');
  // One stat of the file serves the caller's check, the journal and the O_DSYNC descriptor's.
  const stated = handle.stat();
  stated.catch(() => undefined);
  // Written through a descriptor of its own opened O_DSYNC where there is one: each write is on
  // disk when it returns, and only its range is flushed (an fdatasync would also write out every
  // other dirty page of the file: a whole gigabyte just copied there).
  const [opened, written] = await Promise.allSettled([
    openSynced(path, stated),
    writeJournal(path, stated, offset, before, after, change.unchanged),
  ]);
  if (opened.status === 'rejected' || written.status === 'rejected') {
    if (opened.status === 'fulfilled') await opened.value?.close().catch(() => undefined);
    if (written.status === 'fulfilled') {
      await written.value.closed.catch(() => undefined);
      await unlink(written.value.journal).catch(() => undefined);
    }
    throw written.status === 'rejected' ? written.reason : (opened as PromiseRejectedResult).reason;
  }
  const synced = opened.value;
  const { journal, closed } = written.value;
  // The journal's descriptor closes meanwhile (closed before the journal is removed, as Windows needs).
  closed.catch(() => undefined);
  let touched = false;
  const flush = async (): Promise<void> => {
    if (!synced) await handle.datasync();
  };
  try {
    faults?.afterJournal?.();
    faults?.beforeWrite?.(0, after.length);
    touched = true;
    await writeAllAt(synced ?? handle, after, offset);
    faults?.beforeSync?.();
    await flush();
    faults?.beforeCommit?.();
  } catch (error) {
    try {
      if (touched) {
        await writeAllAt(synced ?? handle, before, offset);
        await flush();
      }
      await closed.catch(() => undefined);
      await unlink(journal);
    } catch {
      // The journal stays: the next operation on this file restores it (withFileLock).
    }
    throw error;
  } finally {
    // Its writes are on disk when they return: the close is not waited for.
    void synced?.close().catch(() => undefined);
  }
  // Not flushed: a journal that outlives a crash finds the new bytes on disk and is just removed.
  await closed.catch(() => undefined);
  await unlink(journal);
}

/** `path` opened for synchronous data writes (O_DSYNC), when the platform has it and it is still the file `stated` describes. */
async function openSynced(path: string, stated: Promise<Stats>): Promise<FileHandle | undefined> {
  if (!constants.O_DSYNC) return undefined;
  const synced = await open(path, constants.O_WRONLY | constants.O_DSYNC | (constants.O_NOFOLLOW ?? 0)).catch(() => undefined);
  if (!synced) return undefined;
  const [a, b] = await Promise.all([synced.stat(), stated]).catch(async (error: unknown) => {
    await synced.close().catch(() => undefined);
    throw error;
  });
  if (a.ino === b.ino && a.dev === b.dev) return synced;
  await synced.close().catch(() => undefined);
  throw new KmsError(
    'FileChangedOnDisk',
    `${basename(path)} was replaced on disk while it was being re-encrypted; it was left as it is now. Try again.`,
  );
}

export type RecoveryOutcome = 'none' | 'restored' | 'kept' | 'discarded' | 'busy';

/**
 * Recovers `path` (a real path) from the journal of an interrupted in-place rewrite, if there
 * is one: the range as it was before (nothing happened) or as it was to become (all of it on
 * disk) is kept and the journal removed; a range half-written is restored from the journal. A
 * torn journal (the crash came while it was written: the file was not touched) or one that no
 * longer fits the file (replaced since) is removed. A journal of another live process younger
 * than ten minutes is its rewrite in progress: left alone ('busy').
 */
export async function recoverPrefixJournal(path: string): Promise<RecoveryOutcome> {
  const journal = journalPathFor(path);
  const bytes = await readFile(journal).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!bytes) return 'none';
  const parsed = decodeJournal(bytes);
  if (parsed && parsed.meta.pid !== process.pid && processAlive(parsed.meta.pid)) {
    const age = Date.now() - (await stat(journal)).mtimeMs;
    if (age < FOREIGN_STALE_MS) return 'busy';
  }
  const drop = async (outcome: RecoveryOutcome): Promise<RecoveryOutcome> => {
    await unlink(journal).catch(() => undefined);
    await syncDirectory(dirname(path));
    return outcome;
  };
  if (!parsed) return drop('discarded');
  const { meta, before, after } = parsed;
  const handle = await open(path, constants.O_RDWR | (constants.O_NOFOLLOW ?? 0)).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!handle) return drop('discarded');
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size !== meta.size || info.ino !== meta.ino) return await drop('discarded');
    const now = await readAt(handle, meta.length, meta.offset);
    if (now.equals(before)) return await drop('none');
    if (now.equals(after)) {
      await handle.datasync();
      return await drop('kept');
    }
    // A torn write: every byte is the old or the new one. Anything else is not ours to undo.
    for (let i = 0; i < now.length; i++) if (now[i] !== before[i] && now[i] !== after[i]) return await drop('discarded');
    await writeAllAt(handle, before, meta.offset);
    await handle.datasync();
    return await drop('restored');
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** recoverPrefixJournal, its failure explained (the file's operations wait on it). */
export async function recoverBeforeOperation(path: string): Promise<RecoveryOutcome> {
  try {
    return await recoverPrefixJournal(path);
  } catch (error) {
    throw new KmsError(
      'JournalRecoveryFailed',
      `${basename(path)} was being re-encrypted when KMS Workbench stopped, and its original header could not be put back ` +
        `from ${basename(journalPathFor(path))} (${error instanceof Error ? error.message : String(error)}). Make the file and its folder writable, then ` +
        `try again; until then the file is left as it is.`,
    );
  }
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
