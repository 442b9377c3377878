// Messages between the extension host's main thread and the file-crypto worker.
//
// main → worker: start (once: what to do, the data key, the header, the plaintext's length),
// then chunks of the file, then end; recycle hands back an output buffer once it is written.
// worker → main: out (chunks of the new content, in order), ack (one per chunk consumed, with
// the chunk's memory back for the next read: the main side keeps a bounded number in
// flight), done or error (last). Buffers are moved (transferred), not copied, both ways, and
// reused: memory stays flat however large the file.

export type ToWorker =
  | {
      readonly type: 'start';
      readonly op: 'encrypt' | 'decrypt';
      readonly armor: 'base64' | 'binary';
      readonly dataKey: Uint8Array;
      readonly header: Uint8Array;
      readonly plaintextLength?: number;
    }
  | { readonly type: 'chunk'; readonly bytes: Uint8Array }
  | { readonly type: 'recycle'; readonly buffer: ArrayBuffer }
  | { readonly type: 'end' };

export type FromWorker =
  | { readonly type: 'out'; readonly bytes: Uint8Array }
  | { readonly type: 'ack'; readonly buffer: ArrayBuffer }
  | { readonly type: 'done' }
  | { readonly type: 'error'; readonly name: string; readonly code?: string; readonly message: string };
