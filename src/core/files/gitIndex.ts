// Reading git's index file (gitformat-index) in-process: the set of paths it holds, so
// "is this file tracked?" needs no `git` process (see gitTracked.ts).
//
// Versions 2, 3 and 4 with SHA-1 object ids. Every entry counts as tracked, whatever its
// stage (a conflict), its extended flags (skip-worktree, intent-to-add: `git ls-files` lists
// them) or its mode (a submodule's gitlink). Anything this reader does not fully understand
// throws GitIndexUnsupported, and the caller asks git instead: a split index (`link`), a
// sparse index (`sdir`, or a sparse-directory entry), an unknown required extension, another
// version, a bad signature, length or checksum, an index over MAX_INDEX_BYTES.
//
// The file is read asynchronously and parsed (and its checksum hashed) in slices, yielding to
// the event loop between them: a 200,000-file index is ~100 ms of work, never in one block.
// Paths are kept as 'latin1' strings of their raw bytes, so a lookup compares bytes exactly
// (see indexKey). The parsed set is cached per index file, keyed by the file's size, mtime,
// ctime and inode (git replaces the index by renaming a new file over it, so each write
// changes the inode and ctime); a changed index is read again. An index read within two
// seconds of its write is "racy" (as git calls it): a write just after could keep all four
// (coarse timestamps, a reused inode number), so its checksum is compared as well.
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { readAt, readRange } from './fileIo';

/** Above this the index is not read here (git answers): a bound on the memory and the parse. */
export const MAX_INDEX_BYTES = 64 * 1024 * 1024;
const SHA1_BYTES = 20;
const HEADER_BYTES = 12;
/** ctime, mtime (seconds, nanoseconds), dev, ino, mode, uid, gid, size: ten 32-bit fields. */
const STAT_BYTES = 40;
const FLAG_EXTENDED = 0x4000;
const NAME_MASK = 0x0fff;
const MODE_TYPE_MASK = 0o170000;
const MODE_DIRECTORY = 0o040000;
/** How many parsed indexes are kept (one per repository or worktree in use). */
const CACHE_LIMIT = 8;

/** The index cannot be read here; git must answer. The message says why (for tests and logs). */
export class GitIndexUnsupported extends Error {
  override readonly name = 'GitIndexUnsupported';
}

/** The form in which the index's paths are kept: the path's UTF-8 bytes, one char per byte. */
export function indexKey(relativePath: string): string {
  return Buffer.from(relativePath, 'utf8').toString('latin1');
}

