// What each key spec can do, as the KMS developer guide lists it.
import type { KeySpec, KeyUsage } from './types';

export const encryptionAlgorithms = ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] as const;
export type EncryptionAlgorithm = (typeof encryptionAlgorithms)[number];

export const signingAlgorithms = [
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'ECDSA_SHA_256',
  'ECDSA_SHA_384',
  'ECDSA_SHA_512',
  'ML_DSA_SHAKE_256',
] as const;
export type SigningAlgorithm = (typeof signingAlgorithms)[number];
/** The signing algorithms of RSA and ECC keys (node:crypto signs them). */
export type ClassicSigningAlgorithm = Exclude<SigningAlgorithm, 'ML_DSA_SHAKE_256'>;

export const macAlgorithms = ['HMAC_SHA_224', 'HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512'] as const;
export type MacAlgorithm = (typeof macAlgorithms)[number];

export const dataKeyPairSpecs = [
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
] as const;
export type DataKeyPairSpec = (typeof dataKeyPairSpecs)[number];

export type KeyKind = 'symmetric' | 'rsa' | 'ecc' | 'hmac' | 'ml-dsa' | 'ml-kem';

export function kindOf(spec: KeySpec): KeyKind {
  if (spec === 'SYMMETRIC_DEFAULT') return 'symmetric';
  if (spec.startsWith('RSA_')) return 'rsa';
  if (spec.startsWith('ECC_')) return 'ecc';
  if (spec.startsWith('ML_DSA_')) return 'ml-dsa';
  if (spec.startsWith('ML_KEM_')) return 'ml-kem';
  return 'hmac';
}

/** Key usages a spec allows, the first being the default when CreateKey names none. */
export function usagesFor(spec: KeySpec): KeyUsage[] {
  switch (kindOf(spec)) {
    case 'symmetric':
      return ['ENCRYPT_DECRYPT'];
    case 'rsa':
      return ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'];
    case 'ecc':
      return ['SIGN_VERIFY', 'KEY_AGREEMENT'];
    case 'hmac':
      return ['GENERATE_VERIFY_MAC'];
    case 'ml-dsa':
      return ['SIGN_VERIFY'];
    case 'ml-kem':
      return ['ENCAPSULATE_DECAPSULATE'];
  }
}

export function encryptionAlgorithmsFor(spec: KeySpec, usage: KeyUsage): EncryptionAlgorithm[] | undefined {
  if (usage !== 'ENCRYPT_DECRYPT') return undefined;
  return spec === 'SYMMETRIC_DEFAULT' ? ['SYMMETRIC_DEFAULT'] : ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'];
}

export function signingAlgorithmsFor(spec: KeySpec, usage: KeyUsage): SigningAlgorithm[] | undefined {
  if (usage !== 'SIGN_VERIFY') return undefined;
  switch (spec) {
    case 'ECC_NIST_P256':
    case 'ECC_SECG_P256K1':
      return ['ECDSA_SHA_256'];
    case 'ECC_NIST_P384':
      return ['ECDSA_SHA_384'];
    case 'ECC_NIST_P521':
      return ['ECDSA_SHA_512'];
    case 'ML_DSA_44':
    case 'ML_DSA_65':
    case 'ML_DSA_87':
      return ['ML_DSA_SHAKE_256'];
    default:
      return signingAlgorithms.filter((a) => a.startsWith('RSASSA_'));
  }
}

export function keyAgreementAlgorithmsFor(spec: KeySpec, usage: KeyUsage): ['ECDH'] | undefined {
  return usage === 'KEY_AGREEMENT' && kindOf(spec) === 'ecc' ? ['ECDH'] : undefined;
}

export function encapsulationAlgorithmsFor(spec: KeySpec, usage: KeyUsage): ['ML_KEM'] | undefined {
  return usage === 'ENCAPSULATE_DECAPSULATE' && kindOf(spec) === 'ml-kem' ? ['ML_KEM'] : undefined;
}

export function macAlgorithmsFor(spec: KeySpec): MacAlgorithm[] | undefined {
  return kindOf(spec) === 'hmac' ? [`HMAC_SHA_${spec.slice('HMAC_'.length)}` as MacAlgorithm] : undefined;
}

/** Node's name of the digest of a signing or MAC algorithm, and its length in bytes (ML-DSA has none). */
export function digestOf(algorithm: ClassicSigningAlgorithm | MacAlgorithm): {
  hash: 'sha224' | 'sha256' | 'sha384' | 'sha512';
  length: number;
} {
  const bits = Number(/(\d{3})$/.exec(algorithm)?.[1]);
  return { hash: `sha${bits}` as 'sha224' | 'sha256' | 'sha384' | 'sha512', length: bits / 8 };
}

/** Largest plaintext RSAES_OAEP accepts: modulus bytes − 2·hash bytes − 2. */
export function maxOaepPlaintext(spec: KeySpec, algorithm: EncryptionAlgorithm): number {
  const modulus = Number(spec.slice('RSA_'.length)) / 8;
  const hash = algorithm === 'RSAES_OAEP_SHA_1' ? 20 : 32;
  return modulus - 2 * hash - 2;
}
