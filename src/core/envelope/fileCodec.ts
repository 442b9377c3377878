// The byte work of encrypting and decrypting a file's content as an Encryption SDK message,
// without the SDK: AES-256-GCM frames, the message framing and the base64 armor. Synchronous
// and pure (chunks in, chunks out), so it runs the same in the file-crypto worker thread
// (fileCryptoWorker.ts, what the extension uses for files) and inline (small files, tests).
//
// The KMS part (the data key, the header with its commitment and authentication) is done by
// the caller on the main side; the codec gets the plaintext data key and derives the frame
// key from it (HKDF, as the message format says), and zeroes both when disposed.
//
// Written: format 2, ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY (no signature), framed.
// Frame IV: 8 zero bytes and the u32 sequence number (the Encryption SDK's); the last frame is
// the final frame, holding 1 to frameLength bytes (0 only for empty plaintext).
// Read: the same suite and any committing unsigned framed message (see rewrapObstacle).
import { type CipherGCM, createCipheriv } from 'node:crypto';
import { KmsError } from '../kms/errors';
import { armorLines, Base64ArmorDecoder, Base64FormatError, BYTES_PER_LINE } from './base64';
import { type FramePlaintext, FrameVerifier } from './frames';
import {
  ALGORITHM_SUITES,
  deriveCommittingKeys,
  IV_LENGTH,
  type MessageHeader,
  MessageFormatError,
  parseMessageHeader,
  tampered,
} from './messageFormat';

const FRAME_AAD = Buffer.from('AWSKMSEncryptionClient Frame', 'utf8');
const FINAL_FRAME_AAD = Buffer.from('AWSKMSEncryptionClient Final Frame', 'utf8');
const FINAL_MARKER = 0xffffffff;

/** What the codec needs; plain data, so it can be posted to a worker. */
export interface CodecSpec {
  readonly op: 'encrypt' | 'decrypt';
  /** The file's armor: base64 lines (76 characters) or the binary message. */
  readonly armor: 'base64' | 'binary';
  /** The plaintext data key (the codec zeroes it). */
  readonly dataKey: Uint8Array;
  /**
   * The message header (body and authentication tag), made and checked by the caller.
   * Encrypting: written first. Decrypting: the message must start with exactly these bytes.
   */
  readonly header: Uint8Array;
  /** Encrypting: the plaintext's length (the file's size); a different number of bytes fails. */
  readonly plaintextLength?: number;
}

/** Turns chunks of a file into chunks of its new content. */
export interface FileCodec {
  /** Takes the chunk (not kept: its memory may be reused once this returns; encrypting wipes it). */
  push(chunk: Buffer): Buffer[];
  end(): Buffer[];
  /** Zeroes the keys (also after a failure or a cancel). */
  dispose(): void;
}

/**
 * Where the codec's output buffers come from, and where buffers it is done with go back (the
 * worker reuses them, so a gigabyte does not leave a gigabyte of garbage). Default: fresh
 * buffers, nothing reused.
 */
export interface BufferPool {
  alloc(size: number): Buffer;
  free(buffer: Buffer): void;
}

const FRESH: BufferPool = { alloc: (size) => Buffer.allocUnsafe(size), free: () => undefined };

/** The pieces in one buffer of the pool. */
function joined(pieces: readonly Buffer[], pool: BufferPool): Buffer {
  let size = 0;
  for (const p of pieces) size += p.length;
  const out = pool.alloc(size);
  let at = 0;
  for (const p of pieces) at += p.copy(out, at);
  return out;
}

export function createFileCodec(spec: CodecSpec, pool: BufferPool = FRESH): FileCodec {
  const header = parseMessageHeader(Buffer.from(spec.header));
  if (!header) throw tampered('it is truncated inside its header');
  if (
    header.version !== 2 ||
    !header.suite.committing ||
    header.suite.signed ||
    header.contentType !== 'framed' ||
    !ALGORITHM_SUITES.has(header.suite.id)
  ) {
    throw new MessageFormatError(`${header.suite.name} messages are not handled by the file codec.`);
  }
  let derivedKey: Buffer;
  try {
    derivedKey = deriveCommittingKeys(header.suite, spec.dataKey, header.messageId).derivedKey;
  } finally {
    spec.dataKey.fill(0);
  }
  const inner =
    spec.op === 'encrypt'
      ? new FrameEncoder(header, derivedKey, Buffer.from(spec.header), spec.plaintextLength ?? 0, pool)
      : new FrameDecoder(header, derivedKey, Buffer.from(spec.header), pool, pool === FRESH ? FRESH_OUTPUT_BYTES : OUTPUT_BYTES);
  if (spec.armor === 'binary') return inner;
  return spec.op === 'encrypt' ? armoredOutput(inner, pool) : armoredInput(inner);
}

