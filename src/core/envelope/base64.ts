// Base64 as ciphertexts are written: the standard alphabet with padding, exactly as
// `aws kms encrypt --query CiphertextBlob --output text` prints a blob; and the armor of
// encrypted files, the same alphabet in lines of 76 characters (what `base64 -d`, the AWS
// Encryption CLI's `--decode` and every base64 decoder read). Streaming encoders and decoders
// keep memory flat for files of any size.
import { Transform, type TransformCallback } from 'node:stream';

/** Characters per line of base64-armored files (RFC 2045). */
export const BASE64_LINE_LENGTH = 76;
/** Bytes that make one full line. */
export const BYTES_PER_LINE = (BASE64_LINE_LENGTH / 4) * 3;
/**
 * Lines encoded or decoded per string: 768 lines are 58-59 KB of text, so each string is a
 * small object of V8's young generation, in memory it reuses. Above V8's regular object size
 * (128 KiB) a string is a large object with pages of its own, mapped fresh and unmapped at
 * every collection: with 4,096 lines (311 KB) decrypting 1 GiB of armor took 330,000 page
 * faults (one per 4 KiB of text) and seconds of kernel time; now 1,500-20,000. (From ~1 MB on
 * it would be an external string: malloc'd memory the collector sees late.)
 */
const LINES_PER_SLICE = 768;

const STRICT = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Whether `text` is canonical standard base64: alphabet A–Z a–z 0–9 + /, padded to a
 * multiple of 4 characters, no whitespace.
 */
export function isStrictBase64(text: string): boolean {
  if (text.length === 0 || text.length % 4 !== 0 || !STRICT.test(text)) return false;
  // "=" only as padding of the last group, and no more than the last group needs.
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return text.indexOf('=') === -1 || text.indexOf('=') === text.length - pad;
}

