// The stand-in for readable-stream v3 in dist/encryptionSdk.js (src/core/lazy/esdk/readableStream.ts):
// node's streams with v3's behaviour where the Encryption SDK depends on it.
import * as assert from 'node:assert/strict';
import * as stream from 'node:stream';
import { createRequire } from 'node:module';
import { Duplex, PassThrough, Transform, finished, pipeline } from '../../../src/core/lazy/esdk/readableStream';

type V3 = { Transform: typeof stream.Transform; pipeline: (...a: unknown[]) => unknown; finished: typeof stream.finished };
// readable-stream as the SDK resolves it (a dependency of the SDK, not ours).
const sdkRequire = createRequire(require.resolve('@aws-crypto/encrypt-node'));
const v3 = sdkRequire('readable-stream') as V3;

/** A transform like the SDK's: upper-cases, and implements _destroy without calling back. */
function sdkLike<T extends typeof stream.Transform>(Base: T): stream.Transform {
  const Class = class extends (Base as typeof stream.Transform) {
    disposed = 0;
    override _transform(chunk: Buffer, _e: BufferEncoding, cb: stream.TransformCallback): void {
      cb(null, Buffer.from(chunk.toString().toUpperCase()));
    }
    override _destroy(): void {
      this.disposed++;
    }
  };
  return new Class();
}

async function settle(s: NodeJS.ReadableStream | NodeJS.WritableStream, fin: typeof stream.finished): Promise<string> {
  return new Promise((resolve, reject) => fin(s, (e) => (e ? reject(e) : resolve('done'))));
}

describe('readable-stream stand-in of the Encryption SDK bundle', () => {
  it('a stream whose _destroy never calls back still finishes, as with readable-stream v3', async () => {
    for (const [Base, fin] of [
      [Transform, finished],
      [v3.Transform, v3.finished],
    ] as const) {
      const t = sdkLike(Base);
      const out: Buffer[] = [];
      t.on('data', (c: Buffer) => out.push(c));
      t.end('abc');
      assert.equal(await settle(t, fin), 'done');
      assert.equal(Buffer.concat(out).toString(), 'ABC');
      assert.equal(t.destroyed, false, 'not destroyed at its end (autoDestroy false)');
    }
  });

  it('pipeline without a callback pipes, as readable-stream v3 allows (node requires one)', async () => {
    assert.throws(() => (stream.pipeline as unknown as (...a: unknown[]) => unknown)(new stream.PassThrough(), new stream.PassThrough()));
    const a = new PassThrough();
    const b = sdkLike(Transform);
    pipeline(a, b);
    const out: Buffer[] = [];
    b.on('data', (c: Buffer) => out.push(c));
    a.end('frames');
    await settle(b, finished);
    assert.equal(Buffer.concat(out).toString(), 'FRAMES');
  });

  it('pipeline with a callback reports a failure and destroys the streams', async () => {
    const a = new PassThrough();
    const b = new Transform({ transform: (_c: Buffer, _e: string, cb: stream.TransformCallback) => cb(new Error('bad frame')) });
    const error = await new Promise<Error | null | undefined>((resolve) => {
      pipeline(a, b, resolve);
      a.write('x');
    });
    assert.match(String(error), /bad frame/);
    assert.ok(a.destroyed && b.destroyed);
  });

  it('constructors are callable as functions on a subclass, as duplexify does (Duplex.call(this, options))', async () => {
    function Legacy(this: stream.Duplex & { got: string[] }, options?: object): void {
      (Duplex as unknown as (this: unknown, o?: object) => void).call(this, options);
      this.got = [];
    }
    Object.setPrototypeOf(Legacy.prototype as object, Duplex.prototype);
    Legacy.prototype._write = function (this: { got: string[] }, c: Buffer, _e: string, cb: () => void) {
      this.got.push(c.toString());
      cb();
    };
    Legacy.prototype._read = function (this: stream.Duplex) {
      this.push(null);
    };
    const d = new (Legacy as unknown as new () => stream.Duplex & { got: string[] })();
    assert.ok(d instanceof stream.Duplex && d instanceof Duplex);
    d.resume();
    d.end('x');
    await settle(d, finished);
    assert.deepEqual(d.got, ['x']);
    assert.equal(d.destroyed, false);
    const plain = (Transform as unknown as (o?: object) => stream.Transform)();
    assert.ok(plain instanceof stream.Transform, 'called without new, as readable-stream allows');
  });
});
