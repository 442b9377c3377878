// KMS ciphertext blobs (what Encrypt returns as CiphertextBlob) come in several shapes, and
// recognising one must not rest on AWS's layout alone:
//   aws             AWS KMS (and this project's emulator): 01 02 02 00 78 …; base64 starts "AQICAHh"
//   key-id-prefix   moto and LocalStack: the 36-character key id (UUID or mrk-…) in ASCII, then a
//                   12-byte IV, a 16-byte tag and the ciphertext
//   arn-prefix      local-kms: u8 length, the key ARN in ASCII, a u32 (little-endian) key version,
//                   a 12-byte nonce, then ciphertext and tag
// A shape only says "this is very likely a blob"; whether it is one (and which context it
// needs) only KMS can tell. Text that matches no shape but is plausible (base64 of random-
// looking bytes, long enough) is left to a decrypt attempt when a person asks to decrypt it.

export type BlobShape = 'aws' | 'key-id-prefix' | 'arn-prefix';

export interface BlobAnalysis {
  readonly shape: BlobShape;
  /** The key the blob names, when its shape carries one in the clear (key id or ARN). */
  readonly keyHint?: string;
}

/** KMS Encrypt takes 1 to 4,096 bytes of plaintext. */
export const MAX_BLOB_PLAINTEXT = 4096;
/** The smallest ciphertext any shape can have: an IV and a tag around one byte. */
const MIN_CIPHERTEXT = 12 + 16 + 1;
/** The largest blob KMS makes (4,096 bytes of plaintext plus its overhead, generously). */
export const MAX_BLOB_LENGTH = 6144;

const AWS_PREFIX = [0x01, 0x02, 0x02, 0x00, 0x78];
const KEY_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/;

/** Which blob shape `bytes` has, if any. */
export function analyzeBlob(bytes: Uint8Array): BlobAnalysis | undefined {
  if (bytes.length < MIN_CIPHERTEXT || bytes.length > MAX_BLOB_LENGTH) return undefined;
  if (AWS_PREFIX.every((b, i) => bytes[i] === b) && bytes.length >= AWS_PREFIX.length + MIN_CIPHERTEXT) return { shape: 'aws' };
  if (bytes.length >= 36 + MIN_CIPHERTEXT) {
    const id = Buffer.from(bytes.buffer, bytes.byteOffset, 36).toString('latin1');
    if (KEY_ID.test(id)) return { shape: 'key-id-prefix', keyHint: id };
  }
  const arnLength = bytes[0];
  if (arnLength >= 20 && bytes.length >= 1 + arnLength + 4 + MIN_CIPHERTEXT) {
    const arn = Buffer.from(bytes.buffer, bytes.byteOffset + 1, arnLength).toString('latin1');
    if (KEY_ARN.test(arn)) return { shape: 'arn-prefix', keyHint: arn };
  }
  return undefined;
}

/**
 * Whether bytes of no known shape could still be a ciphertext worth a decrypt attempt: long
 * enough, not too long, and not text (ciphertext looks random; a base64-looking word such as
 * "SGVsbG8gd29ybGQ=" decodes to readable text).
 */
export function isPlausibleCiphertext(bytes: Uint8Array): boolean {
  if (bytes.length < MIN_CIPHERTEXT || bytes.length > MAX_BLOB_LENGTH) return false;
  let printable = 0;
  for (const b of bytes) if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09) printable++;
  // Random bytes are printable ASCII about 38% of the time; text nearly always.
  return printable / bytes.length < 0.8;
}
