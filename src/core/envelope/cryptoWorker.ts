// Encrypting or decrypting a file's content off the main thread, in a worker thread
// (fileCryptoWorker.ts) that does the AES-GCM, the framing and the base64.
//
// Into a replacement's temporary file (the usual case): the worker also reads the original
// and writes the temporary file, through the descriptors the atomic replacement opened and
// checks, with positioned reads and writes on libuv's thread pool. Reading, encrypting and
// writing overlap, so two cores are used, and the extension host's thread handles a progress
// message per chunk and nothing else: no buffer passes through it. A cancel asks the worker
// to stop at the next chunk; it answers once none of its reads or writes is in flight (the
// replacement then closes and removes the temporary file; the original is untouched).
//
// Into any other sink (a stream): the main side reads the original and writes the sink, the
// worker only transforms; buffers are moved (not copied) both ways. At most WINDOW chunks
// are in the worker, and no more is read while the sink is full. A cancel terminates the
// worker at once.
//
// Memory is bounded whatever the file's size. The data key is posted once (a copy, which the
// worker zeroes; the caller zeroes its own).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { type DirectWrites, directWritesOf, type OriginalFile } from '../files/atomicReplace';
import { KmsError } from '../kms/errors';
import type { FromWorker, ToWorker } from './cryptoWorkerProtocol';
import { type CodecSpec, createFileCodec } from './fileCodec';

/** Chunks read ahead of the worker (each `chunkSize`). */
const WINDOW = 4;
const DEFAULT_CHUNK = 1024 * 1024;
/** Files smaller than this are done on the calling thread: starting a worker costs more. */
export const INLINE_BELOW_BYTES = 256 * 1024;

export interface CryptFileOptions {
  readonly signal?: AbortSignal;
  /** Bytes of the original read so far, of `total`. */
  readonly onProgress?: (done: number, total: number) => void;
  readonly chunkSize?: number;
  /**
   * The worker's script (a bundle). Default: fileCryptoWorker.js beside this bundle (dist/);
   * where there is none (the sources run by tsx in unit tests), the work runs on this thread.
   * `false`: always on this thread.
   */
  readonly workerScript?: string | false;
}

/** The worker bundle next to the running bundle (dist/fileCryptoWorker.js), when there is one. */
export function defaultWorkerScript(): string | undefined {
  const script = join(__dirname, 'fileCryptoWorker.js');
  return existsSync(script) ? script : undefined;
}

/** Reads `original`, turns it into the new content per `spec`, and writes (and ends) `sink`. */
export function cryptFile(original: OriginalFile, sink: Writable, spec: CodecSpec, options: CryptFileOptions = {}): Promise<void> {
  const script = options.workerScript === false ? undefined : (options.workerScript ?? defaultWorkerScript());
  if (!script || original.size < INLINE_BELOW_BYTES) return cryptInline(original, sink, spec, options);
  return cryptInWorker(script, original, sink, spec, options);
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name === 'AbortError'
    ? reason
    : Object.assign(new Error('The operation was cancelled.'), { name: 'AbortError' });
}

async function cryptInline(original: OriginalFile, sink: Writable, spec: CodecSpec, options: CryptFileOptions): Promise<void> {
  const codec = createFileCodec({ ...spec, dataKey: Uint8Array.from(spec.dataKey), plaintextLength: original.size });
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  // A failed write shows as the sink's 'error' (the write itself may have returned true).
  const state: { failure?: Error } = {};
  const onError = (error: Error): void => {
    state.failure ??= error;
  };
  sink.on('error', onError);
  const write = async (chunks: Buffer[]): Promise<void> => {
    for (const c of chunks) {
      if (state.failure) throw state.failure;
      if (!sink.write(c)) await waitForDrain(sink, options.signal);
    }
  };
  try {
    let position = 0;
    for (;;) {
      if (options.signal?.aborted) throw abortError(options.signal);
      if (state.failure) throw state.failure;
      const buffer = Buffer.allocUnsafe(chunkSize);
      const { bytesRead } = await original.handle.read(buffer, 0, chunkSize, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      options.onProgress?.(position, original.size);
      await write(codec.push(buffer.subarray(0, bytesRead)));
    }
    await write(codec.end());
    await endSink(sink);
  } catch (error) {
    abandon(sink);
    // A write that failed after it was accepted shows first as the sink's error; then ending fails too.
    throw state.failure ?? error;
  } finally {
    sink.off('error', onError);
    codec.dispose();
  }
}

/**
 * After a failure or a cancel: no write queued in the sink may start (the replacement closes
 * the temporary file and removes it), and a late write error goes nowhere.
 */
function abandon(sink: Writable): void {
  sink.on('error', () => undefined);
  if (!sink.destroyed) sink.destroy();
}

function waitForDrain(sink: Writable, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error): void => {
      sink.off('drain', onDrain);
      sink.off('error', onError);
      sink.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = (): void => done();
    const onError = (error: Error): void => done(error);
    const onClose = (): void => done(new Error('The file being written was closed.'));
    const onAbort = (): void => done(abortError(signal!));
    sink.once('drain', onDrain);
    sink.once('error', onError);
    sink.once('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function endSink(sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    sink.end((error?: Error | null) => (error ? reject(error) : resolve()));
  });
}

