// Messages between the extension host's main thread and the file-crypto worker.
//
// main → worker: start (once: what to do, the data key, the header), then chunks of the
// file, then end. worker → main: out (chunks of the new content, in order), ack (one per
// chunk consumed: the main side keeps a bounded number in flight), done or error (last).
// Buffers are transferred, not copied.

export type ToWorker =
  | { readonly type: 'start'; readonly op: 'encrypt' | 'decrypt'; readonly armor: 'base64' | 'binary'; readonly dataKey: Uint8Array; readonly header: Uint8Array }
  | { readonly type: 'chunk'; readonly bytes: Uint8Array }
  | { readonly type: 'end' };

export type FromWorker =
  | { readonly type: 'out'; readonly bytes: Uint8Array }
  | { readonly type: 'ack' }
  | { readonly type: 'done' }
  | { readonly type: 'error'; readonly name: string; readonly code?: string; readonly message: string };
