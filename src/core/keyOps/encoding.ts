import { type Checked, ok, problem } from './checked';

/** PEM armour (RFC 7468) for DER bytes: 64-character base64 lines. */
export function toPem(der: Uint8Array, label: 'PUBLIC KEY' | 'PRIVATE KEY'): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The DER bytes inside a PEM block. */
export function fromPem(pem: string): Uint8Array {
  const body = pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(body, 'base64'));
}

export const BYTE_ENCODINGS = ['base64', 'hex', 'base64url'] as const;
export type ByteEncoding = (typeof BYTE_ENCODINGS)[number];

export function encodeBytes(bytes: Uint8Array, encoding: ByteEncoding): string {
  return Buffer.from(bytes).toString(encoding);
}

export const MESSAGE_ENCODINGS = ['text', 'base64', 'hex'] as const;
export type MessageEncoding = (typeof MESSAGE_ENCODINGS)[number];

/**
 * The bytes of a message given as text (UTF-8), base64 or hex. Base64 and hex are checked
 * strictly (Node's decoders skip bad characters silently, which would sign something else).
 */
export function decodeMessage(value: string, encoding: MessageEncoding, what = 'The message'): Checked<Uint8Array> {
  switch (encoding) {
    case 'text':
      return ok(new Uint8Array(Buffer.from(value, 'utf8')));
    case 'hex': {
      const t = value.replace(/\s+/g, '');
      if (!/^([0-9a-fA-F]{2})*$/.test(t)) return problem(`${what} is not hex: use pairs of 0-9 and a-f.`);
      return ok(new Uint8Array(Buffer.from(t, 'hex')));
    }
    case 'base64':
      return decodeBase64(value, what);
  }
}

export function decodeBase64(value: string, what: string): Checked<Uint8Array> {
  const t = value.replace(/\s+/g, '');
  const standard = t.replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(standard) || standard.replace(/=+$/, '').length % 4 === 1) {
    return problem(`${what} is not base64.`);
  }
  return ok(new Uint8Array(Buffer.from(standard, 'base64')));
}

/** Bytes in a message shorter than `max` (KMS takes 1–4,096 bytes for Sign and MACs). */
export function checkMessageLength(bytes: Uint8Array, max: number, what = 'The message', tooLongHint = ''): Checked<Uint8Array> {
  if (bytes.length === 0) return problem(`${what} is empty: KMS needs at least one byte.`);
  if (bytes.length > max)
    return problem(`${what} is ${bytes.length} bytes; KMS takes at most ${max}.${tooLongHint ? ` ${tooLongHint}` : ''}`);
  return ok(bytes);
}

export function base64(bytes: Uint8Array | undefined): string {
  return bytes ? Buffer.from(bytes).toString('base64') : '';
}