/**
 * Plaintext in, message out (header first). The plaintext's length is known (the file's size
 * in the snapshot the replacement checks), so each frame is known to be regular or final when
 * it starts: the plaintext is encrypted as it arrives, nothing of it is kept, and each chunk
 * is wiped once encrypted (the caller may reuse its memory at once).
 */
class FrameEncoder implements FileCodec {
  private sequence = 1;
  private headerWritten = false;
  private readonly frameLength: number;
  /** Plaintext bytes still to come. */
  private left: number;
  private frame: { cipher: CipherGCM; left: number; final: boolean } | undefined;
  private done = false;

  constructor(
    private readonly header: MessageHeader,
    private readonly derivedKey: Buffer,
    private readonly headerBytes: Buffer,
    plaintextLength: number,
    private readonly pool: BufferPool,
  ) {
    this.frameLength = header.frameLength;
    this.left = plaintextLength;
  }

  push(chunk: Buffer): Buffer[] {
    const out = this.start();
    let at = 0;
    while (at < chunk.length) {
      if (this.done || this.left === 0) throw changedWhileRead();
      const frame = this.frame ?? this.open(out);
      const take = Math.min(frame.left, chunk.length - at);
      const piece = chunk.subarray(at, at + take);
      out.push(frame.cipher.update(piece));
      piece.fill(0);
      at += take;
      frame.left -= take;
      this.left -= take;
      if (frame.left === 0) this.close(out, frame);
    }
    return out.length ? [joined(out, this.pool)] : [];
  }

  end(): Buffer[] {
    const out = this.start();
    if (this.left > 0) throw changedWhileRead();
    // Empty plaintext: one empty final frame.
    if (!this.done) this.close(out, this.frame ?? this.open(out));
    return [joined(out, this.pool)];
  }

  dispose(): void {
    this.derivedKey.fill(0);
    this.frame = undefined;
  }

  private start(): Buffer[] {
    if (this.headerWritten) return [];
    this.headerWritten = true;
    return [this.headerBytes];
  }

  private open(out: Buffer[]): { cipher: CipherGCM; left: number; final: boolean } {
    const final = this.left <= this.frameLength;
    const length = final ? this.left : this.frameLength;
    const sequence = this.sequence++;
    if (sequence > 0xfffffffe) throw new MessageFormatError('The message has too many frames.');
    const iv = Buffer.alloc(IV_LENGTH);
    iv.writeUInt32BE(sequence, IV_LENGTH - 4);
    const id = this.header.messageId;
    const aad = Buffer.alloc(id.length + (final ? FINAL_FRAME_AAD.length : FRAME_AAD.length) + 12);
    let o = id.copy(aad, 0);
    o += (final ? FINAL_FRAME_AAD : FRAME_AAD).copy(aad, o);
    o = aad.writeUInt32BE(sequence, o);
    aad.writeBigUInt64BE(BigInt(length), o);
    const cipher = createCipheriv('aes-256-gcm', this.derivedKey, iv);
    cipher.setAAD(aad);
    const start = final ? Buffer.alloc(4 + 4 + IV_LENGTH + 4) : Buffer.alloc(4 + IV_LENGTH);
    if (final) {
      start.writeUInt32BE(FINAL_MARKER, 0);
      start.writeUInt32BE(sequence, 4);
      iv.copy(start, 8);
      start.writeUInt32BE(length, 8 + IV_LENGTH);
    } else {
      start.writeUInt32BE(sequence, 0);
      iv.copy(start, 4);
    }
    out.push(start);
    this.frame = { cipher, left: length, final };
    return this.frame;
  }

  private close(out: Buffer[], frame: { cipher: CipherGCM; final: boolean }): void {
    frame.cipher.final();
    out.push(frame.cipher.getAuthTag());
    this.frame = undefined;
    if (frame.final) this.done = true;
  }
}

function changedWhileRead(): KmsError {
  return new KmsError('FileChangedOnDisk', 'The file changed size while it was being encrypted; it was left as it is now. Try again.');
}

/**
 * Bytes of plaintext gathered per output buffer (more when a frame is longer), in the worker's
 * pool's buffers: a frame of the default length each. Two frames a buffer (2 MiB) made a third
 * to a half of 64 MiB decrypts stall every thread for 200-650 ms of kernel time, copying the
 * writes into the page cache (perf: copy_folio_from_iter_atomic); one frame a buffer did not,
 * in 16 runs.
 */
const OUTPUT_BYTES = 1024 * 1024;
/** Without a pool (small files, on the calling thread): buffers allocated afresh, smaller. */
const FRESH_OUTPUT_BYTES = 256 * 1024;

