// The file codec's decrypting side: frames are decrypted straight into output buffers of the
// pool and leave only whole and verified; a frame that does not verify leaves nothing of its
// plaintext behind (in what was handed out or in the pool's buffers); the verifier wipes each
// decrypted piece once its receiver has seen it.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type BufferPool, createFileCodec } from '../../../src/core/envelope/fileCodec';
import { FrameVerifier } from '../../../src/core/envelope/frames';
import { parseMessageHeader } from '../../../src/core/envelope/messageFormat';
import { testHeader } from './messageHeaders';

const FRAME = 4096;

function headerFor(dataKey: Buffer, frameLength = FRAME): { header: Buffer; derivedKey: Buffer } {
  return testHeader(dataKey, frameLength);
}

function encrypted(plaintext: Buffer, dataKey: Buffer, header: Buffer): Buffer {
  const codec = createFileCodec({
    op: 'encrypt',
    armor: 'binary',
    dataKey: Buffer.from(dataKey),
    header,
    plaintextLength: plaintext.length,
  });
  return Buffer.concat([...codec.push(Buffer.from(plaintext)), ...codec.end()]);
}

/** A pool that remembers every buffer it gave out. */
function recordingPool(): BufferPool & { given: Buffer[] } {
  const given: Buffer[] = [];
  return {
    given,
    alloc(size) {
      const b = Buffer.alloc(size, 0xaa);
      given.push(b);
      return b;
    },
    free: () => undefined,
  };
}

function pushAll(codec: { push(c: Buffer): Buffer[] }, message: Buffer, sizes: () => number): { out: Buffer[]; error?: unknown } {
  const out: Buffer[] = [];
  try {
    for (let at = 0; at < message.length; ) {
      const n = Math.min(sizes(), message.length - at);
      out.push(...codec.push(message.subarray(at, at + n)));
      at += n;
    }
  } catch (error) {
    return { out, error };
  }
  return { out };
}

describe('the file codec, decrypting', () => {
  it('gives back the plaintext in whole, verified frames, in buffers of the pool, whatever the chunking', () => {
    for (const size of [0, 1, FRAME - 1, FRAME, 3 * FRAME + 5, 600 * FRAME + 17]) {
      const plaintext = randomBytes(size);
      const dataKey = randomBytes(32);
      const { header } = headerFor(dataKey);
      const message = encrypted(plaintext, dataKey, header);
      for (const chunk of [1, 7, 4113, 65_536, 1 << 20]) {
        if (chunk < 100 && size > 10 * FRAME) continue;
        const pool = recordingPool();
        const codec = createFileCodec({ op: 'decrypt', armor: 'binary', dataKey: Buffer.from(dataKey), header }, pool);
        const { out, error } = pushAll(codec, message, () => chunk);
        assert.equal(error, undefined);
        out.push(...codec.end());
        assert.ok(Buffer.concat(out).equals(plaintext), `size ${size}, chunk ${chunk}`);
        for (const b of out.slice(0, -1)) assert.equal(b.length % FRAME, 0, 'only whole frames leave before the end');
        for (const b of out)
          assert.ok(
            pool.given.some((g) => g.buffer === b.buffer),
            'each output is a buffer of the pool',
          );
      }
    }
  });

  it('a frame that does not verify: nothing of its plaintext was handed out, and dispose wipes the buffers it was decrypted into', () => {
    const plaintext = randomBytes(40 * FRAME);
    const dataKey = randomBytes(32);
    const { header } = headerFor(dataKey);
    const message = encrypted(plaintext, dataKey, header);
    // Frame 30's content (each regular frame: 4 + 12 + 4096 + 16 bytes).
    const damaged = Buffer.from(message);
    damaged[header.length + 29 * (FRAME + 32) + 100] ^= 1;
    const pool = recordingPool();
    const codec = createFileCodec({ op: 'decrypt', armor: 'binary', dataKey: Buffer.from(dataKey), header }, pool);
    const { out, error } = pushAll(codec, damaged, () => 3000);
    assert.match(String((error as Error)?.message), /frame 30 does not authenticate/);
    const handedOut = Buffer.concat(out);
    assert.ok(handedOut.length <= 29 * FRAME, `only frames before the damaged one left (${handedOut.length} bytes)`);
    assert.ok(handedOut.equals(plaintext.subarray(0, handedOut.length)));
    // What the codec still holds (frames 1-29 not handed out yet, and frame 30) is wiped.
    codec.dispose();
    const frame30 = plaintext.subarray(29 * FRAME, 30 * FRAME);
    for (const b of pool.given) {
      if (out.some((o) => o.buffer === b.buffer)) continue;
      assert.ok(
        b.every((x) => x === 0),
        'a buffer not handed out is zeroed',
      );
      assert.equal(b.indexOf(frame30.subarray(0, 64)), -1);
    }
  });

  it('the verifier wipes each decrypted piece once its receiver has seen it', () => {
    const plaintext = randomBytes(5 * FRAME + 3);
    const dataKey = randomBytes(32);
    const { header, derivedKey } = headerFor(dataKey);
    const message = encrypted(plaintext, dataKey, header);
    const parsed = parseMessageHeader(header)!;
    const seen: Buffer[] = [];
    const copies: Buffer[] = [];
    const verifier = new FrameVerifier(parsed, derivedKey, {
      frameStart: () => undefined,
      piece: (plain) => {
        seen.push(plain);
        copies.push(Buffer.from(plain));
      },
      frameEnd: () => undefined,
    });
    verifier.push(message.subarray(header.length));
    verifier.end();
    assert.ok(Buffer.concat(copies).equals(plaintext), 'the receiver saw the plaintext');
    assert.ok(
      seen.every((p) => p.every((x) => x === 0)),
      'every piece was wiped after the call',
    );
  });
});
