// Re-wrapping a message in place, header only: when the new header (new encrypted data keys,
// new authentication tag) has the length of the old one, which it has for a key of the same
// account and region (KMS ciphertexts of a data key have one length), only the bytes of the
// header change. They are rewritten where they are (crash-safe, prefixJournal.ts) and the body
// is not read, except its final frame: the message's end is found from the file's size and the
// frame length, and that frame's tag checked, so a message cut short or with bytes appended
// never gets a fresh header. Re-encrypting a gigabyte costs two KMS calls and a few reads.
//
// Base64 armor (76-character lines, "\n"): the header's bytes are in the first lines; with the
// header's length kept, the base64 of the rest is unchanged but for the 4-character group that
// straddles the header's end, which lies in those lines too. The lines covering the header are
// decoded, given the new header and encoded again (same length); the lines read must be
// exactly what this encoding writes (anything else, a byte order mark, CRLF, other line
// lengths, goes through the streamed path, which rewrites the whole armor).
//
// Anything unexpected (a new header of another length, a layout or a final frame that does not
// fit, a file with other hard links, which keep the old content, a file that may not be opened
// for writing) leaves the file untouched and answers
// `done: false`: the caller takes the streamed path, which explains what is wrong precisely.
import { constants } from 'node:fs';
import { type FileHandle, open, realpath } from 'node:fs/promises';
import { basename } from 'node:path';
import { changed, type FileState, type WriteFaults } from '../files/atomicReplace';
import { readAt } from '../files/fileIo';
import { rewritePrefix } from '../files/prefixJournal';
import { KmsError } from '../kms/errors';
import { armorLines, BASE64_LINE_LENGTH, BYTES_PER_LINE, decodeArmorLines } from './base64';
import { verifyFinalFrame } from './frames';
import { IV_LENGTH, type MessageHeader, parseMessageHeader, TAG_LENGTH } from './messageFormat';
import { type HeaderInMaking, type RewrappedHeader, rewrapObstacle } from './rewrap';

const LINE_BYTES = BASE64_LINE_LENGTH + 1;
/** A final frame larger than this (a huge frame length) is left to the streamed path. */
const MAX_TAIL_BYTES = 64 * 1024 * 1024;
/** Headers longer than this (huge encryption contexts) are left to the streamed path. */
const MAX_HEADER_BYTES = 64 * 1024;
/** What is read first to find the header (the usual one, a data key or two, fits); longer ones read up to MAX_HEADER_BYTES. */
const FIRST_HEADER_READ = 4 * 1024;
const FINAL_FRAME_OVERHEAD = 4 + 4 + IV_LENGTH + 4 + TAG_LENGTH;

export interface InPlaceOptions {
  readonly signal?: AbortSignal;
  /** The file as the caller inspected it: changed since → FileChangedOnDisk. */
  readonly expect?: FileState;
  /** beforeWrite / beforeSync as for a replacement; beforeRename fires before the journal is removed (the commit). */
  readonly faults?: WriteFaults;
  /** The file's real path, when the caller has just resolved it (withFileLock): not resolved again. */
  readonly realPath?: string;
}

export type InPlaceOutcome =
  | { readonly done: true; readonly path: string; readonly size: number; readonly rewrapped: RewrappedHeader }
  | { readonly done: false; readonly prepared?: { readonly header: Buffer; readonly rewrapped: RewrappedHeader } };

/** The message bytes of a range, and the file bytes they are stored as. */
interface Stored {
  /** Where in the file `file` starts. */
  readonly fileOffset: number;
  readonly file: Buffer;
  /** Where in the message `bytes` start. */
  readonly messageOffset: number;
  readonly bytes: Buffer;
}

/** How a message is laid out in its file. */
interface Layout {
  readonly messageLength: number;
  /** The message bytes [from, to) (widened to whole lines for base64); undefined when not laid out as expected. */
  read(from: number, to: number): Promise<Stored | undefined>;
  /** The file bytes that store `bytes` in place of `stored.bytes` (same length). */
  encode(stored: Stored, bytes: Buffer): Buffer;
  /** The message bytes [0, to) (widened as `read` does) out of `stored`, read from 0; undefined when it does not hold them. */
  prefix(stored: Stored, to: number): Stored | undefined;
}

function binaryLayout(handle: FileHandle, size: number): Layout {
  return {
    messageLength: size,
    async read(from, to) {
      const file = await readAt(handle, to - from, from);
      return file.length === to - from ? { fileOffset: from, file, messageOffset: from, bytes: file } : undefined;
    },
    encode: (_stored, bytes) => bytes,
    prefix: (stored, to) =>
      stored.fileOffset === 0 && stored.bytes.length >= to
        ? { fileOffset: 0, file: stored.file.subarray(0, to), messageOffset: 0, bytes: stored.bytes.subarray(0, to) }
        : undefined,
  };
}