/**
 * Message in, plaintext out: every frame's tag checked before its plaintext leaves. Frames
 * are decrypted straight into an output buffer of the pool, handed out as soon as a frame
 * verified and the buffer has no room for another (so only whole, verified frames leave) and
 * at the end.
 */
class FrameDecoder implements FileCodec, FramePlaintext {
  private headerSeen = 0;
  private readonly verifier: FrameVerifier;
  /** Output buffers filled with verified frames, not yet handed out. */
  private out: Buffer[] = [];
  private filling: Buffer | undefined;
  private filled = 0;

  constructor(
    private readonly header: MessageHeader,
    private readonly derivedKey: Buffer,
    private readonly headerBytes: Buffer,
    private readonly pool: BufferPool,
    private readonly outputBytes: number,
  ) {
    this.verifier = new FrameVerifier(header, derivedKey, this);
  }

  frameStart(contentLength: number): void {
    // A buffer kept after a frame has room for a frame of any length (see frameEnd).
    this.filling ??= this.pool.alloc(Math.max(this.outputBytes, contentLength));
  }

  piece(plain: Buffer): void {
    this.filled += plain.copy(this.filling!, this.filled);
  }

  frameEnd(): void {
    // Verified: it leaves with its buffer once that has no room for another frame.
    if (this.filling && this.filling.length - this.filled < this.header.frameLength) this.handOut();
  }

  private handOut(): void {
    if (this.filling && this.filled > 0) this.out.push(this.filling.subarray(0, this.filled));
    else if (this.filling) this.pool.free(this.filling);
    this.filling = undefined;
    this.filled = 0;
  }

  push(chunk: Buffer): Buffer[] {
    let body = chunk;
    if (this.headerSeen < this.headerBytes.length) {
      const take = Math.min(this.headerBytes.length - this.headerSeen, chunk.length);
      if (!chunk.subarray(0, take).equals(this.headerBytes.subarray(this.headerSeen, this.headerSeen + take)))
        throw tampered('its header changed while it was read');
      this.headerSeen += take;
      body = chunk.subarray(take);
    }
    if (body.length) this.verifier.push(body);
    return this.drain();
  }

  end(): Buffer[] {
    if (this.headerSeen < this.headerBytes.length) throw tampered('it is truncated inside its header');
    this.verifier.end();
    this.handOut();
    return this.drain();
  }

  dispose(): void {
    this.derivedKey.fill(0);
    for (const p of this.out) p.fill(0);
    this.out = [];
    // Its last frame may not have verified: wiped.
    this.filling?.fill(0);
    this.filling = undefined;
    this.filled = 0;
  }

  private drain(): Buffer[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}

/** Output as base64 armor (76-character lines, final newline). */
function armoredOutput(inner: FileCodec, pool: BufferPool): FileCodec {
  let carry = Buffer.alloc(0);
  const armor = (chunks: Buffer[], last: boolean): Buffer[] => {
    if (chunks.length === 0 && !last) return [];
    const data = joined([carry, ...chunks], pool);
    for (const c of chunks) pool.free(c);
    const whole = last ? data.length : data.length - (data.length % BYTES_PER_LINE);
    carry = Buffer.from(data.subarray(whole));
    const out = whole > 0 ? [armorLines(data.subarray(0, whole), (size) => pool.alloc(size))] : [];
    pool.free(data);
    return out;
  };
  return {
    push: (chunk) => armor(inner.push(chunk), false),
    end: () => armor(inner.end(), true),
    dispose: () => inner.dispose(),
  };
}

/** Input as base64 armor (any line length, CRLF, a byte order mark: see Base64ArmorDecoder). */
function armoredInput(inner: FileCodec): FileCodec {
  // The stream decoder, driven synchronously: its transform and flush call back at once, and
  // each buffer it pushes goes to `inner` at once (which does not keep it), so the decoder
  // decodes into one buffer it reuses.
  const decoder = new Base64ArmorDecoder(true);
  let out: Buffer[] = [];
  decoder.push = (chunk: Buffer | null): boolean => {
    if (chunk) out.push(...inner.push(chunk));
    return true;
  };
  const run = (step: (callback: (error?: Error | null) => void) => void): Buffer[] => {
    let failure: Error | null | undefined;
    step((error) => (failure = error));
    const made = out;
    out = [];
    if (failure) {
      for (const b of made) b.fill(0);
      throw failure instanceof Base64FormatError ? tampered(failure.message.replace(/\.$/, '')) : failure;
    }
    return made;
  };
  return {
    push: (chunk) => run((cb) => decoder._transform(chunk, 'buffer' as BufferEncoding, cb)),
    end: () => [...run((cb) => decoder._flush(cb)), ...inner.end()],
    dispose: () => inner.dispose(),
  };
}
