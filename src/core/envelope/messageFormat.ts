// The AWS Encryption SDK message format, read and written without the SDK: enough to tell a
// message from anything else, to show what it was encrypted under (key ARNs, encryption
// context, algorithm suite, frame length), and to re-wrap its data key by rewriting only the
// header (see rewrap.ts). Reference: the "Message format reference" and "Body additional
// authenticated data (AAD) reference" of the AWS Encryption SDK developer guide.
//
// Header, message format version 2 (integers big-endian):
//   u8 version = 0x02 · u16 algorithm suite id · 32-byte message id
//   u16 AAD length, then (when not 0) u16 pair count and pairs (u16 key length, key, u16 value length, value)
//   u16 EDK count, then EDKs (u16 length + provider id, u16 length + provider info, u16 length + encrypted data key)
//   u8 content type (0x02 framed) · u32 frame length · algorithm suite data (the 32-byte key commitment)
//   header authentication: the 16-byte AES-GCM tag (IV all zeros) over everything above
// Version 1 differs: u8 type 0x80 after the version, a 16-byte message id, 4 reserved zero
// bytes and a u8 IV length before the frame length, no suite data, and the header
// authentication is IV + tag.
import { createCipheriv, createDecipheriv, hkdfSync, timingSafeEqual } from 'node:crypto';
import { KmsError } from '../kms/errors';

export interface AlgorithmSuite {
  readonly id: number;
  /** The Encryption SDK's name, e.g. ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY. */
  readonly name: string;
  readonly messageFormat: 1 | 2;
  readonly keyLength: 16 | 24 | 32;
  readonly kdf?: 'sha256' | 'sha384' | 'sha512';
  readonly committing: boolean;
  /** ECDSA signature in a footer (the header cannot be rewritten without re-signing). */
  readonly signed: boolean;
  /** Bytes of algorithm suite data in the header (the key commitment). */
  readonly suiteDataLength: number;
}

const suite = (
  id: number,
  name: string,
  keyLength: 16 | 24 | 32,
  kdf: AlgorithmSuite['kdf'],
  signed: boolean,
  committing = false,
): AlgorithmSuite => ({
  id,
  name,
  messageFormat: committing ? 2 : 1,
  keyLength,
  kdf,
  committing,
  signed,
  suiteDataLength: committing ? 32 : 0,
});

/** Every algorithm suite of the Encryption SDK, by id. */
export const ALGORITHM_SUITES: ReadonlyMap<number, AlgorithmSuite> = new Map(
  [
    suite(0x0014, 'ALG_AES128_GCM_IV12_TAG16', 16, undefined, false),
    suite(0x0046, 'ALG_AES192_GCM_IV12_TAG16', 24, undefined, false),
    suite(0x0078, 'ALG_AES256_GCM_IV12_TAG16', 32, undefined, false),
    suite(0x0114, 'ALG_AES128_GCM_IV12_TAG16_HKDF_SHA256', 16, 'sha256', false),
    suite(0x0146, 'ALG_AES192_GCM_IV12_TAG16_HKDF_SHA256', 24, 'sha256', false),
    suite(0x0178, 'ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256', 32, 'sha256', false),
    suite(0x0214, 'ALG_AES128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256', 16, 'sha256', true),
    suite(0x0346, 'ALG_AES192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384', 24, 'sha384', true),
    suite(0x0378, 'ALG_AES256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384', 32, 'sha384', true),
    suite(0x0478, 'ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY', 32, 'sha512', false, true),
    suite(0x0578, 'ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384', 32, 'sha512', true, true),
  ].map((s) => [s.id, s]),
);

/** The suite KMS Workbench writes: key commitment, no signature (see the bench for why). */
export const DEFAULT_SUITE_ID = 0x0478;
/** Frame length KMS Workbench writes: 1 MiB frames cost far less per byte than the SDK's 4 KiB default. */
export const DEFAULT_FRAME_LENGTH = 1024 * 1024;
/** Most encrypted data keys a header may carry before it is refused (the SDK's recommended guard). */
export const MAX_ENCRYPTED_DATA_KEYS = 10;