/** Canonical armor only: lines of 76 characters and "\n", the last one shorter (what Base64ArmorEncoder writes). */
async function base64Layout(handle: FileHandle, size: number): Promise<Layout | undefined> {
  const lines = Math.ceil(size / LINE_BYTES);
  const textLength = size - lines;
  if (lines === 0 || textLength % 4 !== 0 || size - (lines - 1) * LINE_BYTES < 5) return undefined;
  const last = await readAt(handle, 5, size - 5);
  if (last.length !== 5 || last[4] !== 0x0a) return undefined;
  const padding = last[3] === 0x3d ? (last[2] === 0x3d ? 2 : 1) : 0;
  const messageLength = (textLength / 4) * 3 - padding;
  return {
    messageLength,
    async read(from, to) {
      const first = Math.floor(from / BYTES_PER_LINE);
      const end = Math.min(lines, Math.ceil(to / BYTES_PER_LINE));
      const fileOffset = first * LINE_BYTES;
      const fileEnd = Math.min(size, end * LINE_BYTES);
      const file = await readAt(handle, fileEnd - fileOffset, fileOffset);
      if (file.length !== fileEnd - fileOffset) return undefined;
      // Exactly what the encoder writes for these bytes, or not ours to patch.
      const bytes = decodeArmorLines(file);
      return bytes && { fileOffset, file, messageOffset: first * BYTES_PER_LINE, bytes };
    },
    encode: (_stored, bytes) => armorLines(bytes),
    prefix(stored, to) {
      const fileEnd = Math.min(size, Math.min(lines, Math.ceil(to / BYTES_PER_LINE)) * LINE_BYTES);
      if (stored.fileOffset !== 0 || stored.file.length < fileEnd) return undefined;
      const file = stored.file.subarray(0, fileEnd);
      // Whole lines of what `read` checked: what the encoder writes for these bytes.
      const bytes = decodeArmorLines(file);
      return bytes && { fileOffset: 0, file, messageOffset: 0, bytes };
    },
  };
}

function layoutOf(handle: FileHandle, armor: 'base64' | 'binary', size: number): Promise<Layout | undefined> {
  return armor === 'binary' ? Promise.resolve(binaryLayout(handle, size)) : base64Layout(handle, size);
}

function headerOf(bytes: Buffer): MessageHeader | undefined {
  try {
    return parseMessageHeader(bytes);
  } catch {
    return undefined;
  }
}

/** Where the final frame starts (a message offset) and its sequence number, from the lengths alone. */
function finalFrameOf(header: MessageHeader, messageLength: number): { start: number; sequence: number } | undefined {
  const body = messageLength - header.length;
  if (body < FINAL_FRAME_OVERHEAD) return undefined;
  const regular = header.frameLength + IV_LENGTH + TAG_LENGTH + 4;
  const frames = Math.floor((body - FINAL_FRAME_OVERHEAD) / regular);
  const contentLength = (body - FINAL_FRAME_OVERHEAD) % regular;
  if (contentLength > header.frameLength || frames + 1 > 0xffffffff) return undefined;
  return { start: header.length + frames * regular, sequence: frames + 1 };
}

/** The message's final frame (where `final` says it starts), undefined when the file does not hold one there. */
async function finalFrame(layout: Layout, final: { start: number; sequence: number }): Promise<Buffer | undefined> {
  const tail = await layout.read(final.start, layout.messageLength);
  if (!tail) return undefined;
  const frame = tail.bytes.subarray(final.start - tail.messageOffset);
  if (frame.readUInt32BE(0) !== 0xffffffff || frame.readUInt32BE(4) !== final.sequence) return undefined;
  return frame;
}

/**
 * Re-wraps the message in `path` in place when it can (see the header comment); `make` asks KMS
 * for the new header (the final frame is checked as soon as it tells the derived key). The
 * caller holds the file lock.
 */
