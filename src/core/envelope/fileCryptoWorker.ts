// The file-crypto worker thread (its own bundle, dist/fileCryptoWorker.js): the AES-GCM,
// the framing and the base64 of Encrypt File / Decrypt File run here, off the extension
// host's main thread (see cryptoWorker.ts for the other side and the protocol). It gets the
// plaintext data key once, derives the frame key, and zeroes both when it is done or fails;
// it never logs and never touches the file system.
import { parentPort } from 'node:worker_threads';
import { KmsError } from '../kms/errors';
import { type CodecSpec, createFileCodec, type FileCodec } from './fileCodec';
import { MessageFormatError, tampered } from './messageFormat';
import type { FromWorker, ToWorker } from './cryptoWorkerProtocol';

const port = parentPort;
if (!port) throw new Error('fileCryptoWorker runs as a worker thread.');

let codec: FileCodec | undefined;

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

/** Sends chunks, moving (not copying) their memory when each owns all of it. */
function send(chunks: Buffer[]): void {
  for (const c of chunks) {
    const own = c.byteOffset === 0 && c.byteLength === c.buffer.byteLength && c.buffer instanceof ArrayBuffer;
    const bytes = own ? new Uint8Array(c.buffer, 0, c.byteLength) : new Uint8Array(c);
    post({ type: 'out', bytes }, [bytes.buffer]);
  }
}

function fail(failure: unknown): void {
  codec?.dispose();
  codec = undefined;
  // The structure is broken: the file was altered or cut short (as the main side says it).
  const error = failure instanceof MessageFormatError ? tampered(failure.message.replace(/\.$/, '')) : failure;
  const e = error as { name?: string; message?: string; code?: string };
  post({ type: 'error', name: e?.name ?? 'Error', code: error instanceof KmsError ? error.code : undefined, message: e?.message ?? String(error) });
}

port.on('message', (message: ToWorker) => {
  try {
    switch (message.type) {
      case 'start': {
        const spec: CodecSpec = { op: message.op, armor: message.armor, dataKey: message.dataKey, header: message.header };
        codec = createFileCodec(spec);
        break;
      }
      case 'chunk': {
        if (!codec) throw new Error('The worker got data before it was started.');
        const chunk = Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength);
        // The codec wipes plaintext it has encrypted.
        send(codec.push(chunk));
        post({ type: 'ack' });
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
