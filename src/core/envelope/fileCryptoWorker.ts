// The file-crypto worker thread (its own bundle, dist/fileCryptoWorker.js): the AES-GCM,
// the framing and the base64 of Encrypt File / Decrypt File run here, off the extension
// host's main thread (see cryptoWorker.ts for the other side and the protocol). It gets the
// plaintext data key once, derives the frame key, and zeroes both when it is done or fails;
// it never logs and never touches the file system.
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
  const e = error as { name?: string; message?: string; code?: string };
  post({
    type: 'error',
    name: e?.name ?? 'Error',
    code: error instanceof KmsError ? error.code : undefined,
    message: e?.message ?? String(error),
  });
}

port.on('message', (message: ToWorker) => {
  try {
    switch (message.type) {
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
