// The BigInt stand-in for bn.js (src/core/lazy/esdk/bn.ts) against bn.js itself, the copy the
// Encryption SDK would use, for every operation the SDK does with it.
import * as assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { createRequire } from 'node:module';
import BN from '../../../src/core/lazy/esdk/bn';

type AnyBN = {
  toString(base: number): string;
  toArray(endian: string, length?: number): number[];
  toNumber(): number;
  bitLength(): number;
  mod(b: AnyBN): AnyBN;
  add(b: AnyBN): AnyBN;
  sub(b: AnyBN): AnyBN;
  mul(b: AnyBN): AnyBN;
  div(b: AnyBN): AnyBN;
  pow(b: AnyBN): AnyBN;
  eq(b: AnyBN): boolean;
  toRed(r: unknown): AnyBN;
  redPow(b: AnyBN): AnyBN;
  fromRed(): AnyBN;
};
type BNClass = { new (n: unknown, base?: unknown, endian?: unknown): AnyBN; mont(m: AnyBN): unknown };
// bn.js as @aws-crypto/material-management resolves it (a dependency of the SDK, not ours).
const sdkRequire = createRequire(require.resolve('@aws-crypto/material-management'));
const Original = sdkRequire('bn.js') as BNClass;
const Lite = BN as unknown as BNClass;

const P384 = 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFF';
const P256 = 'FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF';

describe('bn.js stand-in of the Encryption SDK bundle', () => {
  it('reads hex strings, numbers and big-endian byte arrays as bn.js does', () => {
    for (const hex of [P384, P256, '0', '1', 'ff', 'abcdef0123456789']) {
      assert.equal(new Lite(hex, 16).toString(16), new Original(hex, 16).toString(16));
    }
    for (const n of [0, 1, 255, 256, 4096, 2 ** 32 + 7, Number.MAX_SAFE_INTEGER]) {
      assert.equal(new Lite(n).toString(10), new Original(n).toString(10));
    }
    for (let i = 0; i < 50; i++) {
      const bytes = [...randomBytes(randomInt(0, 60))];
      assert.equal(new Lite(bytes).toString(16), new Original(bytes).toString(16));
      assert.equal(new Lite(bytes, 16, 'be').toString(16), new Original(bytes, 16, 'be').toString(16));
    }
  });

  it('computes mod, add, sub, mul, div, pow, eq and bitLength as bn.js does', () => {
    for (let i = 0; i < 100; i++) {
      const a = [...randomBytes(randomInt(1, 50))];
      const b: number[] = [...randomBytes(randomInt(1, 20))];
      if (!b.some((x) => x !== 0)) b[0] = 1;
      const [la, lb, oa, ob] = [new Lite(a), new Lite(b), new Original(a), new Original(b)];
      for (const op of ['mod', 'add', 'mul', 'div'] as const) assert.equal(la[op](lb).toString(16), oa[op](ob).toString(16), op);
      assert.equal(la.add(lb).sub(lb).toString(16), oa.add(ob).sub(ob).toString(16));
      assert.equal(la.pow(new Lite(3)).toString(16), oa.pow(new Original(3)).toString(16));
      assert.equal(la.eq(new Lite(a)), true);
      assert.equal(la.eq(lb), oa.eq(ob));
      assert.equal(la.bitLength(), oa.bitLength());
    }
    assert.equal(new Lite(0).bitLength(), new Original(0).bitLength());
  });

  it('raises to a power modulo p (BN.mont, toRed, redPow, fromRed) as bn.js does, for both curves', () => {
    for (const hex of [P256, P384]) {
      const [lp, op] = [new Lite(hex, 16), new Original(hex, 16)];
      const [lm, om] = [Lite.mont(lp), Original.mont(op)];
      // the exponent of the SDK's square root: (p + 1) / 4
      const [le, oe] = [lp.add(new Lite(1)).div(new Lite(4)), op.add(new Original(1)).div(new Original(4))];
      for (let i = 0; i < 20; i++) {
        const x = [...randomBytes(hex.length / 2 - 1)];
        assert.equal(new Lite(x).toRed(lm).redPow(le).fromRed().toString(16), new Original(x).toRed(om).redPow(oe).fromRed().toString(16));
      }
    }
  });

  it('writes and reads 8-byte content lengths; more than 53 bits refused like bn.js', () => {
    for (const n of [0, 1, 4096, 2 ** 36 - 32, Number.MAX_SAFE_INTEGER]) {
      assert.deepEqual(new Lite(n).toArray('be', 8), new Original(n).toArray('be', 8));
      const bytes = new Original(n).toArray('be', 8);
      assert.equal(new Lite(bytes, 16, 'be').toNumber(), new Original(bytes, 16, 'be').toNumber());
    }
    const tooBig = [0, 0x20, 0, 0, 0, 0, 0, 0];
    assert.throws(() => new Original(tooBig, 16, 'be').toNumber(), /53 bits/);
    assert.throws(() => new Lite(tooBig, 16, 'be').toNumber(), /53 bits/);
    assert.throws(() => new Lite(2 ** 70).toArray('be', 8));
    assert.throws(() => new Lite([1, 2, 3, 4, 5, 6, 7, 8, 9]).toArray('be', 8), /longer than desired length/);
    assert.deepEqual(new Lite([1, 2]).toArray('be'), new Original([1, 2]).toArray('be'));
  });

  it('refuses what it does not implement instead of computing something else', () => {
    assert.throws(() => new Lite('12', 8));
    assert.throws(() => new Lite([1, 2], 16, 'le'));
    assert.throws(() => new Lite([300]));
    assert.throws(() => new Lite(5).redPow(new Lite(2)), /toRed/);
    assert.throws(() => new Lite(5).toRed(Lite.mont(new Lite(5))), /toRed/);
  });
});
