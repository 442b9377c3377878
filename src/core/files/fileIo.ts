// The few file reads and flushes the file operations share: a positioned read through an open
// descriptor, the same of a path, and flushing a folder (so a new or renamed name in it
// survives a crash). Descriptors opened here are closed without waiting: each step is a round
// trip through libuv's thread pool, which a busy extension host makes slow.
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/** Reads `length` bytes at `position` of an open file (fewer at the end of the file). */
export async function readAt(handle: FileHandle, length: number, position: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}

/** Reads `length` bytes at `position` of the file at `path` (fewer at its end). */
export async function readRange(path: string, length: number, position = 0): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    return await readAt(handle, length, position);
  } finally {
    void handle.close().catch(() => undefined);
  }
}

/** Flushes a folder's entries to disk (where the platform allows opening a folder; elsewhere nothing). */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY).catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  void handle.close().catch(() => undefined);
}
