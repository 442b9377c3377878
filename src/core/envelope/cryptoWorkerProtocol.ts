// Messages between the extension host's main thread and the file-crypto worker.
//
// Files: main → worker: file (what to do, the data key, the header, the original's and the
// temporary file's descriptors); the worker reads, encrypts or decrypts and writes them itself
// with positioned reads and writes, and answers with progress, then written or error (last,
// once no read or write of it is in flight). cancel asks it to stop at the next chunk.
//
// Other sinks (streams): main → worker: start (once: what to do, the data key, the header, the
// plaintext's length), then chunks of the file, then end; recycle hands back an output buffer
// once it is written. worker → main: out (chunks of the new content, in order), ack (one per
// chunk consumed, with the chunk's memory back for the next read: the main side keeps a
// bounded number in flight), done or error (last). Buffers are moved (transferred), not
// copied, both ways, and reused: memory stays flat however large the file.

export type ToWorker =
  | {
      readonly type: 'start';
      readonly op: 'encrypt' | 'decrypt';
      readonly armor: 'base64' | 'binary';
      readonly dataKey: Uint8Array;
      readonly header: Uint8Array;
      readonly plaintextLength?: number;
    }
  | {
      readonly type: 'file';
      readonly op: 'encrypt' | 'decrypt';
      readonly armor: 'base64' | 'binary';
      readonly dataKey: Uint8Array;
      readonly header: Uint8Array;
      /** The original: its descriptor (read from byte 0) and its size. */
      readonly inFd: number;
      readonly size: number;
      /** The temporary file: its descriptor and where to start writing. */
      readonly outFd: number;
      readonly outPosition: number;
      readonly chunkSize: number;
      /** fdatasync after every so many bytes written (one at a time), so the final sync is short. */
      readonly flushEvery: number;
    }
  | { readonly type: 'cancel' }
  | { readonly type: 'chunk'; readonly bytes: Uint8Array }
  | { readonly type: 'recycle'; readonly buffer: ArrayBuffer }
  | { readonly type: 'end' };

export type FromWorker =
  | { readonly type: 'out'; readonly bytes: Uint8Array }
  | { readonly type: 'ack'; readonly buffer: ArrayBuffer }
  | { readonly type: 'done' }
  /** Bytes of the original read so far (files). */
  | { readonly type: 'progress'; readonly done: number }
  /** The file is written (files): every write has completed. */
  | { readonly type: 'written'; readonly bytes: number }
  /** `code`: a KMS error's name; `errno`: a file-system error's code (EIO, ENOSPC…). */
  | { readonly type: 'error'; readonly name: string; readonly code?: string; readonly errno?: string; readonly message: string };
