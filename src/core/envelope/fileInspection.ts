// What a file is, read from its start: the format (message, blob, SOPS, plaintext), and a
// message's header. Shared by the encrypt, decrypt and re-encrypt paths (fileEncryption.ts).
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { type FileState } from '../files/atomicReplace';
import { readAt, readRange } from '../files/fileIo';
import { decodeArmorPrefix } from './base64';
import { DETECT_HEAD_BYTES, detectFileFormat, type FileFormat, MAX_SOPS_BYTES } from './detect';
import { type MessageHeader, messageInfo, type MessageInfo, parseMessageHeader, tampered } from './messageFormat';

export interface FileInspection {
  readonly path: string;
  readonly size: number;
  readonly format: FileFormat;
  /** For messages whose header could be read. */
  readonly header?: MessageHeader;
  readonly info?: MessageInfo;
  /** The file's state when it was inspected: a rewrite based on this inspection expects it. */
  readonly state: FileState;
}

/** Largest header read while inspecting (the format allows up to about 64 KiB of EDKs per key…). */
const MAX_HEADER_BYTES = 1024 * 1024;

/**
 * Reads the start of a file and tells what it is. One descriptor: its state (fstat) and its
 * first bytes are asked for at once, and it is closed without waiting (each step is a round
 * trip through libuv's thread pool, which a busy extension host makes slow).
 */
export async function inspectFile(path: string): Promise<FileInspection> {
  const handle = await open(path, 'r');
  try {
    const first = Buffer.alloc(DETECT_HEAD_BYTES);
    const [info, { bytesRead }] = await Promise.all([handle.stat(), handle.read(first, 0, first.length, 0)]);
    const size = info.size;
    const state: FileState = { size, mtimeMs: info.mtimeMs, ino: info.ino };
    let want = Math.min(size, DETECT_HEAD_BYTES);
    // A short read (rare for a regular file) is completed.
    let head = bytesRead >= want ? first.subarray(0, want) : await readAt(handle, want, 0);
    for (;;) {
      let format = detectFileFormat(head, size, basename(path));
      if (
        format.kind === 'plaintext' &&
        size > head.length &&
        size <= MAX_SOPS_BYTES &&
        /ENC\[AES256_GCM,|sops/.test(head.toString('latin1'))
      ) {
        // A SOPS file keeps its metadata at the end: look at all of it.
        format = detectFileFormat(await readAt(handle, size, 0), size, basename(path));
      }
      if (format.kind !== 'message' || format.header) {
        const header = format.kind === 'message' ? format.header : undefined;
        return { path, size, format, header, info: header ? messageInfo(header) : undefined, state };
      }
      // A header longer than any the Encryption SDK writes (or the file ended): not a message.
      if (want >= Math.min(size, MAX_HEADER_BYTES * 2) || head.length < want) return { path, size, format: { kind: 'plaintext' }, state };
      want = Math.min(size, want * 4, MAX_HEADER_BYTES * 2);
      head = await readAt(handle, want, 0);
    }
  } finally {
    void handle.close().catch(() => undefined);
  }
}

/** A short description of a file's format for messages, e.g. "an AWS Encryption SDK message (base64)". */
export function describeFormat(format: FileFormat): string {
  switch (format.kind) {
    case 'message':
      return `an AWS Encryption SDK message (${format.armor})`;
    case 'blob':
      return 'a KMS ciphertext blob (base64)';
    case 'sops':
      return `a SOPS file (${format.store})`;
    default:
      return 'not encrypted';
  }
}

/** For headers larger than the inspected head (huge encryption contexts). */
export async function readWholeHeader(path: string, armor: 'base64' | 'binary'): Promise<MessageHeader> {
  const raw = await readRange(path, armor === 'base64' ? Math.ceil((MAX_HEADER_BYTES * 4) / 3) + 64 * 1024 : MAX_HEADER_BYTES);
  const bytes = armor === 'base64' ? decodeArmorPrefix(raw) : raw;
  const header = bytes ? parseMessageHeader(bytes) : undefined;
  if (!header) throw tampered('its header is truncated or longer than 1 MiB');
  return header;
}
