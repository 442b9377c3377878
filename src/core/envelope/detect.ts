// Telling ciphertext from anything else: in text (a selection, the word under the cursor, a
// hover) and at the start of a file. Text ciphertexts are base64 of either a KMS blob (see
// kmsBlob.ts) or an AWS Encryption SDK message (see messageFormat.ts); files are Encryption
// SDK messages, binary or base64-armored, or (read only) a file holding one base64 KMS blob.
import { decodeArmorPrefix, decodeStrictBase64, withoutBom } from './base64';
import { type BlobAnalysis, analyzeBlob, isPlausibleCiphertext, MAX_BLOB_LENGTH } from './kmsBlob';
import { looksLikeMessageStart, type MessageHeader, MessageFormatError, parseMessageHeader } from './messageFormat';
import { describeMasterKeys } from '../sops/metadata';
import { mightBeSops, readSopsFile, type SopsFormat } from '../sops/sopsFile';

export type CiphertextKind = 'blob' | 'message';

export interface TextCiphertext {
  readonly kind: CiphertextKind;
  /**
   * `structure`: a known blob shape or a parsed message header. `plausible`: random-looking
   * base64 of blob size that matches no known shape, so only a decrypt attempt can tell
   * (other KMS servers may make blobs of shapes not known here).
   */
  readonly confidence: 'structure' | 'plausible';
  readonly bytes: Buffer;
  readonly blob?: BlobAnalysis;
  readonly header?: MessageHeader;
}

/**
 * What ciphertext `text` (already trimmed and unquoted) is, or undefined. Blobs must be one
 * base64 token; messages may be split over lines.
 */
export function detectTextCiphertext(text: string): TextCiphertext | undefined {
  const compact = /\s/.test(text) ? text.replace(/\s+/g, '') : text;
  const bytes = decodeStrictBase64(compact);
  if (!bytes) return undefined;
  if (looksLikeMessageStart(bytes)) {
    // Only a header that parses whole makes a message: text that merely starts like one
    // ("AgV4…") is not; one that does not parse may still be a blob.
    const header = tryHeader(bytes);
    if (header) return { kind: 'message', confidence: 'structure', bytes, header };
  }
  if (compact !== text) return undefined;
  const blob = analyzeBlob(bytes);
  if (blob) return { kind: 'blob', confidence: 'structure', bytes, blob };
  if (isPlausibleCiphertext(bytes)) return { kind: 'blob', confidence: 'plausible', bytes };
  return undefined;
}

// ---------------------------------------------------------------------------- files

export type FileFormat =
  /** An Encryption SDK message, as raw bytes. */
  | { readonly kind: 'message'; readonly armor: 'binary'; readonly header?: MessageHeader }
  /** An Encryption SDK message in base64 (lines of any length). */
  | { readonly kind: 'message'; readonly armor: 'base64'; readonly header?: MessageHeader }
  /** One KMS blob in base64, like `aws kms encrypt --output text --query CiphertextBlob > file`. */
  | { readonly kind: 'blob'; readonly confidence: 'structure' | 'plausible'; readonly blob?: BlobAnalysis }
  /** A SOPS file (values encrypted one by one under a data key that KMS, age, PGP… wrap). */
  | { readonly kind: 'sops'; readonly store: SopsFormat; readonly kmsKeys: readonly string[]; readonly masterKeys: readonly string[] }
  | { readonly kind: 'plaintext' };

/** Largest file looked at as a possible SOPS file (its metadata is at the end, so all of it is read). */
export const MAX_SOPS_BYTES = 16 * 1024 * 1024;

/** How many bytes of a file detectFileFormat wants to see (more is fine; less may miss a large header). */
export const DETECT_HEAD_BYTES = 64 * 1024;

/**
 * The format of a file from its first bytes (`head`) and its size. A file is a message only
 * when its whole header parses: plaintext that happens to start with a message's first bytes
 * (`02 05 78`, or "AgV4" in text) is plaintext. While `head` ends inside a header that has
 * parsed so far and the file goes on, the answer is a message without header: read more
 * (inspectFile does) and ask again.
 */
export function detectFileFormat(head: Buffer, fileSize: number, name = ''): FileFormat {
  const wholeFile = head.length >= fileSize;
  if (looksLikeMessageStart(head)) {
    const header = tryHeader(head);
    if (header || (header === undefined && !wholeFile)) return { kind: 'message', armor: 'binary', header };
  }
  const decoded = decodeArmorPrefix(head);
  if (decoded && looksLikeMessageStart(decoded)) {
    const header = tryHeader(decoded);
    if (header || (header === undefined && !wholeFile)) return { kind: 'message', armor: 'base64', header };
  }
  if (fileSize <= MAX_BLOB_LENGTH * 2 + 3 && wholeFile) {
    const text = withoutBom(head).toString('latin1').trim();
    if (text.length > 0 && !/\s/.test(text)) {
      const found = detectTextCiphertext(text);
      if (found?.kind === 'blob') return { kind: 'blob', confidence: found.confidence, blob: found.blob };
    }
  }
  if (head.length === fileSize && fileSize <= MAX_SOPS_BYTES) {
    const sops = detectSops(head, name);
    if (sops) return sops;
  }
  return { kind: 'plaintext' };
}

/** A whole file's bytes as a SOPS file, or undefined (a damaged SOPS file still counts: it is encrypted). */
export function detectSops(bytes: Buffer, name: string): FileFormat | undefined {
  const text = bytes.toString('utf8');
  if (!mightBeSops(text)) return undefined;
  try {
    const doc = readSopsFile(name, text);
    if (!doc) return undefined;
    return {
      kind: 'sops',
      store: doc.format,
      kmsKeys: doc.metadata.groups.flatMap((g) => g.kms.map((k) => k.arn)),
      masterKeys: describeMasterKeys(doc.metadata),
    };
  } catch {
    return undefined;
  }
}

/** The header when it parses, undefined when `bytes` end inside it, null when it is not a header. */
function tryHeader(bytes: Buffer): MessageHeader | undefined | null {
  try {
    return parseMessageHeader(bytes);
  } catch (error) {
    if (error instanceof MessageFormatError) return null;
    throw error;
  }
}

/** Whether a file in this format is encrypted (a structure-level match, not a guess). */
export function isEncryptedFormat(format: FileFormat): boolean {
  return format.kind === 'message' || format.kind === 'sops' || (format.kind === 'blob' && format.confidence === 'structure');
}
