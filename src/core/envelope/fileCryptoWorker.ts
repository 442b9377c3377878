// The file-crypto worker thread (its own bundle, dist/fileCryptoWorker.js): the AES-GCM,
// the framing and the base64 of Encrypt File / Decrypt File run here, off the extension
// host's main thread (see cryptoWorker.ts for the other side and the protocol). It gets the
// plaintext data key once, derives the frame key, and zeroes both when it is done or fails;
// it never logs. For a file it reads the original and writes the temporary file itself,
// through the descriptors the replacement opened (it opens, closes and names no file), so the
// extension host's thread sees three messages per chunk at most and no data.
import { fdatasync, read, write } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { KmsError } from '../kms/errors';
import { type BufferPool, type CodecSpec, createFileCodec, type FileCodec } from './fileCodec';
import { MessageFormatError, tampered } from './messageFormat';
import type { FromWorker, ToWorker } from './cryptoWorkerProtocol';

const port = parentPort;
if (!port) throw new Error('fileCryptoWorker runs as a worker thread.');

let codec: FileCodec | undefined;

/** Output buffers the main side has written and handed back, reused for the next output. */
const spares: ArrayBuffer[] = [];
const MIN_OUTPUT = 2 * 1024 * 1024;
const MAX_SPARES = 8;
const pool: BufferPool = {
  alloc(size) {
    const i = spares.findIndex((b) => b.byteLength >= size);
    const buffer = i >= 0 ? spares.splice(i, 1)[0] : new ArrayBuffer(Math.max(size, MIN_OUTPUT));
    return Buffer.from(buffer, 0, size);
  },
  free(buffer) {
    if (
      buffer.byteOffset === 0 &&
      buffer.buffer instanceof ArrayBuffer &&
      buffer.buffer.byteLength >= MIN_OUTPUT &&
      spares.length < MAX_SPARES
    )
      spares.push(buffer.buffer);
  },
};

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

/** Sends chunks, moving (not copying) their memory: the whole buffer when it is one of the pool's. */
function send(chunks: Buffer[]): void {
  for (const c of chunks) {
    const pooled = c.byteOffset === 0 && c.buffer instanceof ArrayBuffer && c.buffer.byteLength >= MIN_OUTPUT;
    const bytes = pooled ? new Uint8Array(c.buffer, 0, c.byteLength) : new Uint8Array(c);
    post({ type: 'out', bytes }, [bytes.buffer]);
  }
}

function fail(failure: unknown): void {
  codec?.dispose();
  codec = undefined;
  // The structure is broken: the file was altered or cut short (as the main side says it).
  const error = failure instanceof MessageFormatError ? tampered(failure.message.replace(/\.$/, '')) : failure;
  const e = error as { name?: string; message?: string; code?: unknown };
  post({
    type: 'error',
    name: e?.name ?? 'Error',
    code: error instanceof KmsError ? error.code : undefined,
    errno: !(error instanceof KmsError) && typeof e?.code === 'string' ? e.code : undefined,
    message: e?.message ?? String(error),
  });
}

// ---- Files: read, crypt and write here --------------------------------------------------

type FileJob = Extract<ToWorker, { type: 'file' }>;

/** Bytes written but not yet on their way back to the pool: beyond this, the next chunk waits. */
const WRITES_IN_FLIGHT = 4 * 1024 * 1024;

/** A stop asked by the main side (cancel): the job ends at the next chunk. */
let stopAsked = false;

/** Reads into `buffer` at `position` of `fd` (a short read only at the end of the file). */
function readInto(fd: number, buffer: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buffer, 0, buffer.length, position, (error, n) => (error ? reject(error) : resolve(n))));
}

function writeAt(fd: number, buffer: Buffer, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const next = (at: number): void =>
      write(fd, buffer, at, buffer.length - at, position + at, (error, n) => {
        if (error) reject(error);
        else if (at + n < buffer.length) next(at + n);
        else resolve();
      });
    next(0);
  });
}

/**
 * Positioned writes of the new content, a bounded number of bytes in flight, each buffer back
 * to the pool (wiped when it held plaintext) once written; an fdatasync now and then, one at a
 * time. `settle` waits for every write and flush: nothing of it runs after the job answers.
 */
