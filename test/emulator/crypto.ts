// Real cryptography with node:crypto: key material, symmetric ciphertext blobs, RSA OAEP,
// signatures (RAW through Node, DIGEST through ./digestSigning) and HMAC.
//
// Symmetric ciphertext blob (all integers big-endian):
//   01 02 02 00 78        header, like a KMS blob
//   41                    the emulator's format version 1 (0x40..0x7f: the base64 starts "AQICAHh")
//   u8  L, L bytes        key id (UUID or mrk-…), ASCII: Decrypt finds the key without a KeyId
//   32 bytes              key material id (which version of the key's material)
//   12 bytes              AES-GCM IV
//   16 bytes              AES-GCM tag
//   rest                  AES-256-GCM ciphertext
// AAD = the header, version, key id and material id as above, then the encryption context canonicalised
// (entries sorted by key, JSON). A ciphertext from one key never decrypts under another, and a
// wrong or missing context or any altered byte fails authentication.
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  sign as nodeSign,
  timingSafeEqual,
  verify as nodeVerify,
} from 'node:crypto';
import {
  ecdsaSignDigest,
  ecdsaVerifyDigest,
  rsaPkcs1SignDigest,
  rsaPkcs1VerifyDigest,
  rsaPssSignDigest,
  rsaPssVerifyDigest,
} from './digestSigning';
import { invalidCiphertext } from './errors';
import { type ClassicSigningAlgorithm, digestOf, type EncryptionAlgorithm, type MacAlgorithm } from './keySpecs';
import { isMlDsa, isMlKem, newPostQuantumMaterial } from './postQuantum';
import type { KeyMaterial, KeySpec } from './types';

export const blobHeader = Buffer.from([0x01, 0x02, 0x02, 0x00, 0x78, 0x41]);
const materialIdLength = 32;
const ivLength = 12;
const tagLength = 16;

export function newMaterialId(): string {
  return randomBytes(materialIdLength).toString('hex');
}

const hmacKeyBytes: Record<string, number> = { HMAC_224: 28, HMAC_256: 32, HMAC_384: 48, HMAC_512: 64 };

/** Bytes of secret material of a symmetric (AES-256) or HMAC key; 0 for asymmetric specs. */
export function secretLength(spec: KeySpec): number {
  return spec === 'SYMMETRIC_DEFAULT' ? 32 : (hmacKeyBytes[spec] ?? 0);
}

/** Material for symmetric and HMAC keys (immediate); asymmetric keys use generateAsymmetricMaterial. */
export function newSecretMaterial(spec: KeySpec, created = Date.now()): KeyMaterial {
  const length = secretLength(spec);
  if (!length) throw new Error(`${spec} has no secret material`);
  return { id: newMaterialId(), created, secret: randomBytes(length).toString('base64') };
}

/** Key specs with a key pair (DataKeyPairSpec names the same ones). */
type AsymmetricSpec = Exclude<KeySpec, 'SYMMETRIC_DEFAULT' | 'HMAC_224' | 'HMAC_256' | 'HMAC_384' | 'HMAC_512'>;

const namedCurves: Record<string, string> = {
  ECC_NIST_P256: 'prime256v1',
  ECC_NIST_P384: 'secp384r1',
  ECC_NIST_P521: 'secp521r1',
  ECC_SECG_P256K1: 'secp256k1',
};

/** A key pair as DER: private PKCS#8, public SubjectPublicKeyInfo. RSA 4096 takes seconds. */
export function generateKeyPairDer(spec: AsymmetricSpec): Promise<{ privateKey: Buffer; publicKey: Buffer }> {
  const encoding = { publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } } as const;
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, publicKey: Buffer, privateKey: Buffer): void =>
      error ? reject(error) : resolve({ privateKey, publicKey });
    if (spec.startsWith('RSA_')) {
      generateKeyPair('rsa', { modulusLength: Number(spec.slice(4)), ...encoding }, done);
      return;
    }
    const namedCurve = namedCurves[spec];
    if (!namedCurve) throw new Error(`cannot generate ${spec}`);
    generateKeyPair('ec', { namedCurve, ...encoding }, done);
  });
}

export async function generateAsymmetricMaterial(spec: AsymmetricSpec, created = Date.now()): Promise<KeyMaterial> {
  if (isMlDsa(spec) || isMlKem(spec)) return newPostQuantumMaterial(spec, created);
  const pair = await generateKeyPairDer(spec);
  return { id: newMaterialId(), created, privateKey: pair.privateKey.toString('base64'), publicKey: pair.publicKey.toString('base64') };
}

export function privateKeyOf(material: KeyMaterial): KeyObject {
  return createPrivateKey({ key: Buffer.from(material.privateKey ?? '', 'base64'), format: 'der', type: 'pkcs8' });
}

export function publicKeyOf(material: KeyMaterial): KeyObject {
  return createPublicKey({ key: Buffer.from(material.publicKey ?? '', 'base64'), format: 'der', type: 'spki' });
}

// ------------------------------------------------------------------ symmetric blobs

