// What a file names its KMS keys by: a key ARN (Encryption SDK headers, SOPS metadata,
// local-kms blobs) or a bare key id (blobs of AWS's shape as this project's emulator writes
// them, moto/LocalStack blobs). The inventory groups by key id, which both forms share.
import type { BlobAnalysis } from '../envelope/kmsBlob';

/** Group of blobs whose bytes name no key: only a decrypt attempt can tell which key they need. */
export const UNNAMED_KEY = '';

const KEY_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
const KEY_ARN = /^arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):key\/([\w-]+)$/;

export interface ParsedKeyRef {
  readonly keyId: string;
  readonly arn?: string;
  readonly region?: string;
  readonly account?: string;
}

/** Splits a key ARN or key id; anything else (an alias, a typo) is kept as its own id. */
export function parseKeyRef(ref: string): ParsedKeyRef {
  const m = KEY_ARN.exec(ref);
  if (m) return { keyId: m[4], arn: ref, region: m[2], account: m[3] };
  return { keyId: ref };
}

/** The key id of a key ARN or key id (the inventory's grouping key). */
export function keyIdOf(ref: string): string {
  return parseKeyRef(ref).keyId;
}

/** Whether `text` is a bare key id (UUID or mrk-…). */
export function isKeyId(text: string): boolean {
  return KEY_ID.test(text);
}

/**
 * The key a blob's bytes name. The shapes of kmsBlob.ts that carry a key say so
 * (`keyHint`); a blob of AWS's shape written by this project's emulator (and laid out like
 * it: the 01 02 02 00 78 header, a version byte 0x40–0x7f, then a length-prefixed ASCII key
 * id) names its key id too. Real AWS blobs keep their key reference in a binary form that
 * is not documented, so for them this returns undefined (grouped as "key not named").
 */
export function blobKeyRef(bytes: Uint8Array, analysis: BlobAnalysis | undefined): string | undefined {
  if (analysis?.keyHint) return analysis.keyHint;
  if (analysis?.shape !== 'aws' || bytes.length < 8) return undefined;
  const version = bytes[5];
  const length = bytes[6];
  if (version < 0x40 || version > 0x7f || length !== 36 || bytes.length < 7 + length) return undefined;
  const id = Buffer.from(bytes.buffer, bytes.byteOffset + 7, length).toString('latin1');
  return KEY_ID.test(id) ? id : undefined;
}
