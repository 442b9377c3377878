import { createPublicKey, type KeyObject } from 'node:crypto';
import { type Checked, ok, problem } from '../keyOps/checked';

/** The curve node:crypto names for each ECC key spec of KMS. */
const CURVES: Record<string, string> = {
  ECC_NIST_P256: 'prime256v1',
  ECC_NIST_P384: 'secp384r1',
  ECC_NIST_P521: 'secp521r1',
  ECC_SECG_P256K1: 'secp256k1',
};

/**
 * The other party's public key for DeriveSharedSecret, from what a person has: a PEM
 * (`-----BEGIN PUBLIC KEY-----`, or a certificate's key is not accepted), DER bytes, or
 * base64 DER text. Returns the DER SubjectPublicKeyInfo KMS takes, checked to be on the
 * curve of the KMS key.
 */
export function peerPublicKey(input: Uint8Array | string, keySpec: string | undefined): Checked<Buffer> {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
  const text = bytes.toString('latin1').trim();
  let key: KeyObject;
  try {
    if (text.startsWith('-----BEGIN')) {
      key = createPublicKey({ key: text, format: 'pem' });
    } else if (/^[A-Za-z0-9+/=\s]+$/.test(text) && text.length > 40) {
      key = createPublicKey({ key: Buffer.from(text.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
    } else {
      key = createPublicKey({ key: bytes, format: 'der', type: 'spki' });
    }
  } catch {
    return problem('This is not a public key: give a PEM public key (-----BEGIN PUBLIC KEY-----), its DER bytes, or the DER in base64.');
  }
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ec')
    return problem(
      `This is ${key.asymmetricKeyType ? `an ${key.asymmetricKeyType.toUpperCase()}` : 'not an EC'} key; ECDH needs an elliptic-curve public key.`,
    );
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const wanted = keySpec ? CURVES[keySpec] : undefined;
  if (wanted && curve !== wanted)
    return problem(
      `The public key is on curve ${curve ?? 'unknown'}; the KMS key is ${keySpec ?? ''} (${wanted}): both must use the same curve.`,
    );
  return ok(key.export({ type: 'spki', format: 'der' }));
}
