// Shamir's secret sharing over GF(2^8) as sops uses it for several key groups (sops carries
// HashiCorp Vault's implementation): each share is the polynomial values followed by one byte
// of x coordinate; the secret is the polynomials' value at x = 0.
import { randomBytes } from 'node:crypto';
import { SopsError } from './tree';

function mul(a: number, b: number): number {
  let p = 0;
  while (b) {
    if (b & 1) p ^= a;
    a <<= 1;
    if (a & 0x100) a ^= 0x11b;
    b >>= 1;
  }
  return p;
}

function inverse(a: number): number {
  // a^254 = a^-1 in GF(2^8)
  let result = 1;
  let base = a;
  let e = 254;
  while (e) {
    if (e & 1) result = mul(result, base);
    base = mul(base, base);
    e >>= 1;
  }
  return result;
}

/** Recombines `shares` (at least the threshold of them) into the secret. */
export function combineShares(shares: readonly Uint8Array[]): Buffer {
  if (shares.length < 2) throw new SopsError('SopsFormat', 'Shamir recombination needs at least two shares.');
  const len = shares[0].length;
  if (len < 2 || shares.some((s) => s.length !== len))
    throw new SopsError('SopsFormat', 'The Shamir shares of this file have different lengths: the file is damaged.');
  const xs = shares.map((s) => s[len - 1]);
  if (new Set(xs).size !== xs.length)
    throw new SopsError('SopsFormat', 'Two Shamir shares of this file have the same x coordinate: the file is damaged.');
  const secret = Buffer.alloc(len - 1);
  for (let byte = 0; byte < len - 1; byte++) {
    let value = 0;
    for (let i = 0; i < shares.length; i++) {
      let basis = 1;
      for (let j = 0; j < shares.length; j++) {
        if (i === j) continue;
        // (0 - x_j) / (x_i - x_j), with subtraction being xor
        basis = mul(basis, mul(xs[j], inverse(xs[i] ^ xs[j])));
      }
      value ^= mul(shares[i][byte], basis);
    }
    secret[byte] = value;
  }
  return secret;
}

/** Splits `secret` into `parts` shares, any `threshold` of which recombine it. */
export function splitSecret(secret: Uint8Array, parts: number, threshold: number): Buffer[] {
  if (threshold < 2 || parts < threshold || parts > 255)
    throw new SopsError('SopsFormat', `A Shamir threshold must be at least 2 and at most the number of key groups (${parts}).`);
  const xs: number[] = [];
  const pool = randomBytes(512);
  for (const b of pool) if (b !== 0 && !xs.includes(b) && xs.length < parts) xs.push(b);
  const shares = xs.map((x) => {
    const s = Buffer.alloc(secret.length + 1);
    s[secret.length] = x;
    return s;
  });
  for (let byte = 0; byte < secret.length; byte++) {
    const coefficients = [secret[byte], ...randomBytes(threshold - 1)];
    shares.forEach((share, k) => {
      const x = xs[k];
      let y = 0;
      for (let c = coefficients.length - 1; c >= 0; c--) y = mul(y, x) ^ coefficients[c];
      share[byte] = y;
    });
  }
  return shares;
}
