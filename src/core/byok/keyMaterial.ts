import { createPrivateKey, generateKeyPair, randomBytes } from 'node:crypto';
import { type Checked, ok, problem } from '../keyOps/checked';
import { freshMaterialLength, materialProblem } from './wrapKeyMaterial';

/**
 * Key material for import: made fresh here, or read from what a person has (raw bytes,
 * base64 text, a PEM private key). Every function returns a Buffer the caller zeroes
 * after use; nothing here keeps a copy.
 */

const CURVES: Record<string, string> = {
  ECC_NIST_P256: 'prime256v1',
  ECC_NIST_P384: 'secp384r1',
  ECC_NIST_P521: 'secp521r1',
  ECC_SECG_P256K1: 'secp256k1',
};

/** Whether material of this spec is a private key (DER PKCS#8) rather than secret bytes. */
export function isAsymmetricSpec(keySpec: string | undefined): boolean {
  return keySpec !== undefined && (keySpec.startsWith('RSA_') || keySpec.startsWith('ECC_'));
}

/** Whether fresh material can be made here for this key spec. */
export function canGenerate(keySpec: string | undefined): boolean {
  return (
    freshMaterialLength(keySpec) !== undefined || (keySpec !== undefined && (keySpec.startsWith('RSA_') || CURVES[keySpec] !== undefined))
  );
}

/** Fresh material for a key spec: random bytes (symmetric: 32, HMAC: the digest size), or a new private key (PKCS#8 DER). */
export async function generateMaterial(keySpec: string | undefined): Promise<Buffer> {
  const length = freshMaterialLength(keySpec);
  if (length !== undefined) return randomBytes(length);
  const spec = keySpec ?? '';
  const der = { privateKeyEncoding: { type: 'pkcs8', format: 'der' }, publicKeyEncoding: { type: 'spki', format: 'der' } } as const;
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, _publicKey: Buffer, privateKey: Buffer): void => (error ? reject(error) : resolve(privateKey));
    if (spec.startsWith('RSA_')) generateKeyPair('rsa', { modulusLength: Number(spec.slice(4)), ...der }, done);
    else if (CURVES[spec]) generateKeyPair('ec', { namedCurve: CURVES[spec], ...der }, done);
    else reject(new Error(`Key material for ${spec} cannot be made here.`));
  });
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Material from base64 text (an argument or a paste). */
export function materialFromBase64(text: string, keySpec: string | undefined): Checked<Buffer> {
  const compact = text.replace(/\s+/g, '');
  if (!compact || !BASE64.test(compact) || compact.length % 4 !== 0)
    return problem('The key material must be base64 (as `openssl rand -base64 32` prints it).');
  return checked(Buffer.from(compact, 'base64'), keySpec);
}

/**
 * Material from a file's bytes: a PEM private key (asymmetric keys; PKCS#1 and SEC1 are
 * converted to PKCS#8), raw bytes of the right size, or base64 text.
 */
export function materialFromFile(bytes: Uint8Array, keySpec: string | undefined): Checked<Buffer> {
  const buffer = Buffer.from(bytes);
  const head = buffer.subarray(0, 64).toString('latin1');
  if (head.includes('-----BEGIN')) {
    if (!isAsymmetricSpec(keySpec))
      return problem(`This is a PEM file; ${keySpec ?? 'SYMMETRIC_DEFAULT'} key material is plain bytes (32 for a symmetric key).`);
    try {
      return checked(createPrivateKey({ key: buffer, format: 'pem' }).export({ type: 'pkcs8', format: 'der' }), keySpec);
    } catch {
      return problem('The PEM file holds no private key that can be read (an encrypted private key must be decrypted first).');
    }
  }
  if (isAsymmetricSpec(keySpec)) return checked(buffer, keySpec);
  if (materialProblem(keySpec, buffer) === undefined) return checked(Buffer.from(buffer), keySpec);
  const text = buffer.toString('latin1').trim();
  if (BASE64.test(text.replace(/\s+/g, ''))) return materialFromBase64(text, keySpec);
  return checked(Buffer.from(buffer), keySpec);
}

function checked(material: Buffer, keySpec: string | undefined): Checked<Buffer> {
  const wrong = materialProblem(keySpec, material);
  if (wrong) {
    material.fill(0);
    return problem(wrong);
  }
  return ok(material);
}

/** The ISO date of an `expiresAt` argument: in the future, at most 365 days ahead (KMS's limit). */
export function checkExpiry(text: string, now = new Date()): Checked<Date> {
  const trimmed = text.trim();
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? `${trimmed}T00:00:00Z` : trimmed);
  if (!trimmed || Number.isNaN(date.getTime())) return problem(`"${text}" is not a date: write it as 2026-12-31 or 2026-12-31T18:00:00Z.`);
  if (date.getTime() <= now.getTime()) return problem(`${date.toISOString()} is not in the future.`);
  const max = now.getTime() + 365 * 24 * 60 * 60 * 1000;
  if (date.getTime() > max)
    return problem(`KMS lets imported key material expire at most 365 days ahead (${new Date(max).toISOString().slice(0, 10)}).`);
  return ok(date);
}
