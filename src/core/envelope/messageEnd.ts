// Where an Encryption SDK message ends. The Encryption SDK reads a message up to its final
// frame (and footer) and ignores whatever follows: a second message appended to a file, or
// "AAAA" appended to base64 armor, would be dropped without a word. Here the body is walked
// by its lengths only (no cryptography: sequence numbers, IVs and tags are the SDK's to
// check), so bytes after the end are refused as tampering, in a stream and in a buffer.
//
// Framed body: regular frames (u32 sequence · 12-byte IV · frameLength bytes · 16-byte tag),
// then the final frame (u32 0xFFFFFFFF · u32 sequence · 12-byte IV · u32 content length ·
// content · 16-byte tag). Non-framed body: 12-byte IV · u64 content length · content · tag.
// Signed suites: then a footer, u16 signature length · signature.
import { Transform, type TransformCallback } from 'node:stream';
import { IV_LENGTH, type MessageHeader, TAG_LENGTH, tampered } from './messageFormat';

const FINAL_MARKER = 0xffffffff;

type Step =
  | { kind: 'skip'; left: number; next: () => void }
  | { kind: 'fixed'; want: number; then: (bytes: Buffer) => void }
  | { kind: 'done' };

/** Walks a message's structure by length, chunk by chunk (cost per chunk: a few steps, not per byte). */
export class MessageEndTracker {
  private step: Step;
  private collected: Buffer[] = [];
  private collectedLength = 0;

  constructor(private readonly header: MessageHeader) {
    this.step = { kind: 'skip', left: header.length, next: () => this.body() };
  }

  get done(): boolean {
    return this.step.kind === 'done';
  }

  /** Takes the next bytes of the message; throws TamperedCiphertext when any lie after its end. */
  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const step = this.step;
      if (step.kind === 'done') throw tampered(`there are ${chunk.length - at} bytes after its end, another message or appended data`);
      if (step.kind === 'skip') {
        const take = Math.min(step.left, chunk.length - at);
        step.left -= take;
        at += take;
        if (step.left === 0) step.next();
        continue;
      }
      const take = Math.min(step.want - this.collectedLength, chunk.length - at);
      this.collected.push(chunk.subarray(at, at + take));
      this.collectedLength += take;
      at += take;
      if (this.collectedLength === step.want) {
        const bytes = Buffer.concat(this.collected);
        this.collected = [];
        this.collectedLength = 0;
        step.then(bytes);
      }
    }
  }

  /** Throws unless the message ended exactly where its structure says. */
  end(): void {
    if (this.step.kind !== 'done') throw tampered('it is truncated');
  }

  private skip(left: number, next: () => void): void {
    if (left === 0) next();
    else this.step = { kind: 'skip', left, next };
  }

  private fixed(want: number, then: (bytes: Buffer) => void): void {
    this.step = { kind: 'fixed', want, then };
  }

  private body(): void {
    if (this.header.contentType === 'non-framed') {
      this.fixed(IV_LENGTH + 8, (b) => {
        const length = Number(b.readBigUInt64BE(IV_LENGTH));
        this.skip(length + TAG_LENGTH, () => this.footer());
      });
      return;
    }
    this.frame();
  }

  private frame(): void {
    this.fixed(4, (b) => {
      if (b.readUInt32BE(0) !== FINAL_MARKER) {
        this.skip(IV_LENGTH + this.header.frameLength + TAG_LENGTH, () => this.frame());
        return;
      }
      this.fixed(4 + IV_LENGTH + 4, (f) => {
        const contentLength = f.readUInt32BE(4 + IV_LENGTH);
        if (contentLength > this.header.frameLength) throw tampered('its final frame is longer than the frame length');
        this.skip(contentLength + TAG_LENGTH, () => this.footer());
      });
    });
  }

  private footer(): void {
    if (!this.header.suite.signed) {
      this.step = { kind: 'done' };
      return;
    }
    this.fixed(2, (b) => this.skip(b.readUInt16BE(0), () => (this.step = { kind: 'done' })));
  }
}

/** Throws TamperedCiphertext unless `message` is exactly one message (nothing missing, nothing after it). */
export function checkMessageEnd(message: Uint8Array, header: MessageHeader): void {
  const tracker = new MessageEndTracker(header);
  tracker.push(Buffer.from(message.buffer, message.byteOffset, message.byteLength));
  tracker.end();
}

/**
 * A pass-through stream in front of the Encryption SDK's decrypt stream: fails with
 * TamperedCiphertext as soon as bytes follow the end of the message (the chunks themselves
 * pass unchanged). A message cut short is left to the SDK, which says so.
 */
export class MessageEndGuard extends Transform {
  private readonly tracker: MessageEndTracker;

  constructor(header: MessageHeader) {
    super();
    this.tracker = new MessageEndTracker(header);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.tracker.push(chunk);
      callback(null, chunk);
    } catch (error) {
      callback(error as Error);
    }
  }
}
