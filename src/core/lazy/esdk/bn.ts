// bn.js as far as the AWS Encryption SDK (v5) uses it, over BigInt. The build (scripts/bundleAliases.mjs)
// puts this in place of bn.js in dist/encryptionSdk.js: bn.js is 44 KB minified (and asn1.js
// brought a second copy of it), where the SDK only needs the arithmetic below, in three places:
// - @aws-crypto/material-management ecc_decode: decompressing the P-256/P-384 public key point of
//   a signed message (a modular square root: mod, pow, mul, add, sub, div, eq, bitLength, and a
//   Montgomery context: BN.mont, toRed, redPow, fromRed);
// - ecc_encode: the parity of y (mod, toNumber);
// - @aws-crypto/serialize aad_factory and decode_body_header: a content length to and from its
//   8 big-endian bytes (toArray('be', 8), toNumber).
// Anything else refuses loudly instead of computing something else. test/unit/lazy/bn.test.ts
// checks every operation against bn.js itself.

/** A modulus to compute in (bn.js's Montgomery context; plain modular arithmetic here). */
interface Red {
  readonly m: bigint;
}

// bn.js's module shape: the SDK takes BN as the package's default export.
// eslint-disable-next-line no-restricted-syntax
export default class BN {
  readonly #value: bigint;

  constructor(number: number | string | ArrayLike<number> | bigint, base?: number | 'hex', endian?: 'be' | 'le') {
    if (typeof number === 'bigint') {
      this.#value = number;
    } else if (typeof number === 'number') {
      if (!Number.isSafeInteger(number)) throw new Error('BN: a number must be a safe integer');
      this.#value = BigInt(number);
    } else if (typeof number === 'string') {
      const b = base === 'hex' ? 16 : (base ?? 10);
      if (b === 16 && /^[0-9a-fA-F]+$/.test(number)) this.#value = BigInt(`0x${number}`);
      else if (b === 10 && /^[0-9]+$/.test(number)) this.#value = BigInt(number);
      else throw new Error(`BN: unsupported number string in base ${String(base)}`);
    } else {
      // An array of bytes, big-endian unless told (bn.js ignores the base for arrays).
      if (endian !== undefined && endian !== 'be') throw new Error('BN: only big-endian byte arrays are supported');
      let v = 0n;
      for (let i = 0; i < number.length; i++) {
        const byte = number[i];
        if (!Number.isInteger(byte) || byte < 0 || byte > 255) throw new Error('BN: a byte array holds integers 0-255');
        v = (v << 8n) | BigInt(byte);
      }
      this.#value = v;
    }
  }

  static #of(value: bigint): BN {
    return new BN(value);
  }

  /** Arithmetic modulo `m` (bn.js: a Montgomery reduction context). */
  static mont(m: BN): Red {
    if (m.#value <= 0n) throw new Error('BN: the modulus must be positive');
    return { m: m.#value };
  }

  mod(b: BN): BN {
    return BN.#of(this.#value % b.#value);
  }
  add(b: BN): BN {
    return BN.#of(this.#value + b.#value);
  }
  sub(b: BN): BN {
    return BN.#of(this.#value - b.#value);
  }
  mul(b: BN): BN {
    return BN.#of(this.#value * b.#value);
  }
  div(b: BN): BN {
    if (b.#value === 0n) throw new Error('BN: division by zero');
    return BN.#of(this.#value / b.#value);
  }
  pow(b: BN): BN {
    return BN.#of(this.#value ** b.#value);
  }
  eq(b: BN): boolean {
    return this.#value === b.#value;
  }
  bitLength(): number {
    return this.#value === 0n ? 0 : (this.#value < 0n ? -this.#value : this.#value).toString(2).length;
  }
  /** The value as a number; like bn.js, refuses more than 53 bits. */
  toNumber(): number {
    const magnitude = this.#value < 0n ? -this.#value : this.#value;
    if (magnitude >= 1n << 53n) throw new Error('Number can only safely store up to 53 bits');
    return Number(this.#value);
  }
  /** The value's big-endian bytes, left-padded with zeros to `length` (bn.js toArray). */
  toArray(endian?: 'be' | 'le', length?: number): number[] {
    if (endian !== undefined && endian !== 'be') throw new Error('BN: only big-endian byte arrays are supported');
    if (this.#value < 0n) throw new Error('BN: a negative number has no byte array');
    const bytes: number[] = [];
    for (let v = this.#value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
    if (bytes.length === 0) bytes.push(0);
    const reqLength = Math.max(1, length ?? 0);
    if (bytes.length > reqLength) {
      if (length !== undefined) throw new Error('byte array longer than desired length');
      return bytes;
    }
    return [...new Array<number>(reqLength - bytes.length).fill(0), ...bytes];
  }
  toString(base = 10): string {
    return this.#value.toString(base);
  }

  /** This number in the arithmetic modulo `red.m`. */
  toRed(red: Red): BN {
    if (this.#value < 0n || this.#value >= red.m) throw new Error('BN: toRed needs 0 <= n < m');
    return new RedBN(this.#value, red);
  }
  redPow(_e: BN): BN {
    throw new Error('BN: redPow needs a number made by toRed');
  }
  fromRed(): BN {
    throw new Error('BN: fromRed needs a number made by toRed');
  }
  get value(): bigint {
    return this.#value;
  }
}

/** A number of a modular arithmetic (made by toRed). */
class RedBN extends BN {
  readonly #m: bigint;
  constructor(value: bigint, red: Red) {
    super(value);
    this.#m = red.m;
  }
  override redPow(e: BN): BN {
    let result = 1n;
    let base = this.value % this.#m;
    for (let exp = e.value; exp > 0n; exp >>= 1n) {
      if (exp & 1n) result = (result * base) % this.#m;
      base = (base * base) % this.#m;
    }
    return new RedBN(result, { m: this.#m });
  }
  override fromRed(): BN {
    return new BN(this.value);
  }
}