function errorFromWorker(message: Extract<FromWorker, { type: 'error' }>): Error {
  if (message.code) return new KmsError(message.code, message.message);
  const error = Object.assign(new Error(message.message), { name: message.name });
  return message.errno ? Object.assign(error, { code: message.errno }) : error;
}

// One worker is kept for the next file for a little while: starting one costs 30-80 ms (a new
// V8 isolate and Node's bootstrap), as much as encrypting 64 MiB. It holds no key between
// files (the codec zeroes its keys at the end), is terminated after IDLE_MS unused, on a
// failure and on a cancel, and never keeps the process alive while idle.
const IDLE_MS = 30_000;
let idle: { script: string; worker: Worker; timer: NodeJS.Timeout; onExit: () => void } | undefined;

function newWorker(script: string): Worker {
  // No inherited Node options (the extension host's are not all allowed in a worker); a
  // small heap (the buffers themselves live outside it).
  return new Worker(script, {
    execArgv: [],
    stdout: true,
    stderr: true,
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
  });
}

function takeWorker(script: string): Worker {
  const kept = idle;
  idle = undefined;
  if (kept) {
    clearTimeout(kept.timer);
    kept.worker.off('exit', kept.onExit);
  }
  if (kept?.script === script) {
    kept.worker.ref();
    return kept.worker;
  }
  if (kept) void kept.worker.terminate();
  return newWorker(script);
}

function keepWorker(script: string, worker: Worker): void {
  if (idle) void idle.worker.terminate();
  worker.unref();
  const timer = setTimeout(() => {
    if (idle?.worker === worker) idle = undefined;
    void worker.terminate();
  }, IDLE_MS);
  timer.unref();
  // A worker that dies while idle is not handed out.
  const onExit = (): void => {
    if (idle?.worker !== worker) return;
    clearTimeout(idle.timer);
    idle = undefined;
  };
  worker.once('exit', onExit);
  idle = { script, worker, timer, onExit };
}

/**
 * Starts the worker for a file of `size` bytes ahead of time (while KMS is asked for the data
 * key), so it is ready when the first chunk is read. Nothing when the file is done inline.
 */
export function prestartCryptoWorker(size: number, workerScript?: string | false): void {
  const script = workerScript === false ? undefined : (workerScript ?? defaultWorkerScript());
  if (!script || size < INLINE_BELOW_BYTES || idle?.script === script) return;
  keepWorker(script, newWorker(script));
}

/** Terminates the kept worker (deactivation, tests); whether there was one. */
export async function stopCryptoWorker(): Promise<boolean> {
  const kept = idle;
  idle = undefined;
  if (!kept) return false;
  clearTimeout(kept.timer);
  kept.worker.off('exit', kept.onExit);
  await kept.worker.terminate();
  return true;
}

/** How long a cancelled worker has to answer (it stops at its next chunk) before it is terminated. */
const CANCEL_GRACE_MS = 5_000;