export async function rewrapHeaderInPlace(
  target: string,
  armor: 'base64' | 'binary',
  make: (header: MessageHeader) => HeaderInMaking,
  options: InPlaceOptions,
): Promise<InPlaceOutcome> {
  const path = options.realPath ?? (await realpath(target));
  const handle = await open(path, constants.O_RDWR | (constants.O_NOFOLLOW ?? 0)).catch(() => undefined);
  // Not writable in place (read-only, a symbolic link…): the replacement says why, or copes.
  if (!handle) return { done: false };
  let rewrapped: RewrappedHeader | undefined;
  let handedOver = false;
  try {
    const expect = options.expect;
    // The size the caller saw lays the message out and its first bytes are read while the file
    // is stat'ed (one round trip instead of three): taken only if the file is still as it saw it.
    const first = (layout: Layout): Promise<Stored | undefined> => layout.read(0, Math.min(layout.messageLength, FIRST_HEADER_READ));
    const ahead = expect
      ? layoutOf(handle, armor, expect.size).then(async (layout) => layout && { layout, probe: await first(layout) })
      : undefined;
    // A failure here is met again below, where it is the answer.
    ahead?.catch(() => undefined);
    const before = await handle.stat();
    if (
      !before.isFile() ||
      (expect && (expect.size !== before.size || expect.mtimeMs !== before.mtimeMs || expect.ino !== before.ino)) ||
      // Other hard links keep the old content, as the person was told: only a replacement does that.
      before.nlink > 1
    )
      return { done: false };
    const read = await ahead?.catch(() => undefined);
    const layout = read ? read.layout : await layoutOf(handle, armor, before.size);
    if (!layout) return { done: false };
    // The header as the file holds it now, through this descriptor.
    let probe = read ? read.probe : await first(layout);
    let header = probe && headerOf(probe.bytes);
    if (probe && !header && layout.messageLength > FIRST_HEADER_READ) {
      probe = await layout.read(0, Math.min(layout.messageLength, MAX_HEADER_BYTES));
      header = probe && headerOf(probe.bytes);
    }
    if (!probe || !header || rewrapObstacle(header)) return { done: false };
    // What is rewritten: the header's bytes (binary), the lines holding them (base64), taken from what was read.
    const head = layout.prefix(probe, header.length) ?? (await layout.read(0, header.length));
    if (!head || !head.bytes.subarray(0, header.length).equals(probe.bytes.subarray(0, header.length))) return { done: false };
    const final = finalFrameOf(header, layout.messageLength);
    if (!final || layout.messageLength - final.start > MAX_TAIL_BYTES) return { done: false };
    options.signal?.throwIfAborted();

    // KMS makes the new header while the final frame is read (base64: decoded and its armor
    // checked), and the frame is checked as soon as KMS has opened the data key, while the
    // new key's answer is still awaited.
    const making = make(header);
    // Awaited below; a refusal arriving while the frame is read is not left unhandled meanwhile.
    making.made.catch(() => undefined);
    const reading = finalFrame(layout, final);
    const checking = reading.then(async (frame) => {
      if (!frame) return;
      const derivedKey = await (making.opened ?? making.made.then((made) => made.derivedKey));
      verifyFinalFrame(header, derivedKey, frame, final.sequence);
    });
    // Awaited once the header is made (KMS's refusal, which zeroes the key, is the error then).
    checking.catch(() => undefined);
    const frame = await reading.catch(async (error: unknown) => {
      await making.made.then(
        (made) => made.derivedKey.fill(0),
        () => undefined,
      );
      throw error;
    });
    const oldHeader = head.bytes.subarray(0, header.length);
    if (!frame) {
      // Not laid out as expected: the streamed path explains, with the header made.
      const made = await making.made;
      handedOver = true;
      return { done: false, prepared: { header: Buffer.from(oldHeader), rewrapped: made } };
    }
    rewrapped = await making.made;
    if (rewrapped.bytes.length !== header.length) {
      handedOver = true;
      return { done: false, prepared: { header: Buffer.from(oldHeader), rewrapped } };
    }
    await checking;
    const after = layout.encode(head, Buffer.concat([rewrapped.bytes, head.bytes.subarray(header.length)]));
    if (after.length !== head.file.length) throw new Error('The re-encoded header changed length.');
    options.signal?.throwIfAborted();
    const faults = options.faults;
    await rewritePrefix(
      path,
      handle,
      {
        offset: head.fileOffset,
        before: head.file,
        after,
        // Stat'ed while the journal opens: the file is still the one read, else nothing is written.
        unchanged: (now) => {
          if (changed(before, now))
            throw new KmsError(
              'FileChangedOnDisk',
              `${basename(path)} changed on disk while it was being re-encrypted; it was left as it is now. Try again.`,
            );
        },
      },
      faults && {
        beforeWrite: faults.beforeWrite?.bind(faults),
        beforeSync: faults.beforeSync?.bind(faults),
        beforeCommit: faults.beforeRename?.bind(faults),
      },
    );
    return { done: true, path, size: before.size, rewrapped };
  } finally {
    if (!handedOver) rewrapped?.derivedKey.fill(0);
    // Not waited for (the streamed path that may follow opens the file anew).
    void handle.close().catch(() => undefined);
  }
}
