// ML-DSA (FIPS 204) and ML-KEM (FIPS 203) keys for the emulator, with @noble/post-quantum
// (Node 20's node:crypto has neither). A key's material keeps the seed its pair is made from
// (`secret`: 32 bytes for ML-DSA, 64 for ML-KEM) and the public key as SubjectPublicKeyInfo DER
// (`publicKey`), which is what GetPublicKey answers (the algorithm OIDs of RFC 9881 / 9935 drafts:
// id-ml-dsa-44/65/87 2.16.840.1.101.3.4.3.17–19, id-alg-ml-kem-512/768/1024 2.16.840.1.101.3.4.4.1–3).
//
// Signing as KMS does it: MessageType RAW signs the message with pure ML-DSA and an empty context
// (μ = SHAKE256(SHAKE256(pk, 64) ‖ 0x00 ‖ 0x00 ‖ M, 64)); EXTERNAL_MU signs a 64-byte μ the caller
// computed. DIGEST is refused for ML-DSA. Encapsulate/Decapsulate give a 32-byte shared secret.
import { createHash, randomBytes } from 'node:crypto';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem512, ml_kem768, ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import type { KeyMaterial } from './types';

export const mlDsaSpecs = ['ML_DSA_44', 'ML_DSA_65', 'ML_DSA_87'] as const;
export const mlKemSpecs = ['ML_KEM_512', 'ML_KEM_768', 'ML_KEM_1024'] as const;
export type MlDsaSpec = (typeof mlDsaSpecs)[number];
export type MlKemSpec = (typeof mlKemSpecs)[number];

const dsa = { ML_DSA_44: ml_dsa44, ML_DSA_65: ml_dsa65, ML_DSA_87: ml_dsa87 };
const kem = { ML_KEM_512: ml_kem512, ML_KEM_768: ml_kem768, ML_KEM_1024: ml_kem1024 };
const oidTail: Record<MlDsaSpec | MlKemSpec, [number, number]> = {
  ML_DSA_44: [3, 17],
  ML_DSA_65: [3, 18],
  ML_DSA_87: [3, 19],
  ML_KEM_512: [4, 1],
  ML_KEM_768: [4, 2],
  ML_KEM_1024: [4, 3],
};

export const isMlDsa = (spec: string): spec is MlDsaSpec => (mlDsaSpecs as readonly string[]).includes(spec);
export const isMlKem = (spec: string): spec is MlKemSpec => (mlKemSpecs as readonly string[]).includes(spec);

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const der = (tag: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);

/** SubjectPublicKeyInfo DER of a raw ML-DSA or ML-KEM public key (algorithm without parameters). */
export function spkiOf(spec: MlDsaSpec | MlKemSpec, publicKey: Uint8Array): Buffer {
  const [arc, last] = oidTail[spec];
  const oid = der(0x06, Buffer.from([0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, arc, last]));
  return der(0x30, Buffer.concat([der(0x30, oid), der(0x03, Buffer.concat([Buffer.from([0]), Buffer.from(publicKey)]))]));
}

/** The raw public key inside a SubjectPublicKeyInfo made by spkiOf. */
export function rawPublicKeyOf(spki: Buffer): Buffer {
  // SEQUENCE { SEQUENCE { OID } , BIT STRING } : the BIT STRING is last; skip its tag, length and unused-bits byte.
  let i = 0;
  const readLength = (): number => {
    const first = spki[i++];
    if (first < 0x80) return first;
    let n = 0;
    for (let k = 0; k < (first & 0x7f); k++) n = (n << 8) | spki[i++];
    return n;
  };
  i++; // outer SEQUENCE
  readLength();
  i++; // algorithm SEQUENCE
  const algorithmLength = readLength();
  i += algorithmLength;
  if (spki[i++] !== 0x03) throw new Error('not a SubjectPublicKeyInfo');
  const length = readLength();
  return spki.subarray(i + 1, i + length);
}

export function newPostQuantumMaterial(spec: MlDsaSpec | MlKemSpec, created = Date.now()): KeyMaterial {
  const seed = randomBytes(isMlDsa(spec) ? 32 : 64);
  const { publicKey } = isMlDsa(spec) ? dsa[spec].keygen(seed) : kem[spec].keygen(seed);
  return {
    id: randomBytes(32).toString('hex'),
    created,
    secret: seed.toString('base64'),
    publicKey: spkiOf(spec, publicKey).toString('base64'),
  };
}

function pairOf(spec: MlDsaSpec | MlKemSpec, material: KeyMaterial): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const seed = Buffer.from(material.secret ?? '', 'base64');
  return isMlDsa(spec) ? dsa[spec].keygen(seed) : kem[spec].keygen(seed);
}

/** μ of a message as KMS computes it for MessageType RAW (pure ML-DSA, empty context). */
export function externalMu(publicKey: Uint8Array, message: Uint8Array): Buffer {
  const tr = createHash('shake256', { outputLength: 64 }).update(publicKey).digest();
  return createHash('shake256', { outputLength: 64 })
    .update(tr)
    .update(Buffer.from([0, 0]))
    .update(message)
    .digest();
}

export function mlDsaSign(spec: MlDsaSpec, material: KeyMaterial, message: Buffer, messageType: 'RAW' | 'EXTERNAL_MU'): Buffer {
  const { secretKey } = pairOf(spec, material);
  const signature =
    messageType === 'RAW' ? dsa[spec].sign(message, secretKey) : dsa[spec].internal.sign(message, secretKey, { externalMu: true });
  return Buffer.from(signature);
}

export function mlDsaVerify(
  spec: MlDsaSpec,
  material: KeyMaterial,
  message: Buffer,
  messageType: 'RAW' | 'EXTERNAL_MU',
  signature: Buffer,
): boolean {
  const publicKey = rawPublicKeyOf(Buffer.from(material.publicKey ?? '', 'base64'));
  try {
    return messageType === 'RAW'
      ? dsa[spec].verify(signature, message, publicKey)
      : dsa[spec].internal.verify(signature, message, publicKey, { externalMu: true });
  } catch {
    return false;
  }
}

/** Bytes of an ML-KEM ciphertext (the encapsulated shared secret). */
export function mlKemCiphertextLength(spec: MlKemSpec): number {
  return { ML_KEM_512: 768, ML_KEM_768: 1088, ML_KEM_1024: 1568 }[spec];
}

export function mlKemEncapsulate(spec: MlKemSpec, material: KeyMaterial): { sharedSecret: Buffer; ciphertext: Buffer } {
  const { cipherText, sharedSecret } = kem[spec].encapsulate(rawPublicKeyOf(Buffer.from(material.publicKey ?? '', 'base64')));
  return { sharedSecret: Buffer.from(sharedSecret), ciphertext: Buffer.from(cipherText) };
}

/** ML-KEM decapsulation (implicit rejection: a wrong ciphertext of the right length gives another secret, as FIPS 203 does). */
export function mlKemDecapsulate(spec: MlKemSpec, material: KeyMaterial, ciphertext: Buffer): Buffer {
  return Buffer.from(kem[spec].decapsulate(ciphertext, pairOf(spec, material).secretKey));
}