export const IV_LENGTH = 12;
export const TAG_LENGTH = 16;
/** Provider id of data keys wrapped by AWS KMS. */
export const KMS_PROVIDER_ID = 'aws-kms';

export interface EncryptedDataKey {
  readonly providerId: string;
  /** For `aws-kms`: the ARN of the KMS key that wrapped the data key. */
  readonly providerInfo: string;
  readonly encryptedDataKey: Buffer;
}

export type EncryptionContext = Record<string, string>;

export interface MessageHeader {
  readonly version: 1 | 2;
  readonly suite: AlgorithmSuite;
  readonly messageId: Buffer;
  readonly encryptionContext: EncryptionContext;
  readonly encryptedDataKeys: readonly EncryptedDataKey[];
  readonly contentType: 'framed' | 'non-framed';
  /** Bytes of plaintext per frame (0 for non-framed content). */
  readonly frameLength: number;
  /** Version 2: the key commitment. */
  readonly suiteData: Buffer;
  /** The bytes the header authentication covers. */
  readonly headerBody: Buffer;
  /** Version 1: the IV of the header authentication (version 2 uses zeros and does not store it). */
  readonly headerIv: Buffer;
  readonly headerTag: Buffer;
  /** Header body + header authentication: where the body of the message starts. */
  readonly length: number;
  /** Where the serialized encryption context starts and ends within headerBody (the u16 length included). */
  readonly contextSpan: readonly [number, number];
}

/** The message is not (or no longer) a well-formed Encryption SDK message. */
export class MessageFormatError extends Error {
  override readonly name = 'MessageFormatError';
}

/** What the first bytes say, before a whole header is there. */
export function looksLikeMessageStart(bytes: Uint8Array): boolean {
  if (bytes.length < 3) return false;
  if (bytes[0] === 0x02) {
    const s = ALGORITHM_SUITES.get((bytes[1] << 8) | bytes[2]);
    return s?.messageFormat === 2;
  }
  if (bytes[0] === 0x01) {
    if (bytes[1] !== 0x80 || bytes.length < 4) return false;
    const s = ALGORITHM_SUITES.get((bytes[2] << 8) | bytes[3]);
    return s?.messageFormat === 1;
  }
  return false;
}

class Reader {
  offset = 0;
  constructor(private readonly buf: Buffer) {}
  need(n: number): boolean {
    return this.offset + n <= this.buf.length;
  }
  u8(): number {
    if (!this.need(1)) throw INCOMPLETE;
    return this.buf[this.offset++];
  }
  u16(): number {
    if (!this.need(2)) throw INCOMPLETE;
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  u32(): number {
    if (!this.need(4)) throw INCOMPLETE;
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  bytes(n: number): Buffer {
    if (!this.need(n)) throw INCOMPLETE;
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }
}

/** Thrown inside the parser when the bytes end before the header does (never escapes it). */
class Incomplete extends Error {}
const INCOMPLETE = new Incomplete('incomplete header');
const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Buffer, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new MessageFormatError(`The message header's ${what} is not UTF-8 text.`);
  }
}

/**
 * Parses the header at the start of `bytes`. Returns undefined while the bytes end before
 * the header does (read more and call again); throws MessageFormatError when the bytes are
 * not an Encryption SDK message header.
 */
