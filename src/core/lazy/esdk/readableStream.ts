// readable-stream (v3, Node 10's streams) as far as the AWS Encryption SDK and duplexify use it,
// over node's own streams: the build (scripts/bundleAliases.mjs) puts this in its place in
// dist/encryptionSdk.js (readable-stream and string_decoder: 41 KB minified). Two differences
// of v3 from node's streams matter to the SDK, and are kept here:
// - streams are not destroyed once they end (v3's autoDestroy default is false): the SDK's
//   streams implement _destroy() without ever calling back, so under node's default they would
//   never close, and node's finished() (which waits for 'close') would never settle;
// - pipeline() without a callback is allowed (the SDK's encrypt pipes its frames into the
//   signature stream so); node requires one.
// Constructors stay callable as functions (`Duplex.call(this, options)`, as duplexify does).
import * as stream from 'node:stream';

/** A node stream class whose instances default to autoDestroy: false, as readable-stream v3's. */
function withoutAutoDestroy<C extends new (options?: object) => object>(Base: C): C {
  function Stream(this: unknown, options?: object): unknown {
    if (!(this instanceof Stream)) return new (Stream as unknown as C)(options);
    (Base as unknown as (this: unknown, options: object) => void).call(this, { autoDestroy: false, ...options });
    return undefined;
  }
  Object.setPrototypeOf(Stream.prototype as object, Base.prototype as object);
  Object.setPrototypeOf(Stream, Base);
  return Stream as unknown as C;
}

export const Readable = withoutAutoDestroy(stream.Readable);
export const Writable = withoutAutoDestroy(stream.Writable);
export const Duplex = withoutAutoDestroy(stream.Duplex);
export const Transform = withoutAutoDestroy(stream.Transform);
export const PassThrough = withoutAutoDestroy(stream.PassThrough);
export const Stream = stream.Stream;
export const finished = stream.finished;

/** node's pipeline, with the callback optional as in readable-stream v3 (errors then go nowhere). */
export function pipeline(...streams: unknown[]): unknown {
  const last = streams[streams.length - 1];
  const args = typeof last === 'function' ? streams : [...streams, () => {}];
  return (stream.pipeline as unknown as (...a: unknown[]) => unknown)(...args);
}
