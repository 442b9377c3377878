// What an encrypted file is, from its headers and metadata only: nothing is decrypted and no
// KMS call is made. Reads are bounded (a head of the file; SOPS files, whose metadata sits at
// the end, are read whole up to MAX_SOPS_BYTES), so a workspace of large files costs little.
//
// Formats: an AWS Encryption SDK message (binary or base64), a file holding one KMS blob
// (base64), a SOPS file (any store), and KMS blobs (or base64 messages) inside an ordinary
// text file, such as values in a .env or YAML file.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { decodeArmorPrefix } from '../envelope/base64';
import { detectFileFormat, detectTextCiphertext } from '../envelope/detect';
import { analyzeBlob } from '../envelope/kmsBlob';
import { type EncryptionContext, messageInfo, type MessageHeader, MessageFormatError, parseMessageHeader } from '../envelope/messageFormat';
import { tokensIn } from '../envelope/textScan';
import { readSopsFile, mightBeSops } from '../sops/sopsFile';
import { readRange } from '../files/fileIo';
import { blobKeyRef, UNNAMED_KEY } from './keyRefs';

export type InventoryFormat = 'message' | 'blob-file' | 'sops' | 'embedded';

/** A KMS blob (or base64 message) found inside an ordinary text file. */
export interface EmbeddedCiphertext {
  /** 0-based line and character of the base64 token. */
  readonly line: number;
  readonly character: number;
  readonly length: number;
  readonly kind: 'blob' | 'message';
  /** Key ARN or key id it names; UNNAMED_KEY when its bytes name none. */
  readonly keyRef: string;
}

export interface InventoryEntry {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly format: InventoryFormat;
  /** E.g. "Encryption SDK message (base64)", "SOPS (yaml)", "2 KMS blobs in text". */
  readonly formatLabel: string;
  /** Key ARNs or key ids, in file order, without repeats (UNNAMED_KEY for a blob naming none). */
  readonly keyRefs: readonly string[];
  /** Messages: the header's context. SOPS: per KMS key, in `kmsContexts`. */
  readonly encryptionContext?: EncryptionContext;
  /** SOPS: the encryption context of each KMS master key that has one, by ARN. */
  readonly kmsContexts?: Readonly<Record<string, EncryptionContext>>;
  /** SOPS: master keys other than KMS ("age age1…", "pgp 85D7…"). */
  readonly otherMasterKeys?: readonly string[];
  /** Messages: data keys wrapped by something other than KMS (raw keyrings…). */
  readonly otherProviders?: readonly string[];
  /** Embedded ciphertexts (at most MAX_EMBEDDED kept; `embeddedCount` has them all). */
  readonly embedded?: readonly EmbeddedCiphertext[];
  readonly embeddedCount?: number;
  /** Messages: whether its header can be re-wrapped (format 2, committing, unsigned, framed). */
  readonly signed?: boolean;
  /** True when only the head of a text file was scanned for embedded ciphertexts. */
  readonly partial?: boolean;
}

/** Bytes of a file looked at for a message header, a blob file or embedded ciphertexts. */
export const HEAD_BYTES = 256 * 1024;
/** SOPS files are read whole (their metadata is at the end) up to this size. */
export const MAX_SOPS_BYTES = 8 * 1024 * 1024;
/** Largest message header read (a header may hold up to ten data keys and a large context). */
const MAX_HEADER_BYTES = 2 * 1024 * 1024;
/** Embedded ciphertexts kept per file (all are counted). */
export const MAX_EMBEDDED = 200;
/** Shortest base64 token worth decoding: a KMS blob is at least 29 bytes. */
const MIN_TOKEN = 40;

/** Reads a file's start (and, for SOPS or a long header, more) and tells what it is; undefined: not encrypted. */
export async function classifyFile(path: string): Promise<InventoryEntry | undefined> {
  const info = await stat(path);
  if (!info.isFile() || info.size === 0) return undefined;
  const head = await readRange(path, Math.min(info.size, HEAD_BYTES));
  return classifyBytes(path, head, info.size, info.mtimeMs, {
    more: (length) => readRange(path, length),
    tail: (length) => readRange(path, length, Math.max(0, info.size - length)),
  });
}

/** Further reads classifyBytes may ask for when the head is not enough. */
export interface MoreBytes {
  /** The first `length` bytes. */
  more(length: number): Promise<Buffer>;
  /** The last `length` bytes. */
  tail(length: number): Promise<Buffer>;
}

const TAIL_BYTES = 16 * 1024;

/**
 * Classifies from `head` (the first bytes of a file of `size` bytes). `more(n)` reads the first
 * `n` bytes when the head is not enough (a SOPS file, a long message header); without it, only
 * `head` is used (e.g. the pre-commit hook passing a whole staged blob).
 */