export function canonicalContext(context: Record<string, string> | undefined): string {
  return JSON.stringify(Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function blobPrefix(keyId: string, materialId: string): Buffer {
  const id = Buffer.from(keyId, 'ascii');
  return Buffer.concat([blobHeader, Buffer.from([id.length]), id, Buffer.from(materialId, 'hex')]);
}

export function encryptBlob(keyId: string, material: KeyMaterial, plaintext: Buffer, context: Record<string, string> | undefined): Buffer {
  const prefix = blobPrefix(keyId, material.id);
  const iv = randomBytes(ivLength);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(material.secret ?? '', 'base64'), iv);
  cipher.setAAD(Buffer.concat([prefix, Buffer.from(canonicalContext(context), 'utf8')]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([prefix, iv, cipher.getAuthTag(), body]);
}

export interface BlobHeader {
  keyId: string;
  materialId: string;
}

/** The key and material a symmetric blob names, or undefined when it is not one of ours. */
export function readBlobHeader(blob: Buffer): BlobHeader | undefined {
  if (blob.length < blobHeader.length + 1 || !blob.subarray(0, blobHeader.length).equals(blobHeader)) return undefined;
  const idLength = blob[blobHeader.length];
  const idStart = blobHeader.length + 1;
  const materialStart = idStart + idLength;
  if (blob.length < materialStart + materialIdLength + ivLength + tagLength) return undefined;
  const keyId = blob.subarray(idStart, materialStart).toString('latin1');
  return { keyId, materialId: blob.subarray(materialStart, materialStart + materialIdLength).toString('hex') };
}

/** Decrypts a symmetric blob with the given material; any mismatch is InvalidCiphertextException. */
export function decryptBlob(blob: Buffer, header: BlobHeader, material: KeyMaterial, context: Record<string, string> | undefined): Buffer {
  const prefix = blobPrefix(header.keyId, header.materialId);
  const iv = blob.subarray(prefix.length, prefix.length + ivLength);
  const tag = blob.subarray(prefix.length + ivLength, prefix.length + ivLength + tagLength);
  const body = blob.subarray(prefix.length + ivLength + tagLength);
  try {
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(material.secret ?? '', 'base64'), iv);
    decipher.setAAD(Buffer.concat([prefix, Buffer.from(canonicalContext(context), 'utf8')]));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw invalidCiphertext();
  }
}

// ------------------------------------------------------------------ RSA OAEP

const oaepHash = (algorithm: EncryptionAlgorithm): string => (algorithm === 'RSAES_OAEP_SHA_1' ? 'sha1' : 'sha256');

export function rsaEncrypt(material: KeyMaterial, algorithm: EncryptionAlgorithm, plaintext: Buffer): Buffer {
  return publicEncrypt({ key: publicKeyOf(material), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash(algorithm) }, plaintext);
}

export function rsaDecrypt(material: KeyMaterial, algorithm: EncryptionAlgorithm, ciphertext: Buffer): Buffer {
  try {
    return privateDecrypt(
      { key: privateKeyOf(material), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash(algorithm) },
      ciphertext,
    );
  } catch {
    throw invalidCiphertext();
  }
}

// ------------------------------------------------------------------ signatures and MACs

function nodeSignOptions(algorithm: ClassicSigningAlgorithm, key: KeyObject): { key: KeyObject; padding?: number; saltLength?: number } {
  if (algorithm.startsWith('RSASSA_PSS_')) return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: digestOf(algorithm).length };
  if (algorithm.startsWith('RSASSA_PKCS1_')) return { key, padding: constants.RSA_PKCS1_PADDING };
  return { key };
}

/** Signs a message (RAW) or a digest (DIGEST); ECDSA signatures are DER, as KMS returns them. */
export function signMessage(
  material: KeyMaterial,
  algorithm: ClassicSigningAlgorithm,
  message: Buffer,
  messageType: 'RAW' | 'DIGEST',
): Buffer {
  const key = privateKeyOf(material);
  const { hash } = digestOf(algorithm);
  if (messageType === 'RAW') return nodeSign(hash, message, nodeSignOptions(algorithm, key));
  const h = hash as 'sha256' | 'sha384' | 'sha512';
  if (algorithm.startsWith('RSASSA_PSS_')) return rsaPssSignDigest(key, h, message);
  if (algorithm.startsWith('RSASSA_PKCS1_')) return rsaPkcs1SignDigest(key, h, message);
  return ecdsaSignDigest(key, message);
}

export function verifyMessage(
  material: KeyMaterial,
  algorithm: ClassicSigningAlgorithm,
  message: Buffer,
  messageType: 'RAW' | 'DIGEST',
  signature: Buffer,
): boolean {
  const key = publicKeyOf(material);
  const { hash } = digestOf(algorithm);
  try {
    if (messageType === 'RAW') return nodeVerify(hash, message, nodeSignOptions(algorithm, key), signature);
  } catch {
    return false;
  }
  const h = hash as 'sha256' | 'sha384' | 'sha512';
  if (algorithm.startsWith('RSASSA_PSS_')) return rsaPssVerifyDigest(key, h, message, signature);
  if (algorithm.startsWith('RSASSA_PKCS1_')) return rsaPkcs1VerifyDigest(key, h, message, signature);
  return ecdsaVerifyDigest(key, message, signature);
}

export function computeMac(material: KeyMaterial, algorithm: MacAlgorithm, message: Buffer): Buffer {
  return createHmac(digestOf(algorithm).hash, Buffer.from(material.secret ?? '', 'base64'))
    .update(message)
    .digest();
}

export function macEquals(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
