// Replacing a file's content in place, atomically: the new content goes to a temporary file
// in the same folder (created exclusively, owner-only, then given the original's mode or the
// one asked for), is flushed to disk, and is renamed over the original; the folder is flushed
// too. On any failure or cancel the temporary file is removed and the original is untouched.
//
// No lost update: the original is opened once, its identity and state taken (fstat: device,
// inode, size, modification and change times) before a byte is read, and the writer reads it
// through that same descriptor. Right before the rename the path is checked against that
// snapshot: a file changed (or replaced) on disk meanwhile is left as it is now, so the bytes
// replaced are exactly the bytes that were read.
//
// One operation at a time per file: withFileLock serialises everything done to one real path
// in this process (the second waits, then sees what the first left).
//
// Used for encrypting and decrypting files in place: the temporary file is the only place
// the new content is written, and it becomes the final file (or is removed).
import { randomBytes } from 'node:crypto';
import { constants, createReadStream, type ReadStream, type Stats } from 'node:fs';
import { access, type FileHandle, lstat, open, readdir, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { KmsError } from '../kms/errors';
import { readAt, syncDirectory } from './fileIo';
import { recoverBeforeOperation } from './prefixJournal';

/**
 * Test seam: hooks called at each step of a replacement; one that throws makes that step
 * fail, as a full disk, a failing device or a crash at that moment would.
 */
export interface WriteFaults {
  /** Before writing a chunk; `written` bytes are already in the temporary file. */
  beforeWrite?(written: number, chunkLength: number): void;
  beforeSync?(): void;
  beforeRename?(): void;
}

export interface ReplaceOptions {
  readonly signal?: AbortSignal;
  readonly faults?: WriteFaults;
  /** The new file keeps only the owner's permission bits of the original (group and others: none). */
  readonly ownerOnly?: boolean;
  /** Replace a file that has other hard links (they keep the old content); refused otherwise. */
  readonly allowHardLinks?: boolean;
  /** The state the file was in when the caller looked at it: refused (FileChangedOnDisk) if it is not any more. */
  readonly expect?: FileState;
}

/** What identifies a version of a file, cheaply. */
export interface FileState {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

/** The original file, open for reading: read it only through this (see the header comment). */
export interface OriginalFile {
  /** Its real path (symbolic links resolved). */
  readonly path: string;
  readonly size: number;
  readonly handle: FileHandle;
  /** A stream of its whole content, from its first byte, through the open descriptor. */
  stream(highWaterMark?: number): ReadStream;
  /** Its whole content (small files). */
  readAll(): Promise<Buffer>;
}

/** What a person may want to know before a file is rewritten in place. */
export interface FileFacts {
  /** The path as given is a symbolic link (to `realPath`). */
  readonly symlink: boolean;
  readonly realPath: string;
  /** Other names of the same file (hard links) keep the old content when it is replaced. */
  readonly otherHardLinks: number;
  /** Marked read-only (no write permission for its owner), or this process may not write to it. */
  readonly readOnly: boolean;
}

/** Facts about a file to be rewritten, for the host to ask about. */
export async function fileFacts(target: string): Promise<FileFacts> {
  // Asked at once (each is a round trip through libuv's thread pool); stat and access follow links as realpath does.
  const [link, realPath, info, writable] = await Promise.all([
    lstat(target),
    realpath(target),
    stat(target),
    access(target, constants.W_OK).then(
      () => true,
      () => false,
    ),
  ]);
  const readOnly = (info.mode & 0o200) === 0 || !writable;
  return { symlink: link.isSymbolicLink(), realPath, otherHardLinks: Math.max(0, info.nlink - 1), readOnly };
}

/** Tails of the per-file operation queues, by real path. */
const locks = new Map<string, Promise<unknown>>();

/**
 * Runs `task` when no other task of this process holds `target` (by real path, so two names
 * of one file share the lock); the next one waits for it to finish, whatever its outcome.
 * An in-place header rewrite interrupted by a crash is recovered first (prefixJournal.ts).
 * `task` is told the real path the lock is held by (`target` itself when it has none).
 */
export async function withFileLock<T>(target: string, task: (realPath: string) => Promise<T>): Promise<T> {
  const key = await realpath(target).catch(() => target);
  const previous = locks.get(key) ?? Promise.resolve();
  const recovered = async (): Promise<T> => {
    await recoverBeforeOperation(key);
    return task(key);
  };
  const run = previous.then(recovered, recovered);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  locks.set(key, tail);
  try {
    return await run;
  } finally {
    if (locks.get(key) === tail) locks.delete(key);
  }
}

export interface ReplaceResult {
  /** The file replaced (symbolic links resolved). */
  readonly path: string;
  readonly bytesWritten: number;
}

/** Temporary files of this module: `.<name>.kmswb-<hex>.tmp` beside the file. */
const TEMP_PATTERN = /^\..+\.kmswb-[0-9a-f]{16}\.tmp$/;
/** Temporary files still being written by this process (never cleaned up as stale). */
const inFlight = new Set<string>();
/**
 * Large files are flushed to disk every this many bytes while they are written (one flush at a
 * time, on the thread pool), so the final flush finds little left to write.
 */
const EARLY_FLUSH_BYTES = 8 * 1024 * 1024;
/** Temporary files older than this are left-overs of a crash and removed. */
const STALE_MS = 10 * 60 * 1000;

export function isTemporaryFileName(name: string): boolean {
  return TEMP_PATTERN.test(name);
}

/**
 * Writes the file's new content through `write` (which pipes into the given sink, reading the
 * original only through `original`, and resolves when done) and puts it in place of `target`
 * atomically.
 */
export async function replaceFileAtomically(
  target: string,
  write: (sink: Writable, original: OriginalFile) => Promise<void>,
  options: ReplaceOptions = {},
): Promise<ReplaceResult> {
  const path = await realpath(target);
  const input = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  let temp: string | undefined;
  let handle: FileHandle | undefined;
  try {
    const before = await input.stat();
    if (!before.isFile()) throw new KmsError('NotAFile', `${target} is not a regular file.`);
    const expect = options.expect;
    if (expect && (expect.size !== before.size || expect.mtimeMs !== before.mtimeMs || expect.ino !== before.ino))
      throw changedOnDisk(path);
    if (before.nlink > 1 && !options.allowHardLinks) {
      throw new KmsError(
        'HardLinked',
        `${basename(path)} has ${before.nlink - 1} other hard link${before.nlink > 2 ? 's' : ''}: they would keep the old content when it is ` +
          `rewritten. Confirm to rewrite it anyway (scripted: confirm: true), or copy it to a file of its own.`,
      );
    }
    const dir = dirname(path);
    sweepNowAndThen(dir);
    temp = join(dir, `.${basename(path)}.kmswb-${randomBytes(8).toString('hex')}.tmp`);
    inFlight.add(temp);
    // Exclusive create, owner-only until the final mode is applied: nothing is ever
    // readable by more people than could read the original.
    handle = await open(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
    const created = handle;
    await Promise.all([
      created.chmod(before.mode & (options.ownerOnly ? 0o700 : 0o7777)),
      created.chown(before.uid, before.gid).catch(() => undefined),
    ]);
    const sink = new FileSink(handle, options.faults);
    await write(sink, originalFile(path, before.size, input));
    if (!sink.finished) throw new Error('The content writer resolved before finishing the file.');
    options.signal?.throwIfAborted();
    options.faults?.beforeSync?.();
    await sink.settled();
    await handle.sync();
    const closing = handle.close();
    handle = undefined;
    const [now] = await Promise.all([stat(path), closing]);
    if (changed(before, now)) throw changedOnDisk(path);
    options.signal?.throwIfAborted();
    options.faults?.beforeRename?.();
    await rename(temp, path);
    inFlight.delete(temp);
    await syncDirectory(dir);
    return { path, bytesWritten: sink.bytesWritten };
  } catch (error) {
    await handle?.close().catch(() => undefined);
    if (temp) await unlink(temp).catch(() => undefined);
    throw error;
  } finally {
    if (temp) inFlight.delete(temp);
    // Not awaited: after the rename this is the last reference to the old content, and closing
    // it frees its blocks (10-20 ms for 64 MiB, in the kernel), which nobody needs to wait for.
    void input.close().catch(() => undefined);
  }
}

function originalFile(path: string, size: number, handle: FileHandle): OriginalFile {
  return {
    path,
    size,
    handle,
    // The stream must not close the descriptor: the replacement still needs it, and closes it.
    stream: (highWaterMark = 1024 * 1024) =>
      createReadStream('', { fd: handle, start: 0, highWaterMark, autoClose: false, emitClose: true }),
    readAll: () => readAt(handle, size, 0),
  };
}

function changedOnDisk(path: string): KmsError {
  return new KmsError(
    'FileChangedOnDisk',
    `${basename(path)} changed on disk while it was being rewritten; it was left as it is now. Try again.`,
  );
}

/** Whether the file `b` describes is not the one `a` described any more, or was written since. */
export function changed(a: Stats, b: Stats): boolean {
  return a.size !== b.size || a.mtimeMs !== b.mtimeMs || a.ctimeMs !== b.ctimeMs || a.ino !== b.ino || a.dev !== b.dev;
}

/** When each folder was last swept for left-over temporary files (by this process). */
const lastSweep = new Map<string, number>();

/**
 * Removes left-over temporary files of `dir` in the background, at most once per STALE_MS / 2
 * per folder: a write never waits for its folder to be listed (a large folder takes a while),
 * and the extension sweeps the workspace at startup as well.
 */
function sweepNowAndThen(dir: string): void {
  const now = Date.now();
  if (now - (lastSweep.get(dir) ?? -Infinity) < STALE_MS / 2) return;
  lastSweep.set(dir, now);
  if (lastSweep.size > 1000) lastSweep.delete(lastSweep.keys().next().value as string);
  removeStaleTemporaryFiles(dir).catch(() => undefined);
}

/** Removes temporary files left in `dir` by a crash (untouched for ten minutes, not in use here). */
export async function removeStaleTemporaryFiles(dir: string): Promise<string[]> {
  const removed: string[] = [];
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!isTemporaryFileName(name)) continue;
    const file = join(dir, name);
    if (await removeIfStaleTemporaryFile(file)) removed.push(file);
  }
  return removed;
}

/**
 * Removes `file` when it is one of our temporary files, not being written by this process,
 * and untouched for `olderThanMs`. A temporary file another window is writing is touched at
 * least once per KMS call's time limit (100 s), so two minutes and more means a crash.
 */
export async function removeIfStaleTemporaryFile(file: string, olderThanMs = STALE_MS): Promise<boolean> {
  if (!isTemporaryFileName(basename(file)) || inFlight.has(file)) return false;
  const info = await lstat(file).catch(() => undefined);
  if (!info?.isFile() || Date.now() - info.mtimeMs <= olderThanMs) return false;
  return unlink(file).then(
    () => true,
    () => false,
  );
}

/**
 * The temporary file's descriptor, for a writer on another thread (the file-crypto worker)
 * that writes it itself with positioned writes: `done` accounts the bytes it wrote and ends
 * the sink. The writer must have finished every write (and may have flushed some) before
 * calling `done` or failing: the replacement closes the descriptor once its writer settles.
 */
export interface DirectWrites {
  readonly fd: number;
  /** Where the writer starts (bytes already in the file). */
  readonly position: number;
  /** Flush as it goes, every so many bytes (the disk works while the content is still being made). */
  readonly flushEvery: number;
  done(bytesWritten: number): Promise<void>;
}

/** The method of a sink whose file may be written directly (see DirectWrites). */
export const directWrites = Symbol('directWrites');

/** Direct writes into `sink`, when it offers them now. */
export function directWritesOf(sink: Writable): DirectWrites | undefined {
  const offer = (sink as { [directWrites]?: () => DirectWrites | undefined })[directWrites];
  return typeof offer === 'function' ? offer.call(sink) : undefined;
}

/** Writes into an open file, counting bytes and passing each write by the fault hooks. */
class FileSink extends Writable {
  bytesWritten = 0;
  finished = false;
  /** Flushes started while writing, so the disk works while the content is still being made. */
  private readonly flushes: Promise<void>[] = [];
  private flushedUpTo = 0;
  /** A flush is running: the next starts after it (each holds a thread of the pool). */
  private flushing = false;

  /** Waits for the flushes started while writing (their failures surface in the final sync). */
  async settled(): Promise<void> {
    await Promise.allSettled(this.flushes);
  }

  constructor(
    private readonly handle: FileHandle,
    private readonly faults: WriteFaults | undefined,
  ) {
    // Room for a few chunks: the next chunk is read while one is written (at 1 MiB, a single
    // pending write held reading back).
    super({ highWaterMark: 4 * 1024 * 1024 });
    this.once('finish', () => (this.finished = true));
  }

  /**
   * While nothing is queued, and without a write fault hook (it sees each write, so it keeps
   * the writes on this thread).
   */
  [directWrites](): DirectWrites | undefined {
    if (this.faults?.beforeWrite || this.writableLength > 0 || this.writableEnded || this.destroyed) return undefined;
    return {
      fd: this.handle.fd,
      position: this.bytesWritten,
      flushEvery: EARLY_FLUSH_BYTES,
      done: (bytesWritten) => {
        this.bytesWritten += bytesWritten;
        return new Promise<void>((resolve, reject) => this.end((error?: Error | null) => (error ? reject(error) : resolve())));
      },
    };
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeAll([chunk]).then(() => callback(), callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.writeAll(chunks.map((c) => c.chunk)).then(() => callback(), callback);
  }

  private async writeAll(chunks: Buffer[]): Promise<void> {
    const length = chunks.reduce((n, c) => n + c.length, 0);
    this.faults?.beforeWrite?.(this.bytesWritten, length);
    let buffers = chunks;
    let left = length;
    while (left > 0) {
      const { bytesWritten } = await this.handle.writev(buffers);
      this.bytesWritten += bytesWritten;
      left -= bytesWritten;
      if (left > 0) buffers = remaining(buffers, bytesWritten);
    }
    if (!this.flushing && this.bytesWritten - this.flushedUpTo >= EARLY_FLUSH_BYTES) {
      this.flushedUpTo = this.bytesWritten;
      this.flushing = true;
      this.flushes.push(
        this.handle
          .datasync()
          .catch(() => undefined)
          .finally(() => (this.flushing = false)),
      );
    }
  }
}

function remaining(buffers: Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}