export async function classifyBytes(
  path: string,
  head: Buffer,
  size: number,
  mtimeMs = 0,
  reader?: MoreBytes,
): Promise<InventoryEntry | undefined> {
  const base = { path, size, mtimeMs };
  const format = detectFileFormat(head, size);
  if (format.kind === 'message') {
    let header = format.header;
    if (!header && reader) header = await longHeader(format.armor, reader, size);
    return messageEntry(base, format.armor, header);
  }
  if (format.kind === 'blob') {
    if (format.confidence !== 'structure') return undefined;
    const bytes = Buffer.from(head.toString('latin1').trim(), 'base64');
    const ref = blobKeyRef(bytes, format.blob) ?? UNNAMED_KEY;
    return { ...base, format: 'blob-file', formatLabel: 'KMS ciphertext blob file', keyRefs: [ref] };
  }
  if (head.includes(0)) return undefined; // binary, not a message: nothing to scan
  const headText = head.toString('utf8');
  // SOPS metadata sits at the end of YAML/JSON/dotenv files: a file larger than its head is
  // read whole only when its tail looks like SOPS.
  const whole = size === head.length;
  const looksSops = whole
    ? mightBeSops(headText)
    : size <= MAX_SOPS_BYTES &&
      reader !== undefined &&
      mightBeSops(headText + (await reader.tail(Math.min(TAIL_BYTES, size))).toString('utf8'));
  if (looksSops) {
    const text = whole ? headText : (await reader!.more(size)).toString('utf8');
    const sops = sopsEntry(base, text);
    if (sops) return sops;
  }
  return embeddedEntry(base, headText, size > head.length);
}

function messageEntry(
  base: { path: string; size: number; mtimeMs: number },
  armor: 'base64' | 'binary',
  header: MessageHeader | undefined,
): InventoryEntry {
  const formatLabel = `Encryption SDK message (${armor})`;
  if (!header) return { ...base, format: 'message', formatLabel, keyRefs: [UNNAMED_KEY] };
  const info = messageInfo(header);
  return {
    ...base,
    format: 'message',
    formatLabel,
    keyRefs: unique(info.keyArns.length ? info.keyArns : [UNNAMED_KEY]),
    encryptionContext: info.encryptionContext,
    otherProviders: info.otherProviders.length ? info.otherProviders : undefined,
    signed: info.signed,
  };
}

async function longHeader(armor: 'base64' | 'binary', reader: MoreBytes, size: number): Promise<MessageHeader | undefined> {
  const raw = await reader.more(Math.min(size, armor === 'base64' ? Math.ceil((MAX_HEADER_BYTES * 4) / 3) + 64 * 1024 : MAX_HEADER_BYTES));
  const bytes = armor === 'base64' ? decodeArmorPrefix(raw) : raw;
  if (!bytes) return undefined;
  try {
    return parseMessageHeader(bytes);
  } catch (error) {
    if (error instanceof MessageFormatError) return undefined;
    throw error;
  }
}

function sopsEntry(base: { path: string; size: number; mtimeMs: number }, text: string): InventoryEntry | undefined {
  let doc;
  try {
    doc = readSopsFile(basename(base.path), text);
  } catch {
    return undefined; // SOPS-looking but unreadable: not counted as encrypted by KMS
  }
  if (!doc) return undefined;
  const kms = doc.metadata.groups.flatMap((g) => g.kms);
  const others = doc.metadata.groups.flatMap((g) => g.others).map((o) => `${o.type} ${o.id}`);
  const kmsContexts: Record<string, EncryptionContext> = {};
  for (const k of kms) if (k.context && Object.keys(k.context).length) kmsContexts[k.arn] = { ...k.context };
  return {
    ...base,
    format: 'sops',
    formatLabel: `SOPS (${doc.format})`,
    keyRefs: unique(kms.map((k) => k.arn)),
    kmsContexts: Object.keys(kmsContexts).length ? kmsContexts : undefined,
    otherMasterKeys: unique(others),
  };
}

function embeddedEntry(base: { path: string; size: number; mtimeMs: number }, text: string, partial: boolean): InventoryEntry | undefined {
  const found: EmbeddedCiphertext[] = [];
  let count = 0;
  const refs: string[] = [];
  const lines = text.split('\n');
  // A head cut in the middle of a line: the last line may be partial.
  if (partial) lines.pop();
  for (let line = 0; line < lines.length; line++) {
    const l = lines[line];
    if (l.length < MIN_TOKEN) continue;
    for (const token of tokensIn(l, MIN_TOKEN)) {
      const hit = detectTextCiphertext(token.text);
      if (!hit || hit.confidence !== 'structure') continue;
      const keyRef =
        hit.kind === 'message'
          ? (hit.header?.encryptedDataKeys.find((k) => k.providerId === 'aws-kms')?.providerInfo ?? UNNAMED_KEY)
          : (blobKeyRef(hit.bytes, hit.blob ?? analyzeBlob(hit.bytes)) ?? UNNAMED_KEY);
      count++;
      refs.push(keyRef);
      if (found.length < MAX_EMBEDDED) found.push({ line, character: token.start, length: token.text.length, kind: hit.kind, keyRef });
    }
  }
  if (count === 0) return undefined;
  return {
    ...base,
    format: 'embedded',
    formatLabel: count === 1 ? `1 KMS ciphertext in text` : `${count} KMS ciphertexts in text`,
    keyRefs: unique(refs),
    embedded: found,
    embeddedCount: count,
    partial: partial || undefined,
  };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
