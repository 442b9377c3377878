// The body of a framed Encryption SDK message, walked frame by frame: every frame's AES-GCM
// tag is checked with the derived data key (the plaintext is computed and dropped), the
// sequence numbers must count up from 1, and the message must end with its final frame and
// nothing after it. Used by the re-wrap, which copies the body unchanged and must not turn a
// damaged or truncated message into one with a fresh, valid-looking header.
//
// Regular frame: u32 sequence number · 12-byte IV · frameLength bytes · 16-byte tag
// Final frame:   u32 0xFFFFFFFF · u32 sequence number · 12-byte IV · u32 content length · content · tag
// Frame AAD:     message id · "AWSKMSEncryptionClient Frame" (or "… Final Frame") · u32 sequence number · u64 content length
import { createDecipheriv, type DecipherGCM } from 'node:crypto';
import { IV_LENGTH, type MessageHeader, MessageFormatError, TAG_LENGTH, tampered } from './messageFormat';

const FINAL_MARKER = 0xffffffff;
const FRAME_AAD = Buffer.from('AWSKMSEncryptionClient Frame', 'utf8');
const FINAL_FRAME_AAD = Buffer.from('AWSKMSEncryptionClient Final Frame', 'utf8');

type State =
  | { kind: 'frameStart' }
  | { kind: 'content'; remaining: number; final: boolean }
  | { kind: 'tag'; final: boolean }
  | { kind: 'done' };

/**
 * Where a verifier that decrypts puts each frame's plaintext: a frame's pieces arrive as they
 * are decrypted, and it may leave only after `frameEnd` (its tag verified). Each piece is
 * valid only during the call (copy it: it is wiped after), so the garbage collector never
 * sees it survive: decrypted pieces held until their frame ended outlived the collections
 * of the young generation and piled up (64 MiB and more) until a full collection.
 */
export interface FramePlaintext {
  frameStart(contentLength: number): void;
  piece(plain: Buffer): void;
  frameEnd(): void;
}

export class FrameVerifier {
  private state: State = { kind: 'frameStart' };
  private fixed = Buffer.alloc(0);
  private expectedSequence = 1;
  private decipher: DecipherGCM | undefined;
  private readonly cipherName: 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm';
  /** Bytes of plaintext the verified frames hold. */
  plaintextLength = 0;

  /** `plaintext`: receives each frame's plaintext (decrypting, not only checking); else it is wiped. */
  constructor(
    private readonly header: MessageHeader,
    private readonly derivedKey: Buffer,
    private readonly plaintext?: FramePlaintext,
  ) {
    if (header.contentType !== 'framed') throw new MessageFormatError('Only framed messages can be walked frame by frame.');
    this.cipherName = `aes-${header.suite.keyLength * 8}-gcm` as 'aes-256-gcm';
  }

