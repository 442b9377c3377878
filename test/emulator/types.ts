// The emulator's state model: what a key, an alias and a grant are made of. Plain data, so
// the whole state serialises to JSON for persistence.

export const keyStates = [
  'Creating',
  'Enabled',
  'Disabled',
  'PendingDeletion',
  'PendingImport',
  'PendingReplicaDeletion',
  'Unavailable',
  'Updating',
] as const;
export type KeyState = (typeof keyStates)[number];

export const keyUsages = ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT', 'ENCAPSULATE_DECAPSULATE'] as const;
export type KeyUsage = (typeof keyUsages)[number];

export const keySpecs = [
  'SYMMETRIC_DEFAULT',
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'HMAC_224',
  'HMAC_256',
  'HMAC_384',
  'HMAC_512',
  'ML_DSA_44',
  'ML_DSA_65',
  'ML_DSA_87',
  'ML_KEM_512',
  'ML_KEM_768',
  'ML_KEM_1024',
] as const;
export type KeySpec = (typeof keySpecs)[number];

export const origins = ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] as const;
export type Origin = (typeof origins)[number];

export type KeyManager = 'AWS' | 'CUSTOMER';

/** One version of a key's material. Symmetric and HMAC keys: `secret`; asymmetric: the pair (DER, base64). */
export interface KeyMaterial {
  /** 64 hex characters, KMS's KeyMaterialId; also written into symmetric ciphertext blobs. */
  id: string;
  /** Epoch milliseconds. */
  created: number;
  secret?: string;
  /** PKCS#8 DER, base64. */
  privateKey?: string;
  /** SubjectPublicKeyInfo DER, base64. */
  publicKey?: string;
}

export interface RotationRecord {
  date: number;
  type: 'AUTOMATIC' | 'ON_DEMAND';
  materialId: string;
}

export interface RotationSettings {
  enabled: boolean;
  periodInDays?: number;
  nextRotationDate?: number;
  /** Set while an on-demand rotation is "in progress" (seedable; the emulator's own rotations finish at once). */
  onDemandStartDate?: number;
}

export interface Tag {
  TagKey: string;
  TagValue: string;
}

export interface GrantConstraints {
  EncryptionContextSubset?: Record<string, string>;
  EncryptionContextEquals?: Record<string, string>;
}

export interface Grant {
  grantId: string;
  token: string;
  name?: string;
  granteePrincipal: string;
  retiringPrincipal?: string;
  operations: string[];
  constraints?: GrantConstraints;
  creationDate: number;
  issuingAccount: string;
}

export interface Key {
  id: string;
  region: string;
  /** Creation order within the emulator, for stable listing and paging. */
  seq: number;
  spec: KeySpec;
  usage: KeyUsage;
  state: KeyState;
  description: string;
  origin: Origin;
  manager: KeyManager;
  creationDate: number;
  deletionDate?: number;
  pendingWindowInDays?: number;
  /** The policy document exactly as stored (GetKeyPolicy returns this text). */
  policy: string;
  tags: Tag[];
  multiRegion: boolean;
  /** Multi-region keys: the region of the primary key (equal to `region` on the primary). */
  primaryRegion?: string;
  /** Material versions, oldest first; the last is current. Asymmetric keys get theirs on first use. */
  materials: KeyMaterial[];
  rotation: RotationSettings;
  rotations: RotationRecord[];
  onDemandRotations: number;
  grants: Grant[];
  customKeyStoreId?: string;
  /** EXTERNAL_KEY_STORE keys: the key's id in the external key manager. */
  xksKeyId?: string;
  /** EXTERNAL origin, once material was imported: how it expires (ValidTo, epoch ms, with KEY_MATERIAL_EXPIRES). */
  expirationModel?: 'KEY_MATERIAL_EXPIRES' | 'KEY_MATERIAL_DOES_NOT_EXPIRE';
  validTo?: number;
  /** EXTERNAL origin: SHA-256 (hex) of the first material imported; later imports must match it. */
  importedDigest?: string;
  /** The state to return to when a disconnected custom key store (which made the key Unavailable) connects again. */
  stateBeforeUnavailable?: KeyState;
  /**
   * Metadata answered as moto (and LocalStack, built on it) answers for a key made by a plain
   * CreateKey: `KeyUsage` null, and with `omitKeySpec` no `KeySpec` (CustomerMasterKeySpec only).
   */
  motoMetadata?: { omitKeySpec: boolean };
  /** The last successful cryptographic use (GetKeyLastUsage); absent when none since tracking began. */
  lastUsage?: KeyLastUse;
}

export interface KeyLastUse {
  operation: string;
  /** Epoch milliseconds. */
  time: number;
  cloudTrailEventId: string;
  requestId: string;
}

export interface Alias {
  name: string;
  /** Absent for the predefined AWS aliases of services never used. */
  targetKeyId?: string;
  creationDate: number;
  lastUpdatedDate: number;
}

export const connectionStates = ['CONNECTED', 'CONNECTING', 'DISCONNECTED', 'DISCONNECTING', 'FAILED'] as const;
export type ConnectionState = (typeof connectionStates)[number];

export interface XksProxyConfiguration {
  Connectivity?: 'PUBLIC_ENDPOINT' | 'VPC_ENDPOINT_SERVICE';
  AccessKeyId?: string;
  UriEndpoint?: string;
  UriPath?: string;
  VpcEndpointServiceName?: string;
  VpcEndpointServiceOwner?: string;
}

/** A custom key store as DescribeCustomKeyStores lists it, plus the emulator's private fields (lower case). */
export interface CustomKeyStore {
  CustomKeyStoreId: string;
  CustomKeyStoreName: string;
  CustomKeyStoreType?: 'AWS_CLOUDHSM' | 'EXTERNAL_KEY_STORE';
  ConnectionState?: ConnectionState;
  ConnectionErrorCode?: string;
  CloudHsmClusterId?: string;
  TrustAnchorCertificate?: string;
  XksProxyConfiguration?: XksProxyConfiguration;
  CreationDate?: number;
  /** Region the store was created in; seeded stores without one are seen from every region. */
  region?: string;
  /** SHA-256 (hex) of the kmsuser password or of the XKS proxy secret: never returned. */
  secretDigest?: string;
  /** While CONNECTING: when the connection attempt ends (epoch ms, emulator clock). */
  connectingUntil?: number;
  /** A ConnectionErrorCode the next connection attempt fails with (set by tests). */
  nextConnectionError?: string;
}

export interface RegionState {
  keys: Map<string, Key>;
  aliases: Map<string, Alias>;
}
