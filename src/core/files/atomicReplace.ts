// Replacing a file's content in place, atomically: the new content goes to a temporary file
// in the same folder (created exclusively, with the original's mode from the first byte),
// is flushed to disk, and is renamed over the original; the folder is flushed too. On any
// failure or cancel the temporary file is removed and the original is untouched. A file that
// changes on disk while its replacement is written is not overwritten.
//
// Used for encrypting and decrypting files in place: the temporary file is the only place
// the new content is written, and it becomes the final file (or is removed).
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, readdir, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { KmsError } from '../kms/errors';

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
/** Large files are flushed to disk every this many bytes while they are written. */
const EARLY_FLUSH_BYTES = 32 * 1024 * 1024;
/** Temporary files older than this are left-overs of a crash and removed. */
const STALE_MS = 10 * 60 * 1000;

export function isTemporaryFileName(name: string): boolean {
  return TEMP_PATTERN.test(name);
}

/**
 * Writes the file's new content through `write` (which pipes into the given sink and
 * resolves when done) and puts it in place of `target` atomically.
 */
export async function replaceFileAtomically(target: string, write: (sink: Writable) => Promise<void>, options: ReplaceOptions = {}): Promise<ReplaceResult> {
  const path = await realpath(target);
  const before = await stat(path);
  if (!before.isFile()) throw new KmsError('NotAFile', `${target} is not a regular file.`);
  const dir = dirname(path);
  await removeStaleTemporaryFiles(dir);
  const temp = join(dir, `.${basename(path)}.kmswb-${randomBytes(8).toString('hex')}.tmp`);
  inFlight.add(temp);
  let handle: FileHandle | undefined;
  try {
    // Exclusive create, owner-only until the original's mode is applied: nothing is ever
    // readable by more people than could read the original.
    handle = await open(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
    await handle.chmod(before.mode & 0o7777);
    await handle.chown(before.uid, before.gid).catch(() => undefined);
    const sink = new FileSink(handle, options.faults);
    await write(sink);
    if (!sink.finished) throw new Error('The content writer resolved before finishing the file.');
    options.signal?.throwIfAborted();
    options.faults?.beforeSync?.();
    await sink.settled();
    await handle.sync();
    await handle.close();
    handle = undefined;
    const now = await stat(path);
    if (changed(before, now)) {
      throw new KmsError('FileChangedOnDisk', `${basename(path)} changed on disk while it was being rewritten; it was left as it is now. Try again.`);
    }
    options.signal?.throwIfAborted();
    options.faults?.beforeRename?.();
    await rename(temp, path);
    inFlight.delete(temp);
    await syncDirectory(dir);
    return { path, bytesWritten: sink.bytesWritten };
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  } finally {
    inFlight.delete(temp);
  }
}

function changed(a: Stats, b: Stats): boolean {
  return a.size !== b.size || a.mtimeMs !== b.mtimeMs || a.ino !== b.ino;
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY).catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close().catch(() => undefined);
}

/** Removes temporary files left in `dir` by a crash (older than ten minutes, not in use here). */
export async function removeStaleTemporaryFiles(dir: string): Promise<string[]> {
  const removed: string[] = [];
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!isTemporaryFileName(name)) continue;
    const file = join(dir, name);
    if (inFlight.has(file)) continue;
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile() && Date.now() - info.mtimeMs > STALE_MS) {
      await unlink(file).then(
        () => removed.push(file),
        () => undefined,
      );
    }
  }
  return removed;
}

/** Writes into an open file, counting bytes and passing each write by the fault hooks. */
class FileSink extends Writable {
  bytesWritten = 0;
  finished = false;
  /** Flushes started while writing, so the disk works while the content is still being made. */
  private readonly flushes: Promise<void>[] = [];
  private flushedUpTo = 0;

  /** Waits for the flushes started while writing (their failures surface in the final sync). */
  async settled(): Promise<void> {
    await Promise.allSettled(this.flushes);
  }

  constructor(
    private readonly handle: FileHandle,
    private readonly faults: WriteFaults | undefined,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    this.once('finish', () => (this.finished = true));
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
    if (this.bytesWritten - this.flushedUpTo >= EARLY_FLUSH_BYTES) {
      this.flushedUpTo = this.bytesWritten;
      this.flushes.push(this.handle.datasync().catch(() => undefined));
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