  /** Checks the next bytes of the body. Throws a KmsError (TamperedCiphertext) or MessageFormatError. */
  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const state = this.state;
      switch (state.kind) {
        case 'done':
          throw tampered('there are bytes after its final frame');
        case 'frameStart': {
          // Needs 4 bytes to know the kind of frame, then 16 (regular) or 24 (final) in all.
          at = this.collect(chunk, at, 4);
          if (this.fixed.length < 4) return;
          const final = this.fixed.readUInt32BE(0) === FINAL_MARKER;
          const headerLength = final ? 4 + 4 + IV_LENGTH + 4 : 4 + IV_LENGTH;
          at = this.collect(chunk, at, headerLength);
          if (this.fixed.length < headerLength) return;
          this.startFrame(final);
          break;
        }
        case 'content': {
          const take = Math.min(state.remaining, chunk.length - at);
          const plain = this.decipher?.update(chunk.subarray(at, at + take));
          if (plain?.length) {
            this.plaintext?.piece(plain);
            plain.fill(0);
          }
          state.remaining -= take;
          at += take;
          if (state.remaining === 0) this.state = { kind: 'tag', final: state.final };
          break;
        }
        case 'tag': {
          at = this.collect(chunk, at, TAG_LENGTH);
          if (this.fixed.length < TAG_LENGTH) return;
          this.finishFrame(state.final);
          break;
        }
      }
    }
  }

  /** Throws unless the message ended right after its final frame. */
  end(): void {
    if (this.state.kind !== 'done') throw tampered('it is truncated: its final frame is missing');
  }

  private collect(chunk: Buffer, at: number, want: number): number {
    // Never negative: a final frame's start may already hold more than the 4 bytes asked first.
    const take = Math.max(0, Math.min(want - this.fixed.length, chunk.length - at));
    if (take > 0) this.fixed = Buffer.concat([this.fixed, chunk.subarray(at, at + take)]);
    return at + take;
  }

  private startFrame(final: boolean): void {
    const f = this.fixed;
    const sequence = final ? f.readUInt32BE(4) : f.readUInt32BE(0);
    const iv = final ? f.subarray(8, 8 + IV_LENGTH) : f.subarray(4, 4 + IV_LENGTH);
    const contentLength = final ? f.readUInt32BE(8 + IV_LENGTH) : this.header.frameLength;
    if (sequence !== this.expectedSequence) throw tampered(`frame ${this.expectedSequence} is missing or out of order`);
    if (contentLength > this.header.frameLength) throw tampered('its final frame is longer than the frame length');
    const aad = Buffer.alloc(this.header.messageId.length + (final ? FINAL_FRAME_AAD.length : FRAME_AAD.length) + 12);
    let o = this.header.messageId.copy(aad, 0);
    o += (final ? FINAL_FRAME_AAD : FRAME_AAD).copy(aad, o);
    o = aad.writeUInt32BE(sequence, o);
    aad.writeBigUInt64BE(BigInt(contentLength), o);
    this.decipher = createDecipheriv(this.cipherName, this.derivedKey, iv);
    this.decipher.setAAD(aad);
    this.fixed = Buffer.alloc(0);
    this.plaintextLength += contentLength;
    this.plaintext?.frameStart(contentLength);
    this.state = contentLength > 0 ? { kind: 'content', remaining: contentLength, final } : { kind: 'tag', final };
  }

  private finishFrame(final: boolean): void {
    const decipher = this.decipher;
    if (!decipher) throw new MessageFormatError('Frame state lost.');
    decipher.setAuthTag(this.fixed);
    try {
      decipher.final();
    } catch {
      throw tampered(`frame ${this.expectedSequence} does not authenticate`);
    }
    this.plaintext?.frameEnd();
    this.decipher = undefined;
    this.fixed = Buffer.alloc(0);
    this.expectedSequence++;
    this.state = final ? { kind: 'done' } : { kind: 'frameStart' };
  }
}

/**
 * Checks one final frame on its own (u32 0xFFFFFFFF · u32 sequence · IV · u32 content length ·
 * content · tag, exactly): its tag under `derivedKey`, with `sequence` and its length in the AAD.
 * What the header-only re-wrap reads of a body (the tail), so a message cut short or extended
 * never gets a fresh header. The plaintext computed on the way is wiped.
 */
export function verifyFinalFrame(header: MessageHeader, derivedKey: Buffer, frame: Buffer, sequence: number): void {
  const start = 4 + 4 + IV_LENGTH + 4;
  if (frame.length < start + TAG_LENGTH || frame.readUInt32BE(0) !== FINAL_MARKER || frame.readUInt32BE(4) !== sequence)
    throw tampered('it is truncated: its final frame is missing');
  const contentLength = frame.readUInt32BE(8 + IV_LENGTH);
  if (frame.length !== start + contentLength + TAG_LENGTH) throw tampered('it is truncated or has bytes after its final frame');
  const aad = Buffer.alloc(header.messageId.length + FINAL_FRAME_AAD.length + 12);
  let o = header.messageId.copy(aad, 0);
  o += FINAL_FRAME_AAD.copy(aad, o);
  o = aad.writeUInt32BE(sequence, o);
  aad.writeBigUInt64BE(BigInt(contentLength), o);
  const decipher = createDecipheriv(`aes-${header.suite.keyLength * 8}-gcm` as 'aes-256-gcm', derivedKey, frame.subarray(8, 8 + IV_LENGTH));
  decipher.setAAD(aad);
  decipher.setAuthTag(frame.subarray(start + contentLength));
  decipher.update(frame.subarray(start, start + contentLength)).fill(0);
  try {
    decipher.final();
  } catch {
    throw tampered(`frame ${sequence} does not authenticate`);
  }
}