class FileWriter {
  written = 0;
  private position: number;
  private inFlight = 0;
  private readonly pending = new Set<Promise<void>>();
  private failure: Error | undefined;
  private flushedUpTo = 0;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly job: FileJob,
    private readonly plaintextOut: boolean,
  ) {
    this.position = job.outPosition;
  }

  async add(chunks: Buffer[]): Promise<void> {
    for (const chunk of chunks) {
      if (this.failure) throw this.failure;
      const length = chunk.length;
      const at = this.position;
      this.position += length;
      this.inFlight += length;
      const done: Promise<void> = writeAt(this.job.outFd, chunk, at).then(
        () => {
          this.written += length;
          this.flushNowAndThen();
        },
        (error: Error) => {
          this.failure ??= error;
        },
      );
      const tracked = done.finally(() => {
        this.inFlight -= length;
        this.pending.delete(tracked);
        if (this.plaintextOut) chunk.fill(0);
        pool.free(chunk);
      });
      this.pending.add(tracked);
      while (this.inFlight > WRITES_IN_FLIGHT && !this.failure) await Promise.race(this.pending);
    }
    if (this.failure) throw this.failure;
  }

  private flushNowAndThen(): void {
    if (this.flushing || this.written - this.flushedUpTo < this.job.flushEvery) return;
    this.flushedUpTo = this.written;
    // Its failure shows in the final sync on the main side.
    this.flushing = new Promise<void>((resolve) => fdatasync(this.job.outFd, () => resolve())).then(() => {
      this.flushing = undefined;
    });
  }

  /** Every write and flush done; the first write failure, if any. */
  async settle(): Promise<Error | undefined> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    while (this.flushing) await this.flushing;
    return this.failure;
  }
}

async function cryptFileHere(job: FileJob): Promise<number> {
  const fileCodec = createFileCodec(
    { op: job.op, armor: job.armor, dataKey: job.dataKey, header: job.header, plaintextLength: job.size },
    pool,
  );
  codec = fileCodec;
  const writer = new FileWriter(job, job.op === 'decrypt');
  // Two read buffers: the next chunk is read while this one is encrypted or decrypted.
  const buffers = [Buffer.allocUnsafeSlow(job.chunkSize), Buffer.allocUnsafeSlow(job.chunkSize)];
  let reading: Promise<number> | undefined;
  try {
    let position = 0;
    let which = 0;
    reading = readInto(job.inFd, buffers[which], position);
    for (;;) {
      const n = await reading;
      reading = undefined;
      if (n === 0) break;
      if (stopAsked) throw Object.assign(new Error('The operation was cancelled.'), { name: 'AbortError' });
      const chunk = buffers[which].subarray(0, n);
      position += n;
      which ^= 1;
      reading = readInto(job.inFd, buffers[which], position);
      post({ type: 'progress', done: position });
      await writer.add(fileCodec.push(chunk));
    }
    await writer.add(fileCodec.end());
    const failure = await writer.settle();
    if (failure) throw failure;
    return writer.written;
  } finally {
    // Nothing of this job may touch the descriptors once it answers.
    await reading?.catch(() => undefined);
    await writer.settle();
    for (const b of buffers) b.fill(0);
    fileCodec.dispose();
    if (codec === fileCodec) codec = undefined;
  }
}

port.on('message', (message: ToWorker) => {
  try {
    switch (message.type) {
      case 'file': {
        stopAsked = false;
        cryptFileHere(message).then(
          (bytes) => post({ type: 'written', bytes }),
          (error: unknown) => fail(error),
        );
        break;
      }
      case 'cancel': {
        stopAsked = true;
        break;
      }
      case 'start': {
        const spec: CodecSpec = {
          op: message.op,
          armor: message.armor,
          dataKey: message.dataKey,
          header: message.header,
          plaintextLength: message.plaintextLength,
        };
        codec = createFileCodec(spec, pool);
        break;
      }
      case 'chunk': {
        if (!codec) throw new Error('The worker got data before it was started.');
        const chunk = Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength);
        // The codec does not keep the chunk (and wipes plaintext it encrypted): its memory goes back for the next read.
        send(codec.push(chunk));
        const buffer = message.bytes.buffer as ArrayBuffer;
        post({ type: 'ack', buffer }, [buffer]);
        break;
      }
      case 'recycle': {
        pool.free(Buffer.from(message.buffer));
        break;
      }
      case 'end': {
        if (!codec) throw new Error('The worker got the end before it was started.');
        send(codec.end());
        codec.dispose();
        codec = undefined;
        post({ type: 'done' });
        break;
      }
    }
  } catch (error) {
    fail(error);
  }
});