export function parseMessageHeader(bytes: Buffer, options: { maxEncryptedDataKeys?: number } = {}): MessageHeader | undefined {
  if (bytes.length >= 4 && !looksLikeMessageStart(bytes))
    throw new MessageFormatError('Not an AWS Encryption SDK message: unknown version or algorithm suite.');
  const r = new Reader(bytes);
  try {
    const version = r.u8();
    if (version !== 1 && version !== 2) throw new MessageFormatError(`Unknown message format version ${version}.`);
    if (version === 1 && r.u8() !== 0x80) throw new MessageFormatError('Unknown message type.');
    const suiteId = r.u16();
    const suiteInfo = ALGORITHM_SUITES.get(suiteId);
    if (!suiteInfo || suiteInfo.messageFormat !== version)
      throw new MessageFormatError(`Unknown algorithm suite 0x${suiteId.toString(16).padStart(4, '0')} for message format ${version}.`);
    const messageId = Buffer.from(r.bytes(version === 2 ? 32 : 16));

    const contextStart = r.offset;
    const aadLength = r.u16();
    const aad = r.bytes(aadLength);
    const encryptionContext = parseContext(aad);
    const contextEnd = r.offset;

    const edkCount = r.u16();
    if (edkCount === 0) throw new MessageFormatError('The message header has no encrypted data key.');
    const maxEdks = options.maxEncryptedDataKeys ?? MAX_ENCRYPTED_DATA_KEYS;
    if (edkCount > maxEdks)
      throw new MessageFormatError(`The message header has ${edkCount} encrypted data keys; more than ${maxEdks} are refused.`);
    const encryptedDataKeys: EncryptedDataKey[] = [];
    for (let i = 0; i < edkCount; i++) {
      const providerId = text(r.bytes(r.u16()), 'key provider id');
      const providerInfo = text(r.bytes(r.u16()), 'key provider info');
      const encryptedDataKey = Buffer.from(r.bytes(r.u16()));
      encryptedDataKeys.push({ providerId, providerInfo, encryptedDataKey });
    }
    const contentTypeByte = r.u8();
    if (contentTypeByte !== 1 && contentTypeByte !== 2) throw new MessageFormatError(`Unknown content type ${contentTypeByte}.`);
    let ivLength = IV_LENGTH;
    if (version === 1) {
      if (r.u32() !== 0) throw new MessageFormatError('The reserved bytes of the message header are not zero.');
      ivLength = r.u8();
      if (ivLength !== IV_LENGTH) throw new MessageFormatError(`Unexpected IV length ${ivLength}.`);
    }
    const frameLength = r.u32();
    if (contentTypeByte === 2 && frameLength === 0) throw new MessageFormatError('A framed message with frame length 0.');
    if (contentTypeByte === 1 && frameLength !== 0) throw new MessageFormatError('A non-framed message with a frame length.');
    const suiteData = Buffer.from(r.bytes(suiteInfo.suiteDataLength));
    const headerBodyLength = r.offset;
    const headerIv = version === 1 ? Buffer.from(r.bytes(ivLength)) : Buffer.alloc(IV_LENGTH);
    const headerTag = Buffer.from(r.bytes(TAG_LENGTH));
    return {
      version,
      suite: suiteInfo,
      messageId,
      encryptionContext,
      encryptedDataKeys,
      contentType: contentTypeByte === 2 ? 'framed' : 'non-framed',
      frameLength,
      suiteData,
      headerBody: Buffer.from(bytes.subarray(0, headerBodyLength)),
      headerIv,
      headerTag,
      length: r.offset,
      contextSpan: [contextStart, contextEnd],
    };
  } catch (error) {
    if (error === INCOMPLETE) return undefined;
    throw error;
  }
}

function parseContext(aad: Buffer): EncryptionContext {
  const context: EncryptionContext = {};
  if (aad.length === 0) return context;
  const r = new Reader(aad);
  try {
    const count = r.u16();
    if (count === 0) throw new MessageFormatError('The encryption context is present but empty.');
    for (let i = 0; i < count; i++) {
      const key = text(r.bytes(r.u16()), 'encryption context');
      const value = text(r.bytes(r.u16()), 'encryption context');
      if (Object.prototype.hasOwnProperty.call(context, key))
        throw new MessageFormatError(`The encryption context has the key "${key}" twice.`);
      context[key] = value;
    }
    if (r.offset !== aad.length) throw new MessageFormatError('The encryption context has bytes after its last pair.');
  } catch (error) {
    if (error === INCOMPLETE) throw new MessageFormatError('The encryption context is shorter than its length says.');
    throw error;
  }
  return context;
}