/** The paths (as indexKey strings) of every entry of an index file's content. */
export function parseGitIndex(data: Buffer): Set<string> {
  const steps = parseSteps(data);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** parseGitIndex in slices, letting the event loop run between them (a large index takes 100 ms and more). */
export async function parseGitIndexInSlices(data: Buffer): Promise<Set<string>> {
  const steps = parseSteps(data);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Entries (and bytes hashed) per slice: a few milliseconds of work. */
const SLICE_ENTRIES = 2_000;
const SLICE_BYTES = 1024 * 1024;

function* parseSteps(data: Buffer): Generator<void, Set<string>> {
  const fail = (why: string): never => {
    throw new GitIndexUnsupported(`git index: ${why}`);
  };
  if (data.length < HEADER_BYTES + SHA1_BYTES) fail('too short');
  if (data.toString('latin1', 0, 4) !== 'DIRC') fail('bad signature');
  const version = data.readUInt32BE(4);
  if (version !== 2 && version !== 3 && version !== 4) fail(`version ${version} is not read here`);
  const count = data.readUInt32BE(8);
  const end = data.length - SHA1_BYTES;
  const trailer = data.subarray(end);
  // index.skipHash writes a zero checksum; any other must match.
  if (trailer.some((byte) => byte !== 0)) {
    const hash = createHash('sha1');
    for (let at = 0; at < end; at += SLICE_BYTES) {
      hash.update(data.subarray(at, Math.min(end, at + SLICE_BYTES)));
      yield;
    }
    if (!hash.digest().equals(trailer)) fail('checksum mismatch');
  }

  const paths = new Set<string>();
  let offset = HEADER_BYTES;
  let previous = '';
  for (let i = 0; i < count; i++) {
    if (i % SLICE_ENTRIES === SLICE_ENTRIES - 1) yield;
    const entryStart = offset;
    if (offset + STAT_BYTES + SHA1_BYTES + 2 > end) fail('entries run past the end');
    const mode = data.readUInt32BE(offset + 24);
    if ((mode & MODE_TYPE_MASK) === MODE_DIRECTORY) fail('sparse-directory entry (sparse index)');
    offset += STAT_BYTES + SHA1_BYTES;
    const flags = data.readUInt16BE(offset);
    offset += 2;
    if (flags & FLAG_EXTENDED) {
      if (version < 3) fail('extended flag in a version 2 index');
      offset += 2;
    }
    let path: string;
    if (version === 4) {
      // Prefix compression: strip N bytes off the end of the previous path, add the rest.
      let byte = data[offset++] ?? fail('entries run past the end');
      let strip = byte & 0x7f;
      while (byte & 0x80) {
        byte = data[offset++] ?? fail('entries run past the end');
        strip = (strip + 1) * 128 + (byte & 0x7f);
        if (strip > previous.length) fail('bad path prefix');
      }
      if (strip > previous.length) fail('bad path prefix');
      const nul = data.indexOf(0, offset);
      if (nul < 0 || nul >= end) fail('unterminated path');
      path = previous.slice(0, previous.length - strip) + data.toString('latin1', offset, nul);
      offset = nul + 1;
    } else {
      const nameLength = flags & NAME_MASK;
      const nul = nameLength < NAME_MASK ? offset + nameLength : data.indexOf(0, offset + NAME_MASK);
      if (nul < 0 || nul >= end || data[nul] !== 0) fail('bad path length');
      path = data.toString('latin1', offset, nul);
      // 1 to 8 NUL bytes pad the entry to a multiple of 8.
      offset = entryStart + ((nul - entryStart + 8) & ~7);
      if (offset > end) fail('entries run past the end');
    }
    if (path === '') fail('empty path');
    paths.add(path);
    previous = path;
  }

  // Extensions: a 4-byte signature, a 32-bit size, the data. An upper-case first letter marks
  // an optional one (a cache: skipped); a lower-case one changes what the entries mean.
  while (offset < end) {
    if (offset + 8 > end) fail('extension header runs past the end');
    const signature = data.toString('latin1', offset, offset + 4);
    const size = data.readUInt32BE(offset + 4);
    const first = signature.charCodeAt(0);
    if (!(first >= 0x41 && first <= 0x5a)) fail(`required extension '${signature}' is not read here`);
    offset += 8 + size;
    if (offset > end) fail('extension runs past the end');
  }
  return paths;
}

interface ParsedIndex {
  paths: Set<string>;
  /** The file's last 20 bytes: its checksum (zero under index.skipHash). */
  checksum: Buffer;
}
interface CachedIndex {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  parsed: Promise<ParsedIndex>;
  /**
   * Read less than RACY_MS after it was written: a later write could leave the same size
   * and (coarse) timestamps, even the same inode number, so the checksum is compared too.
   */
  racy: boolean;
}
const cache = new Map<string, CachedIndex>();
/** Wider than any file system's timestamp granularity. */
const RACY_MS = 2_000;

/**
 * The paths of an index file (parseGitIndex), from the cache while the file is unchanged.
 * Throws GitIndexUnsupported when git must answer; an ENOENT error when there is no index.
 */
export async function readGitIndexPaths(indexPath: string): Promise<Set<string>> {
  const info = await stat(indexPath);
  const checkedAt = Date.now();
  const cached = cache.get(indexPath);
  if (
    cached &&
    cached.size === info.size &&
    cached.mtimeMs === info.mtimeMs &&
    cached.ctimeMs === info.ctimeMs &&
    cached.ino === info.ino &&
    (!cached.racy || (await sameChecksum(indexPath, info.size, cached)))
  ) {
    // Checked after the write's timestamps grew old: any later write changes them.
    if (cached.racy && checkedAt - info.mtimeMs >= RACY_MS) cached.racy = false;
    return (await cached.parsed).paths;
  }
  if (info.size > MAX_INDEX_BYTES) throw new GitIndexUnsupported(`git index: larger than ${MAX_INDEX_BYTES} bytes`);
  const parsed = readIndexFile(indexPath);
  // What was stat'ed keys the entry: a file replaced meanwhile only makes the next call read again.
  const entry: CachedIndex = {
    size: info.size,
    mtimeMs: info.mtimeMs,
    ctimeMs: info.ctimeMs,
    ino: info.ino,
    parsed,
    racy: checkedAt - info.mtimeMs < RACY_MS,
  };
  cache.delete(indexPath);
  cache.set(indexPath, entry);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  void parsed.catch(() => {
    if (cache.get(indexPath) === entry) cache.delete(indexPath);
  });
  return (await parsed).paths;
}

async function sameChecksum(indexPath: string, size: number, cached: CachedIndex): Promise<boolean> {
  const { checksum } = await cached.parsed;
  if (checksum.every((byte) => byte === 0) || size < SHA1_BYTES) return false;
  return (await readRange(indexPath, SHA1_BYTES, size - SHA1_BYTES)).equals(checksum);
}

async function readIndexFile(indexPath: string): Promise<ParsedIndex> {
  const handle = await open(indexPath, 'r');
  try {
    const { size } = await handle.stat();
    if (size > MAX_INDEX_BYTES) throw new GitIndexUnsupported(`git index: larger than ${MAX_INDEX_BYTES} bytes`);
    const content = await readAt(handle, size, 0);
    return {
      paths: await parseGitIndexInSlices(content),
      checksum: Buffer.from(content.subarray(Math.max(0, content.length - SHA1_BYTES))),
    };
  } finally {
    await handle.close();
  }
}

/** Test seam: forget every parsed index. */
export function clearGitIndexCache(): void {
  cache.clear();
}
