// Telling ciphertext from anything else: in text (a selection, the word under the cursor, a
// hover) and at the start of a file. Text ciphertexts are base64 of either a KMS blob (see
// kmsBlob.ts) or an AWS Encryption SDK message (see messageFormat.ts); files are Encryption
// SDK messages, binary or base64-armored, or (read only) a file holding one base64 KMS blob.
import { decodeArmorPrefix, decodeStrictBase64, withoutBom } from './base64';
import { type BlobAnalysis, analyzeBlob, isPlausibleCiphertext, MAX_BLOB_LENGTH } from './kmsBlob';
import { looksLikeMessageStart, type MessageHeader, MessageFormatError, parseMessageHeader } from './messageFormat';

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
  | { readonly kind: 'plaintext' };

/** How many bytes of a file detectFileFormat wants to see (more is fine; less may miss a large header). */
export const DETECT_HEAD_BYTES = 64 * 1024;

/**
 * The format of a file from its first bytes (`head`) and its size. A file is a message only
 * when its whole header parses: plaintext that happens to start with a message's first bytes
 * (`02 05 78`, or "AgV4" in text) is plaintext. While `head` ends inside a header that has
 * parsed so far and the file goes on, the answer is a message without header: read more
 * (inspectFile does) and ask again.
 */
export function detectFileFormat(head: Buffer, fileSize: number): FileFormat {
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
  return { kind: 'plaintext' };
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
  return format.kind === 'message' || (format.kind === 'blob' && format.confidence === 'structure');
}
