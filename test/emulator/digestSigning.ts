// Signing a message digest KMS receives with MessageType DIGEST. Node's crypto.sign always hashes
// its input, so for a precomputed digest: ECDSA with BigInt arithmetic, RSASSA-PKCS1-v1_5 with the
// DigestInfo prefix and a raw private-key operation, RSASSA-PSS with EMSA-PSS (RFC 8017 9.1).
// Tests check every result with Node's own verify over the original message.
import { constants, createHash, type KeyObject, privateEncrypt, publicDecrypt, randomBytes } from 'node:crypto';

// ------------------------------------------------------------------ ECDSA

interface Curve {
  p: bigint;
  a: bigint;
  n: bigint;
  gx: bigint;
  gy: bigint;
}

const curves: Record<string, Curve> = {
  'P-256': {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    a: 0xffffffff00000001000000000000000000000000fffffffffffffffffffffffcn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
    gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
  },
  'P-384': {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    a: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffcn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
    gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
  },
  'P-521': {
    p: (1n << 521n) - 1n,
    a: (1n << 521n) - 4n,
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    gx: 0x00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66n,
    gy: 0x011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650n,
  },
  secp256k1: {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn,
    a: 0n,
    n: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
    gx: 0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n,
    gy: 0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n,
  },
};

/** Jacobian point (X/Z², Y/Z³); Z = 0 is the point at infinity. */
type Point = [bigint, bigint, bigint];

const mod = (a: bigint, m: bigint): bigint => {
  const r = a % m;
  return r < 0n ? r + m : r;
};

function modPow(base: bigint, exponent: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}

/** Inverse modulo a prime. */
const inverse = (a: bigint, m: bigint): bigint => modPow(a, m - 2n, m);

function double(c: Curve, [x, y, z]: Point): Point {
  if (z === 0n || y === 0n) return [0n, 1n, 0n];
  const { p } = c;
  const yy = (y * y) % p;
  const s = (4n * x * yy) % p;
  const zz = (z * z) % p;
  const m = mod(3n * x * x + c.a * zz * zz, p);
  const x3 = mod(m * m - 2n * s, p);
  const y3 = mod(m * (s - x3) - 8n * yy * yy, p);
  return [x3, y3, (2n * y * z) % p];
}

function add(c: Curve, a: Point, b: Point): Point {
  if (a[2] === 0n) return b;
  if (b[2] === 0n) return a;
  const { p } = c;
  const z1z1 = (a[2] * a[2]) % p;
  const z2z2 = (b[2] * b[2]) % p;
  const u1 = (a[0] * z2z2) % p;
  const u2 = (b[0] * z1z1) % p;
  const s1 = (a[1] * z2z2 * b[2]) % p;
  const s2 = (b[1] * z1z1 * a[2]) % p;
  if (u1 === u2) return s1 === s2 ? double(c, a) : [0n, 1n, 0n];
  const h = mod(u2 - u1, p);
  const r = mod(s2 - s1, p);
  const hh = (h * h) % p;
  const hhh = (hh * h) % p;
  const x3 = mod(r * r - hhh - 2n * u1 * hh, p);
  const y3 = mod(r * (u1 * hh - x3) - s1 * hhh, p);
  return [x3, y3, (h * a[2] * b[2]) % p];
}

function multiply(c: Curve, point: Point, k: bigint): Point {
  let result: Point = [0n, 1n, 0n];
  for (let i = BigInt(k.toString(2).length - 1); i >= 0n; i--) {
    result = double(c, result);
    if ((k >> i) & 1n) result = add(c, result, point);
  }
  return result;
}

function affineX(c: Curve, [x, , z]: Point): bigint {
  const zi = inverse(z, c.p);
  return (x * zi * zi) % c.p;
}

const toBigInt = (bytes: Buffer): bigint => (bytes.length ? BigInt(`0x${bytes.toString('hex')}`) : 0n);

/** The digest as an integer, truncated to the bit length of the group order (SEC 1, 4.1.3). */
function digestInteger(c: Curve, digest: Buffer): bigint {
  const nBits = c.n.toString(2).length;
  const e = toBigInt(digest);
  const excess = digest.length * 8 - nBits;
  return excess > 0 ? e >> BigInt(excess) : e;
}

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let l = length; l > 0; l >>= 8) bytes.unshift(l & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02]), derLength(bytes.length), bytes]);
}

function readDer(buf: Buffer, offset: number, tag: number): { value: Buffer; next: number } {
  if (buf[offset] !== tag) throw new Error('unexpected DER tag');
  let length = buf[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 2) throw new Error('bad DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = (length << 8) | buf[start + i];
    start += count;
  }
  if (start + length > buf.length) throw new Error('truncated DER');
  return { value: buf.subarray(start, start + length), next: start + length };
}

function curveOf(key: KeyObject): { curve: Curve; d?: bigint; q?: Point } {
  const jwk = key.export({ format: 'jwk' });
  const curve = curves[jwk.crv ?? ''];
  if (!curve) throw new Error(`unsupported curve ${jwk.crv}`);
  const num = (v: string | undefined): bigint | undefined => (v === undefined ? undefined : toBigInt(Buffer.from(v, 'base64url')));
  const x = num(jwk.x);
  const y = num(jwk.y);
  return { curve, d: num(jwk.d), q: x !== undefined && y !== undefined ? [x, y, 1n] : undefined };
}