// ---------------------------------------------------------------------------- writing

const u16 = (n: number): Buffer => {
  if (n > 0xffff) throw new MessageFormatError(`A header field of ${n} bytes is longer than 65,535.`);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const withLength = (bytes: Buffer): Buffer => Buffer.concat([u16(bytes.length), bytes]);

/** The serialized encryption context (AAD length included), pairs sorted by UTF-8 bytes of the key. */
export function serializeEncryptionContext(context: EncryptionContext): Buffer {
  const pairs = Object.entries(context)
    .map(([k, v]) => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')] as const)
    .sort(([a], [b]) => Buffer.compare(a, b));
  if (pairs.length === 0) return u16(0);
  const aad = Buffer.concat([u16(pairs.length), ...pairs.flatMap(([k, v]) => [withLength(k), withLength(v)])]);
  return withLength(aad);
}

function serializeDataKeys(keys: readonly EncryptedDataKey[]): Buffer {
  return Buffer.concat([
    u16(keys.length),
    ...keys.flatMap((k) => [
      withLength(Buffer.from(k.providerId, 'utf8')),
      withLength(Buffer.from(k.providerInfo, 'utf8')),
      withLength(k.encryptedDataKey),
    ]),
  ]);
}

/**
 * The header body of `header` with other encrypted data keys (and, optionally, another
 * encryption context); every other byte stays as it was. The result still needs its header
 * authentication (headerAuthTag).
 */
export function rewriteHeaderBody(
  header: MessageHeader,
  changes: { encryptedDataKeys: readonly EncryptedDataKey[]; encryptionContext?: EncryptionContext },
): Buffer {
  const [contextStart, contextEnd] = header.contextSpan;
  const body = header.headerBody;
  const prefix = body.subarray(0, contextStart);
  const context =
    changes.encryptionContext && !sameContext(changes.encryptionContext, header.encryptionContext)
      ? serializeEncryptionContext(changes.encryptionContext)
      : body.subarray(contextStart, contextEnd);
  // The EDK section runs from the context's end to the content type; find its end by re-serializing the old one.
  const oldKeys = serializeDataKeys(header.encryptedDataKeys);
  const rest = body.subarray(contextEnd + oldKeys.length);
  return Buffer.concat([prefix, context, serializeDataKeys(changes.encryptedDataKeys), rest]);
}

/**
 * The header body of a new format 2 framed message (what the Encryption SDK writes for a
 * committing suite): it still needs its header authentication (headerAuthTag).
 */
export function newHeaderBody(fields: {
  suite: AlgorithmSuite;
  messageId: Buffer;
  encryptionContext: EncryptionContext;
  encryptedDataKeys: readonly EncryptedDataKey[];
  frameLength: number;
  commitment: Buffer;
}): Buffer {
  if (fields.suite.messageFormat !== 2 || fields.messageId.length !== 32)
    throw new MessageFormatError('Only format 2 messages (32-byte message id) are written.');
  if (fields.commitment.length !== fields.suite.suiteDataLength) throw new MessageFormatError('The key commitment has the wrong length.');
  const start = Buffer.alloc(3);
  start.writeUInt8(2, 0);
  start.writeUInt16BE(fields.suite.id, 1);
  const content = Buffer.alloc(5);
  content.writeUInt8(2, 0);
  content.writeUInt32BE(fields.frameLength, 1);
  return Buffer.concat([
    start,
    fields.messageId,
    serializeEncryptionContext(fields.encryptionContext),
    serializeDataKeys(fields.encryptedDataKeys),
    content,
    fields.commitment,
  ]);
}

export function sameContext(a: EncryptionContext, b: EncryptionContext): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && b[k] === a[k]);
}

