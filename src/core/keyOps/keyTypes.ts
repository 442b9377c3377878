import type { KeyMetadata } from '@aws-sdk/client-kms';
import { type Checked, ok, problem, quote } from './checked';

/**
 * The kinds of key CreateKey makes, with the key specs each allows, and what follows
 * from a key's type: the operations a grant may allow, the data key specs.
 */
export type KeyTypeId = 'symmetric' | 'asymmetricEncrypt' | 'signVerify' | 'hmac' | 'keyAgreement' | 'keyEncapsulation';
export type KeyUsageName = 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY' | 'GENERATE_VERIFY_MAC' | 'KEY_AGREEMENT' | 'ENCAPSULATE_DECAPSULATE';

export interface KeySpecInfo {
  readonly spec: string;
  readonly description: string;
  /** Only offered in these Regions' partition (SM2: China). */
  readonly chinaOnly?: boolean;
}

export interface KeyTypeInfo {
  readonly id: KeyTypeId;
  readonly label: string;
  readonly detail: string;
  readonly usage: KeyUsageName;
  readonly specs: readonly KeySpecInfo[];
}

const RSA: KeySpecInfo[] = [
  { spec: 'RSA_2048', description: 'RSA, 2048-bit modulus' },
  { spec: 'RSA_3072', description: 'RSA, 3072-bit modulus' },
  { spec: 'RSA_4096', description: 'RSA, 4096-bit modulus' },
];

/** ML-DSA (FIPS 204) signing keys, signing with ML_DSA_SHAKE_256 (MessageType RAW or EXTERNAL_MU). */
const ML_DSA: KeySpecInfo[] = [
  { spec: 'ML_DSA_44', description: 'ML-DSA-44, post-quantum (FIPS 204)' },
  { spec: 'ML_DSA_65', description: 'ML-DSA-65, post-quantum (FIPS 204)' },
  { spec: 'ML_DSA_87', description: 'ML-DSA-87, post-quantum (FIPS 204)' },
];

export const KEY_TYPES: readonly KeyTypeInfo[] = [
  {
    id: 'symmetric',
    label: 'Symmetric: encrypt and decrypt',
    detail: 'One AES-256 key that never leaves KMS. For Encrypt, Decrypt, data keys and envelope encryption. Rotates automatically.',
    usage: 'ENCRYPT_DECRYPT',
    specs: [{ spec: 'SYMMETRIC_DEFAULT', description: 'AES-256-GCM' }],
  },
  {
    id: 'asymmetricEncrypt',
    label: 'Asymmetric: encrypt and decrypt',
    detail: 'An RSA key pair: anyone with the public key can encrypt; only KMS decrypts.',
    usage: 'ENCRYPT_DECRYPT',
    specs: [...RSA, { spec: 'SM2', description: 'SM2 (China Regions only)', chinaOnly: true }],
  },
  {
    id: 'signVerify',
    label: 'Asymmetric: sign and verify',
    detail: 'An RSA or elliptic-curve key pair for digital signatures; the public key verifies outside KMS.',
    usage: 'SIGN_VERIFY',
    specs: [
      ...RSA,
      { spec: 'ECC_NIST_P256', description: 'Elliptic curve NIST P-256 (secp256r1)' },
      { spec: 'ECC_NIST_P384', description: 'Elliptic curve NIST P-384 (secp384r1)' },
      { spec: 'ECC_NIST_P521', description: 'Elliptic curve NIST P-521 (secp521r1)' },
      { spec: 'ECC_SECG_P256K1', description: 'Elliptic curve secp256k1 (cryptocurrencies)' },
      ...ML_DSA,
      { spec: 'SM2', description: 'SM2 (China Regions only)', chinaOnly: true },
    ],
  },
  {
    id: 'hmac',
    label: 'HMAC: generate and verify MACs',
    detail: 'A secret HMAC key for message authentication codes (GenerateMac, VerifyMac).',
    usage: 'GENERATE_VERIFY_MAC',
    specs: [
      { spec: 'HMAC_224', description: 'HMAC with SHA-224' },
      { spec: 'HMAC_256', description: 'HMAC with SHA-256' },
      { spec: 'HMAC_384', description: 'HMAC with SHA-384' },
      { spec: 'HMAC_512', description: 'HMAC with SHA-512' },
    ],
  },
  {
    id: 'keyAgreement',
    label: 'Asymmetric: key agreement',
    detail:
      "An elliptic-curve key pair for ECDH (DeriveSharedSecret): KMS derives a shared secret from its private key and another party's public key.",
    usage: 'KEY_AGREEMENT',
    specs: [
      { spec: 'ECC_NIST_P256', description: 'Elliptic curve NIST P-256 (secp256r1)' },
      { spec: 'ECC_NIST_P384', description: 'Elliptic curve NIST P-384 (secp384r1)' },
      { spec: 'ECC_NIST_P521', description: 'Elliptic curve NIST P-521 (secp521r1)' },
      { spec: 'ECC_SECG_P256K1', description: 'Elliptic curve secp256k1' },
      { spec: 'SM2', description: 'SM2 (China Regions only)', chinaOnly: true },
    ],
  },
  {
    id: 'keyEncapsulation',
    label: 'Post-quantum: key encapsulation (ML-KEM)',
    detail:
      'An ML-KEM key pair (FIPS 203): Encapsulate makes a shared secret and its encapsulated form with the public key; only KMS decapsulates it.',
    usage: 'ENCAPSULATE_DECAPSULATE',
    specs: [
      { spec: 'ML_KEM_512', description: 'ML-KEM-512, post-quantum (FIPS 203)' },
      { spec: 'ML_KEM_768', description: 'ML-KEM-768, post-quantum (FIPS 203)' },
      { spec: 'ML_KEM_1024', description: 'ML-KEM-1024, post-quantum (FIPS 203)' },
    ],
  },
];