/** ECDSA over a digest; the signature DER-encoded as KMS returns it. */
export function ecdsaSignDigest(privateKey: KeyObject, digest: Buffer): Buffer {
  const { curve, d } = curveOf(privateKey);
  if (d === undefined) throw new Error('not a private key');
  const e = digestInteger(curve, digest);
  const g: Point = [curve.gx, curve.gy, 1n];
  const byteLength = Math.ceil(curve.n.toString(2).length / 8);
  for (;;) {
    const k = (toBigInt(randomBytes(byteLength + 8)) % (curve.n - 1n)) + 1n;
    const r = affineX(curve, multiply(curve, g, k)) % curve.n;
    if (r === 0n) continue;
    const s = (inverse(k, curve.n) * (e + r * d)) % curve.n;
    if (s === 0n) continue;
    const body = Buffer.concat([derInteger(r), derInteger(s)]);
    return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
  }
}

export function ecdsaVerifyDigest(publicKey: KeyObject, digest: Buffer, signature: Buffer): boolean {
  const { curve, q } = curveOf(publicKey);
  if (!q) return false;
  let r: bigint;
  let s: bigint;
  try {
    const seq = readDer(signature, 0, 0x30);
    if (seq.next !== signature.length) return false;
    const first = readDer(seq.value, 0, 0x02);
    const second = readDer(seq.value, first.next, 0x02);
    if (second.next !== seq.value.length) return false;
    r = toBigInt(first.value);
    s = toBigInt(second.value);
  } catch {
    return false;
  }
  if (r <= 0n || r >= curve.n || s <= 0n || s >= curve.n) return false;
  const w = inverse(s, curve.n);
  const u1 = (digestInteger(curve, digest) * w) % curve.n;
  const u2 = (r * w) % curve.n;
  const point = add(curve, multiply(curve, [curve.gx, curve.gy, 1n], u1), multiply(curve, q, u2));
  if (point[2] === 0n) return false;
  return affineX(curve, point) % curve.n === r;
}

// ------------------------------------------------------------------ RSA

type Hash = 'sha256' | 'sha384' | 'sha512';

const digestInfoPrefix: Record<Hash, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

export function rsaPkcs1SignDigest(privateKey: KeyObject, hash: Hash, digest: Buffer): Buffer {
  return privateEncrypt(
    { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
    Buffer.concat([Buffer.from(digestInfoPrefix[hash], 'hex'), digest]),
  );
}

export function rsaPkcs1VerifyDigest(publicKey: KeyObject, hash: Hash, digest: Buffer, signature: Buffer): boolean {
  try {
    const recovered = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
    return recovered.equals(Buffer.concat([Buffer.from(digestInfoPrefix[hash], 'hex'), digest]));
  } catch {
    return false;
  }
}

function mgf1(hash: Hash, seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * seed.length < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(createHash(hash).update(seed).update(c).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function modulusBits(key: KeyObject): number {
  return key.asymmetricKeyDetails?.modulusLength ?? 0;
}

/** RSASSA-PSS over a digest, MGF1 with the same hash, salt length = digest length (as KMS). */
export function rsaPssSignDigest(privateKey: KeyObject, hash: Hash, digest: Buffer): Buffer {
  const emBits = modulusBits(privateKey) - 1;
  const emLen = Math.ceil(emBits / 8);
  const hLen = digest.length;
  const salt = randomBytes(hLen);
  const h = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - 2 * hLen - 2), Buffer.from([1]), salt]);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i] ^= mask[i];
  db[0] &= 0xff >> (8 * emLen - emBits);
  const em = Buffer.concat([db, h, Buffer.from([0xbc])]);
  const k = Math.ceil(modulusBits(privateKey) / 8);
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, Buffer.concat([Buffer.alloc(k - em.length), em]));
}

export function rsaPssVerifyDigest(publicKey: KeyObject, hash: Hash, digest: Buffer, signature: Buffer): boolean {
  const emBits = modulusBits(publicKey) - 1;
  const emLen = Math.ceil(emBits / 8);
  const hLen = digest.length;
  let em: Buffer;
  try {
    const raw = publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature);
    em = raw.subarray(raw.length - emLen);
    if (raw.subarray(0, raw.length - emLen).some((b) => b !== 0)) return false;
  } catch {
    return false;
  }
  if (em[emLen - 1] !== 0xbc) return false;
  const masked = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  if (masked[0] & ~(0xff >> (8 * emLen - emBits)) & 0xff) return false;
  const db = Buffer.from(masked);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i] ^= mask[i];
  db[0] &= 0xff >> (8 * emLen - emBits);
  const psLength = emLen - 2 * hLen - 2;
  if (db.subarray(0, psLength).some((b) => b !== 0) || db[psLength] !== 1) return false;
  const salt = db.subarray(db.length - hLen);
  return createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest().equals(h);
}