// ---------------------------------------------------------------------------- keys

/** The key commitment and the derived data-encryption key of a committing (format 2) message. */
export function deriveCommittingKeys(
  suiteInfo: AlgorithmSuite,
  dataKey: Uint8Array,
  messageId: Buffer,
): { commitment: Buffer; derivedKey: Buffer } {
  if (!suiteInfo.committing || suiteInfo.kdf !== 'sha512')
    throw new MessageFormatError(`${suiteInfo.name} is not a committing algorithm suite.`);
  const suiteIdBytes = u16(suiteInfo.id);
  const commitment = Buffer.from(hkdfSync('sha512', dataKey, messageId, Buffer.from('COMMITKEY', 'ascii'), 32));
  const derivedKey = Buffer.from(
    hkdfSync('sha512', dataKey, messageId, Buffer.concat([suiteIdBytes, Buffer.from('DERIVEKEY', 'ascii')]), suiteInfo.keyLength),
  );
  return { commitment, derivedKey };
}

/** The header authentication tag (format 2: IV of zeros) over `headerBody`. */
export function headerAuthTag(derivedKey: Buffer, headerBody: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', derivedKey, Buffer.alloc(IV_LENGTH));
  cipher.setAAD(headerBody);
  cipher.final();
  return cipher.getAuthTag();
}

/** Throws unless `header`'s authentication tag verifies under `derivedKey`. */
export function verifyHeaderAuth(header: MessageHeader, derivedKey: Buffer): void {
  const decipher = createDecipheriv('aes-256-gcm', derivedKey, header.headerIv);
  decipher.setAAD(header.headerBody);
  decipher.setAuthTag(header.headerTag);
  try {
    decipher.final();
  } catch {
    throw tampered('its header does not authenticate');
  }
}

/** Checks the key commitment of a format 2 header against the one derived from the data key. */
export function verifyCommitment(header: MessageHeader, commitment: Buffer): void {
  if (header.suiteData.length !== commitment.length || !timingSafeEqual(header.suiteData, commitment))
    throw tampered('its key commitment does not match its data key');
}

export function tampered(detail: string): KmsError {
  return new KmsError(
    'TamperedCiphertext',
    `The encrypted data was altered or is damaged (${detail}): it cannot be decrypted, and it was left as it was.`,
  );
}

// ---------------------------------------------------------------------------- info

/** The region in a KMS key ARN, e.g. "us-east-1" (undefined for anything else). */
export function regionOfKeyArn(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key\//.exec(arn);
  return m?.[1];
}

/** What people want to know about a message, without its keys. */
export interface MessageInfo {
  readonly version: 1 | 2;
  readonly algorithmSuite: string;
  readonly committing: boolean;
  readonly signed: boolean;
  readonly frameLength: number;
  readonly encryptionContext: EncryptionContext;
  /** ARNs of the KMS keys that can decrypt it (the `aws-kms` encrypted data keys). */
  readonly keyArns: readonly string[];
  /** Provider ids of data keys wrapped by something other than KMS (raw keyrings…). */
  readonly otherProviders: readonly string[];
  readonly messageId: string;
}

export function messageInfo(header: MessageHeader): MessageInfo {
  return {
    version: header.version,
    algorithmSuite: header.suite.name,
    committing: header.suite.committing,
    signed: header.suite.signed,
    frameLength: header.frameLength,
    encryptionContext: { ...header.encryptionContext },
    keyArns: header.encryptedDataKeys.filter((k) => k.providerId === KMS_PROVIDER_ID).map((k) => k.providerInfo),
    otherProviders: header.encryptedDataKeys.filter((k) => k.providerId !== KMS_PROVIDER_ID).map((k) => k.providerId),
    messageId: header.messageId.toString('hex'),
  };
}