export function keyTypeInfo(id: KeyTypeId): KeyTypeInfo {
  const info = KEY_TYPES.find((t) => t.id === id);
  if (!info) throw new Error(`Unknown key type ${id}`);
  return info;
}

/** The key specs of a type offered in a Region (SM2 only in China). */
export function specsFor(type: KeyTypeId, region: string): KeySpecInfo[] {
  const china = region.startsWith('cn-');
  return keyTypeInfo(type).specs.filter((s) => !s.chinaOnly || china);
}

export const ALL_KEY_SPECS: readonly string[] = [...new Set(KEY_TYPES.flatMap((t) => t.specs.map((s) => s.spec)))];
export const KEY_USAGES: readonly KeyUsageName[] = [
  'ENCRYPT_DECRYPT',
  'SIGN_VERIFY',
  'GENERATE_VERIFY_MAC',
  'KEY_AGREEMENT',
  'ENCAPSULATE_DECAPSULATE',
];

/**
 * The key type a key spec and key usage make. RSA and SM2 keys can encrypt or sign, so
 * they need the usage; the others imply it.
 */
export function keyTypeOf(spec: string, usage: string | undefined): Checked<{ type: KeyTypeId; usage: KeyUsageName }> {
  if (!ALL_KEY_SPECS.includes(spec))
    return problem(`${quote(spec)} is not a key spec KMS offers here: use one of ${ALL_KEY_SPECS.join(', ')}.`);
  const candidates = KEY_TYPES.filter((t) => t.specs.some((s) => s.spec === spec));
  if (usage === undefined) {
    // ECC keys sign unless KEY_AGREEMENT is asked for; RSA and SM2 keys need the usage.
    if (candidates.some((t) => t.usage === 'ENCRYPT_DECRYPT') && candidates.length > 1) {
      return problem(`A ${spec} key can be for ${candidates.map((t) => t.usage).join(' or ')}: give keyUsage too.`);
    }
    return ok({ type: candidates[0].id, usage: candidates[0].usage });
  }
  const match = candidates.find((t) => t.usage === usage);
  if (!match) {
    return problem(`A ${spec} key cannot have key usage ${usage}; it can be ${candidates.map((t) => t.usage).join(' or ')}.`);
  }
  return ok({ type: match.id, usage: match.usage });
}

/** The type of an existing key, from its metadata. */
export function keyTypeOfMetadata(meta: Pick<KeyMetadata, 'KeySpec' | 'KeyUsage'>): KeyTypeId | undefined {
  if (meta.KeyUsage === 'GENERATE_VERIFY_MAC') return 'hmac';
  if (meta.KeyUsage === 'SIGN_VERIFY') return 'signVerify';
  if (meta.KeyUsage === 'KEY_AGREEMENT') return 'keyAgreement';
  if (meta.KeyUsage === 'ENCAPSULATE_DECAPSULATE') return 'keyEncapsulation';
  if (meta.KeyUsage === 'ENCRYPT_DECRYPT') return meta.KeySpec === 'SYMMETRIC_DEFAULT' ? 'symmetric' : 'asymmetricEncrypt';
  return undefined;
}

// ---- grants ---------------------------------------------------------------------------

/** Every operation a grant can allow (GrantOperation). */
export const GRANT_OPERATIONS = [
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'ReEncryptFrom',
  'ReEncryptTo',
  'Sign',
  'Verify',
  'GetPublicKey',
  'GenerateMac',
  'VerifyMac',
  'DeriveSharedSecret',
  'DescribeKey',
  'CreateGrant',
  'RetireGrant',
] as const;

export type GrantOperation = (typeof GRANT_OPERATIONS)[number];

const MANAGEMENT: GrantOperation[] = ['DescribeKey', 'CreateGrant', 'RetireGrant'];