/** Decodes strict base64 (see isStrictBase64); undefined when the text is not. */
export function decodeStrictBase64(text: string): Buffer | undefined {
  if (!isStrictBase64(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Reject non-canonical encodings (stray bits in the last character).
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** base64 of `bytes` on one line: the CLI's form of a CiphertextBlob. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

// ---------------------------------------------------------------------------- armor

/** Whitespace a reader skips between base64 characters. */
const WHITESPACE = new Uint8Array(256);
for (const c of [0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c]) WHITESPACE[c] = 1;
const ALPHABET = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') ALPHABET[c.charCodeAt(0)] = 1;
const PAD = 0x3d;

export class Base64FormatError extends Error {
  override readonly name = 'Base64FormatError';
}

/**
 * Base64 of `bytes` in lines of BASE64_LINE_LENGTH, each ending in "\n". The base64 text is
 * written once into the output buffer, then its lines are moved into place from the last to
 * the first (copyWithin, native): about 1.5x faster than writing each line's slice of a
 * string, which matters because armoring runs on the same thread as the encryption.
 */
export function armorLines(bytes: Buffer, alloc: (size: number) => Buffer = (size) => Buffer.allocUnsafe(size)): Buffer {
  const textLength = Math.ceil(bytes.length / 3) * 4;
  const lines = Math.ceil(textLength / BASE64_LINE_LENGTH);
  const out = alloc(textLength + lines);
  // Slice by slice (whole lines), from the last: each slice's text is written at its lines'
  // start, then its lines are spread out; slices further on are already in place.
  const sliceBytes = LINES_PER_SLICE * BYTES_PER_LINE;
  const slices = Math.ceil(bytes.length / sliceBytes);
  for (let slice = slices - 1; slice >= 0; slice--) {
    const from = slice * sliceBytes;
    const part = bytes.subarray(from, Math.min(bytes.length, from + sliceBytes));
    const base = slice * LINES_PER_SLICE * (BASE64_LINE_LENGTH + 1);
    const partText = Math.ceil(part.length / 3) * 4;
    const partLines = Math.ceil(partText / BASE64_LINE_LENGTH);
    out.write(part.toString('base64'), base, 'latin1');
    for (let line = partLines - 1; line >= 0; line--) {
      const start = base + line * BASE64_LINE_LENGTH;
      const end = Math.min(start + BASE64_LINE_LENGTH, base + partText);
      const at = base + line * (BASE64_LINE_LENGTH + 1);
      out.copyWithin(at, start, end);
      out[at + end - start] = 0x0a;
    }
  }
  return out;
}

/**
 * Decodes whole lines of armor as armorLines writes them (76 characters and "\n" a line, the
 * last one shorter, "=" only as the padding of the very end), or undefined when `file` is not
 * exactly that: the same answer as `armorLines(decoded).equals(file)`, at about half the cost
 * (no re-encoding: the line breaks are looked at where they must be, and Node's decoder, which
 * skips what is not base64 and stops at "=", then gives fewer bytes than the text must hold).
 * `file` ends with a line's "\n".
 */
export function decodeArmorLines(file: Buffer): Buffer | undefined {
  const length = file.length;
  if (length === 0 || file[length - 1] !== 0x0a) return undefined;
  for (let at = BASE64_LINE_LENGTH; at < length - 1; at += BASE64_LINE_LENGTH + 1) if (file[at] !== 0x0a) return undefined;
  const text = length - Math.ceil(length / (BASE64_LINE_LENGTH + 1));
  if (text % 4 !== 0) return undefined;
  // The URL-safe alphabet, which Node's decoder also takes, is not ours.
  if (file.includes(0x2d) || file.includes(0x5f)) return undefined;
  const padding = file[length - 2] === PAD ? (file[length - 3] === PAD ? 2 : 1) : 0;
  const firstPad = file.indexOf(PAD);
  if (firstPad !== -1 && firstPad !== length - 1 - padding) return undefined;
  const bytes = Buffer.from(file.toString('latin1'), 'base64');
  if (bytes.length !== (text / 4) * 3 - padding) return undefined;
  // Stray bits in the padded last group decode as if they were not there.
  if (padding) {
    const last = bytes.subarray(bytes.length - (3 - padding)).toString('base64');
    if (file.toString('latin1', length - 5, length - 1) !== last) return undefined;
  }
  return bytes;
}

/** Base64 armor of a whole buffer, in lines of 76 characters with a final newline. */
export function armorBase64(bytes: Uint8Array): Buffer {
  return bytes.byteLength === 0 ? Buffer.alloc(0) : armorLines(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/** A stream that turns bytes into base64 armor (76-character lines, final newline). */
export class Base64ArmorEncoder extends Transform {
  private pending = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const whole = data.length - (data.length % BYTES_PER_LINE);
    this.pending = Buffer.from(data.subarray(whole));
    if (whole > 0) this.push(armorLines(data.subarray(0, whole)));
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.pending.length) this.push(armorLines(this.pending));
    this.pending = Buffer.alloc(0);
    callback();
  }
}

/**
 * A stream that reads base64 armor back into bytes: a leading UTF-8 byte order mark and
 * whitespace (line breaks of any kind, CRLF included) are skipped; any other character outside the alphabet, or data after the padding, fails
 * with a Base64FormatError naming the byte offset.
 *
 * Fast path: runs of whole 76-character lines (what this module and `base64` write) are
 * decoded natively, and checked by their decoded length (a character Node's decoder would
 * skip shows as a short line). Anything else (other line lengths, CRLF, one long line, the
 * last line with its padding) goes through a byte-by-byte check.
 */
export class Base64ArmorDecoder extends Transform {
  /** Base64 characters not yet decoded (fewer than 4), from the byte-by-byte path. */
  private carry = Buffer.alloc(0);
  /** Text after the last line break seen, not yet decoded. */
  private pending = Buffer.alloc(0);
  /** Bytes of input before `pending`. */
  private offset = 0;
  private ended = false;
  /** Nothing decoded yet: a UTF-8 byte order mark may come first. */
  private atStart = true;
  /** Where regular lines are decoded when pushed buffers are borrowed (see the constructor). */
  private scratch: Buffer | undefined;

  /**
   * `borrowed`: each buffer pushed is valid only until the next push, because whoever
   * receives it uses it at once (a codec driving the decoder synchronously): the regular lines
   * are then decoded into one buffer reused for every chunk, not a new one per chunk.
   */
  constructor(private readonly borrowed = false) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      let data = chunk;
      if (this.pending.length) {
        const lineEnd = this.atStart ? -1 : chunk.indexOf(0x0a);
        if (lineEnd >= 0) {
          // The line the last chunk ended in, completed and decoded on its own: the rest of
          // the chunk is decoded where it is, not copied behind it.
          const line = Buffer.concat([this.pending, chunk.subarray(0, lineEnd + 1)]);
          this.pending = Buffer.alloc(0);
          this.decode(line);
          data = chunk.subarray(lineEnd + 1);
        } else data = Buffer.concat([this.pending, chunk]);
      }
      if (this.atStart) {
        if (data.length < 3) {
          this.pending = Buffer.from(data);
          callback();
          return;
        }
        this.atStart = false;
        if (hasBom(data)) {
          data = data.subarray(3);
          this.offset += 3;
        }
      }
      let cut = data.lastIndexOf(0x0a) + 1;
      // One long line (no line breaks): decode what there is rather than holding it all.
      if (cut === 0 && data.length > BYTES_PER_LINE * 16 * 1024) cut = data.length;
      const lines = data.subarray(0, cut);
      this.pending = Buffer.from(data.subarray(cut));
      if (lines.length) this.decode(lines);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.pending.length) this.slow(this.pending);
      this.pending = Buffer.alloc(0);
      if (this.carry.length)
        throw new Base64FormatError(
          `the base64 text ends in the middle of a group (${this.carry.length} characters left over): the file is truncated`,
        );
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private decode(lines: Buffer): void {
    const full = BASE64_LINE_LENGTH + 1;
    const regular = this.carry.length === 0 && !this.ended ? lines.length - (lines.length % full) : 0;
    let whole = 0;
    if (regular > 0) {
      let ok = true;
      for (let i = BASE64_LINE_LENGTH; i < regular; i += full) {
        if (lines[i] !== 0x0a) {
          ok = false;
          break;
        }
      }
      if (ok) {
        // In slices of at most LINES_PER_SLICE lines (see there), decoded one after the other
        // into one buffer: the decoder's own when what it pushes is borrowed, else a new one.
        const size = (regular / full) * BYTES_PER_LINE;
        const into = this.borrowed ? this.scratchOf(size) : Buffer.allocUnsafe(size);
        let decoded = 0;
        let good = true;
        for (let at = 0; at < regular && good; at += LINES_PER_SLICE * full) {
          const end = Math.min(regular, at + LINES_PER_SLICE * full);
          const n = into.write(lines.toString('latin1', at, end), decoded, 'base64');
          decoded += n;
          // 57 bytes per line unless a line held padding or a character the native decoder skips.
          good = n === ((end - at) / full) * BYTES_PER_LINE;
        }
        if (good) {
          this.push(into.subarray(0, decoded));
          whole = regular;
        }
      }
    }
    this.offset += whole;
    if (whole < lines.length) this.slow(lines.subarray(whole));
  }

  private scratchOf(size: number): Buffer {
    if (!this.scratch || this.scratch.length < size) this.scratch = Buffer.allocUnsafeSlow(size);
    return this.scratch;
  }

  /** Byte by byte: skips whitespace, refuses anything else outside the alphabet, keeps groups whole. */
  private slow(text: Buffer): void {
    const clean = Buffer.allocUnsafe(this.carry.length + text.length);
    this.carry.copy(clean, 0);
    let n = this.carry.length;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (ALPHABET[c]) {
        if (this.ended) throw new Base64FormatError(`base64 data continues after its padding at byte ${this.offset + i}`);
        clean[n++] = c;
      } else if (c === PAD) {
        this.ended = true;
        clean[n++] = c;
      } else if (!WHITESPACE[c]) {
        throw new Base64FormatError(`not base64: byte 0x${c.toString(16).padStart(2, '0')} at offset ${this.offset + i}`);
      }
    }
    this.offset += text.length;
    const whole = n - (n % 4);
    this.carry = Buffer.from(clean.subarray(whole, n));
    if (whole > 0) this.push(Buffer.from(clean.toString('latin1', 0, whole), 'base64'));
  }
}

/**
 * Decodes the start of base64 armor for detection: skips a UTF-8 byte order mark and whitespace, stops at the first
 * character outside the alphabet. Returns the bytes of the whole 4-character groups read,
 * or undefined when the text has a character that is neither base64 nor whitespace.
 */
export function decodeArmorPrefix(head: Uint8Array): Buffer | undefined {
  const clean = Buffer.allocUnsafe(head.length);
  let n = 0;
  for (let i = hasBom(head) ? 3 : 0; i < head.length; i++) {
    const c = head[i];
    if (ALPHABET[c] || c === PAD) clean[n++] = c;
    else if (!WHITESPACE[c]) return undefined;
  }
  const whole = n - (n % 4);
  return Buffer.from(clean.toString('latin1', 0, whole), 'base64');
}

const BOM = [0xef, 0xbb, 0xbf];

/** Whether `bytes` start with a UTF-8 byte order mark (editors on Windows write one). */
export function hasBom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2];
}

/** `bytes` without a leading UTF-8 byte order mark. */
export function withoutBom(bytes: Buffer): Buffer {
  return hasBom(bytes) ? bytes.subarray(3) : bytes;
}