/** The worker reads the original and writes the temporary file itself (see the top). */
function cryptFileInWorker(
  script: string,
  original: OriginalFile,
  direct: DirectWrites,
  spec: CodecSpec,
  options: CryptFileOptions,
): Promise<void> {
  const signal = options.signal;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<void>((resolve, reject) => {
    const worker = takeWorker(script);
    let settled = false;
    let cancelled: Error | undefined;
    let grace: NodeJS.Timeout | undefined;
    const finish = (error?: unknown, keep = !error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(grace);
      signal?.removeEventListener('abort', onAbort);
      worker.off('error', onWorkerError);
      worker.off('exit', onExit);
      worker.off('message', onMessage);
      // Done cleanly: kept for the next file. Failed or cancelled: stopped (it has no read or
      // write in flight any more: it answered, or it exited).
      if (keep) keepWorker(script, worker);
      else void worker.terminate();
      if (error) reject(error instanceof Error ? error : new Error('The file-crypto worker failed.', { cause: error }));
      else resolve();
    };
    const onAbort = (): void => {
      if (cancelled) return;
      cancelled = abortError(signal!);
      worker.postMessage({ type: 'cancel' } satisfies ToWorker);
      // A worker that does not answer is terminated; the replacement goes on (closing the
      // descriptors) only once it has exited, so no late write lands anywhere.
      grace = setTimeout(() => void worker.terminate(), CANCEL_GRACE_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // Crashed, or terminated: settled on 'exit', once its requests are done.
    let crash: Error | undefined;
    const onWorkerError = (error: Error): void => {
      crash ??= error;
    };
    const onExit = (code: number): void =>
      finish(cancelled ?? crash ?? new Error(`The file-crypto worker stopped (exit code ${code}) before it finished.`));
    const onMessage = (message: FromWorker): void => {
      if (settled) return;
      switch (message.type) {
        case 'progress':
          options.onProgress?.(message.done, original.size);
          break;
        case 'written':
          if (cancelled) finish(cancelled);
          else direct.done(message.bytes).then(() => finish(), finish);
          break;
        case 'error':
          finish(cancelled ?? errorFromWorker(message));
          break;
      }
    };
    worker.on('error', onWorkerError);
    worker.on('exit', onExit);
    worker.on('message', onMessage);
    // The worker gets its own copy of the data key (moved), and zeroes it.
    const dataKey = Uint8Array.from(spec.dataKey);
    const job: ToWorker = {
      type: 'file',
      op: spec.op,
      armor: spec.armor,
      dataKey,
      header: Uint8Array.from(spec.header),
      inFd: original.handle.fd,
      size: original.size,
      outFd: direct.fd,
      outPosition: direct.position,
      chunkSize: options.chunkSize ?? DEFAULT_CHUNK,
      flushEvery: direct.flushEvery,
    };
    worker.postMessage(job, [dataKey.buffer]);
  });
}

function cryptInWorker(script: string, original: OriginalFile, sink: Writable, spec: CodecSpec, options: CryptFileOptions): Promise<void> {
  const direct = directWritesOf(sink);
  if (direct) return cryptFileInWorker(script, original, direct, spec, options);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  const signal = options.signal;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<void>((resolve, reject) => {
    const worker = takeWorker(script);
    let settled = false;
    let inFlight = 0;
    /** Read buffers back from the worker, reused. */
    const readBuffers: ArrayBuffer[] = [];
    let wake: (() => void) | undefined;
    const wakeUp = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      sink.off('drain', wakeUp);
      sink.off('error', finish);
      worker.off('error', onWorkerError);
      worker.off('exit', onExit);
      worker.off('message', onMessage);
      wakeUp();
      // Done cleanly: kept for the next file. Failed or cancelled: stopped at once.
      if (error) void worker.terminate();
      else keepWorker(script, worker);
      if (error) abandon(sink);
      if (error) reject(error instanceof Error ? error : new Error('The file-crypto worker failed.', { cause: error }));
      else resolve();
    };
    const onAbort = (): void => finish(abortError(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    sink.on('drain', wakeUp);
    sink.on('error', finish);
    const onWorkerError = (error: Error): void => finish(error);
    const onExit = (code: number): void => finish(new Error(`The file-crypto worker stopped (exit code ${code}) before it finished.`));
    const onMessage = (message: FromWorker): void => {
      if (settled) return;
      switch (message.type) {
        case 'out': {
          const bytes = Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength);
          // Once in the file: decrypted bytes wiped, the memory handed back to the worker for reuse.
          sink.write(bytes, () => {
            if (spec.op === 'decrypt') bytes.fill(0);
            if (!settled) post({ type: 'recycle', buffer: bytes.buffer as ArrayBuffer }, [bytes.buffer as ArrayBuffer]);
          });
          break;
        }
        case 'ack':
          inFlight--;
          if (message.buffer.byteLength === chunkSize && readBuffers.length < WINDOW) readBuffers.push(message.buffer);
          wakeUp();
          break;
        case 'done':
          sink.end((error?: Error | null) => finish(error ?? undefined));
          break;
        case 'error':
          finish(errorFromWorker(message));
          break;
      }
    };
    worker.on('error', onWorkerError);
    worker.on('exit', onExit);
    worker.on('message', onMessage);
    const post = (message: ToWorker, transfer: ArrayBuffer[] = []): void => worker.postMessage(message, transfer);
    // The worker gets its own copy of the data key (moved), and zeroes it.
    const dataKey = Uint8Array.from(spec.dataKey);
    post({ type: 'start', op: spec.op, armor: spec.armor, dataKey, header: Uint8Array.from(spec.header), plaintextLength: original.size }, [
      dataKey.buffer,
    ]);

    const read = async (): Promise<void> => {
      let position = 0;
      while (!settled) {
        while (!settled && (inFlight >= WINDOW || sink.writableNeedDrain)) await new Promise<void>((r) => (wake = r));
        if (settled) return;
        // A buffer of its own (not from Node's pool), so it can be moved to the worker and back.
        const reused = readBuffers.pop();
        const buffer = reused ? Buffer.from(reused) : Buffer.allocUnsafeSlow(chunkSize);
        const { bytesRead } = await original.handle.read(buffer, 0, chunkSize, position);
        if (settled) {
          buffer.fill(0);
          return;
        }
        if (bytesRead === 0) {
          post({ type: 'end' });
          return;
        }
        position += bytesRead;
        options.onProgress?.(position, original.size);
        inFlight++;
        post({ type: 'chunk', bytes: new Uint8Array(buffer.buffer, 0, bytesRead) }, [buffer.buffer]);
      }
    };
    read().catch(finish);
  });
}