/** The grant operations that make sense for a key of this type (what KMS accepts). */
export function grantOperationsFor(meta: Pick<KeyMetadata, 'KeySpec' | 'KeyUsage'>): GrantOperation[] {
  switch (keyTypeOfMetadata(meta)) {
    case 'symmetric':
      return [
        'Encrypt',
        'Decrypt',
        'GenerateDataKey',
        'GenerateDataKeyWithoutPlaintext',
        'GenerateDataKeyPair',
        'GenerateDataKeyPairWithoutPlaintext',
        'ReEncryptFrom',
        'ReEncryptTo',
        ...MANAGEMENT,
      ];
    case 'asymmetricEncrypt':
      return ['Encrypt', 'Decrypt', 'ReEncryptFrom', 'ReEncryptTo', 'GetPublicKey', ...MANAGEMENT];
    case 'signVerify':
      return ['Sign', 'Verify', 'GetPublicKey', ...MANAGEMENT];
    case 'hmac':
      return ['GenerateMac', 'VerifyMac', ...MANAGEMENT];
    case 'keyAgreement':
      return ['DeriveSharedSecret', 'GetPublicKey', ...MANAGEMENT];
    case 'keyEncapsulation':
      // The SDK's GrantOperation has no Encapsulate/Decapsulate (yet).
      return ['GetPublicKey', ...MANAGEMENT];
    default:
      return [...MANAGEMENT];
  }
}

/** Checks the operations of a new grant against the key's type. */
export function checkGrantOperations(
  operations: readonly string[],
  meta: Pick<KeyMetadata, 'KeySpec' | 'KeyUsage'>,
): Checked<GrantOperation[]> {
  if (operations.length === 0) return problem('Choose at least one operation for the grant.');
  const allowed = grantOperationsFor(meta);
  const unknown = operations.filter((o) => !(GRANT_OPERATIONS as readonly string[]).includes(o));
  if (unknown.length)
    return problem(
      `${unknown.map((o) => quote(o)).join(', ')} ${unknown.length > 1 ? 'are not grant operations' : 'is not a grant operation'}: use ${allowed.join(', ')}.`,
    );
  const wrong = operations.filter((o) => !allowed.includes(o as GrantOperation));
  if (wrong.length)
    return problem(`A ${meta.KeySpec} ${meta.KeyUsage} key cannot grant ${wrong.join(', ')}: it allows ${allowed.join(', ')}.`);
  return ok([...new Set(operations)] as GrantOperation[]);
}

/**
 * Encryption-context grant constraints work only for symmetric encryption keys (whose
 * operations take an encryption context).
 */
export function constraintRefusal(meta: Pick<KeyMetadata, 'KeySpec' | 'KeyUsage'>): string | undefined {
  return keyTypeOfMetadata(meta) === 'symmetric'
    ? undefined
    : 'Encryption context constraints are only for symmetric encryption keys: operations with asymmetric and HMAC keys take no encryption context.';
}

// ---- data keys, signing ---------------------------------------------------------------

export const DATA_KEY_SPECS = ['AES_256', 'AES_128'] as const;
export type DataKeySpec = (typeof DATA_KEY_SPECS)[number];

export const DATA_KEY_PAIR_SPECS = [
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'SM2',
] as const;
export type DataKeyPairSpec = (typeof DATA_KEY_PAIR_SPECS)[number];

/** The digest length in bytes that a signing algorithm signs (for MessageType DIGEST). */
export function digestLength(signingAlgorithm: string): number | undefined {
  if (/SHA_256$/.test(signingAlgorithm) || signingAlgorithm === 'SM2DSA') return 32;
  if (/SHA_384$/.test(signingAlgorithm)) return 48;
  if (/SHA_512$/.test(signingAlgorithm)) return 64;
  return undefined;
}

/**
 * UpdateAlias moves an alias only between keys of the same type and key usage (both
 * symmetric, both asymmetric or both HMAC, same usage); undefined when the move is fine.
 */
export function aliasMoveRefusal(
  aliasName: string,
  current: Pick<KeyMetadata, 'KeySpec' | 'KeyUsage' | 'KeyId'>,
  next: Pick<KeyMetadata, 'KeySpec' | 'KeyUsage' | 'KeyId' | 'KeyManager'>,
): string | undefined {
  if (next.KeyManager === 'AWS') return `${aliasName} cannot point at an AWS managed key.`;
  if (current.KeyId && current.KeyId === next.KeyId) return `${aliasName} already points at this key.`;
  const family = (m: Pick<KeyMetadata, 'KeySpec' | 'KeyUsage'>): string =>
    m.KeySpec === 'SYMMETRIC_DEFAULT' ? 'symmetric' : m.KeyUsage === 'GENERATE_VERIFY_MAC' ? 'HMAC' : 'asymmetric';
  if (family(current) !== family(next) || current.KeyUsage !== next.KeyUsage) {
    return (
      `${aliasName} points at a ${family(current)} ${current.KeyUsage} key; ` +
      `it can only be moved to another ${family(current)} ${current.KeyUsage} key, not a ${family(next)} ${next.KeyUsage} one.`
    );
  }
  return undefined;
}
