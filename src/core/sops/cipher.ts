// sops's AES-256-GCM value cipher: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` with a 32-byte
// IV and the value's path (keys joined with ':' plus a trailing ':') as additional data.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { leafBytes, SopsComment, SopsError, SopsFloat, SopsInt, type SopsLeaf } from './tree';

const ENC_PATTERN = /^ENC\[AES256_GCM,data:(.*),iv:(.*),tag:(.*),type:(.*)\]$/s;

export interface EncryptedValue {
  readonly data: Buffer;
  readonly iv: Buffer;
  readonly tag: Buffer;
  readonly type: string;
}

export function isEncryptedValue(text: string): boolean {
  return ENC_PATTERN.test(text);
}

export function parseEncryptedValue(text: string): EncryptedValue | undefined {
  const m = ENC_PATTERN.exec(text);
  if (!m) return undefined;
  return { data: Buffer.from(m[1], 'base64'), iv: Buffer.from(m[2], 'base64'), tag: Buffer.from(m[3], 'base64'), type: m[4] };
}

/** The AAD sops uses for a value at `path`. */
export function pathAad(path: readonly string[]): string {
  return `${path.join(':')}:`;
}

/** Encrypts one value (never an empty string: sops leaves those as they are). */
export function encryptValue(value: Exclude<SopsLeaf, null> | SopsComment, dataKey: Buffer, aad: string, typeName?: 'str'): string {
  const type =
    typeName ??
    (value instanceof SopsComment
      ? 'comment'
      : typeof value === 'string'
        ? 'str'
        : typeof value === 'boolean'
          ? 'bool'
          : value instanceof SopsInt
            ? 'int'
            : value instanceof SopsFloat
              ? 'float'
              : 'bytes');
  const iv = randomBytes(32);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(leafBytes(value)), cipher.final()]);
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${cipher.getAuthTag().toString('base64')},type:${type}]`;
}

/** What an encrypted value opens to: its bytes and recorded type. Throws SopsError('SopsTampered') when GCM refuses. */
export function decryptValueBytes(text: string, dataKey: Buffer, aad: string, where: string): { bytes: Buffer; type: string } {
  const parsed = parseEncryptedValue(text);
  if (!parsed)
    throw new SopsError('SopsFormat', `The value at ${where} is not a SOPS encrypted value (ENC[AES256_GCM,…]).`, { path: where });
  if (parsed.tag.length !== 16 || parsed.iv.length === 0)
    throw new SopsError(
      'SopsTampered',
      `The encrypted value at ${where} is damaged (its IV or tag has the wrong length): ` +
        'the file was changed by hand or corrupted. Restore it from version control.',
      { path: where },
    );
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, parsed.iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(parsed.tag);
    const bytes = Buffer.concat([decipher.update(parsed.data), decipher.final()]);
    return { bytes, type: parsed.type };
  } catch {
    throw new SopsError(
      'SopsTampered',
      `The encrypted value at ${where} does not authenticate (message authentication failed): ` +
        'its ciphertext was changed, or it was moved from another place or file. Nothing was decrypted; ' +
        'restore the file from version control.',
      { path: where },
    );
  }
}

/** Decrypts one value into the leaf sops would hold (`raw` keeps `str` values as bytes, for binary files). */
export function decryptValue(
  text: string,
  dataKey: Buffer,
  aad: string,
  where: string,
  raw = false,
): Exclude<SopsLeaf, null> | SopsComment {
  const { bytes, type } = decryptValueBytes(text, dataKey, aad, where);
  const s = bytes.toString('utf8');
  switch (type) {
    case 'str':
      return raw ? bytes : s;
    case 'comment':
      return new SopsComment(s);
    case 'bytes':
      return bytes;
    case 'bool':
      if (/^(1|t|T|TRUE|true|True)$/.test(s)) return true;
      if (/^(0|f|F|FALSE|false|False)$/.test(s)) return false;
      break;
    case 'int':
      if (/^[+-]?\d+$/.test(s)) return new SopsInt(BigInt(s));
      break;
    case 'float': {
      const n = Number(s);
      if (s.trim() !== '' && !Number.isNaN(n)) return new SopsFloat(n);
      if (/^[+-]?(inf|infinity|nan)$/i.test(s)) return new SopsFloat(/nan/i.test(s) ? NaN : s.startsWith('-') ? -Infinity : Infinity);
      break;
    }
    default:
      throw new SopsError('SopsFormat', `The value at ${where} has the unknown type "${type}".`, { path: where });
  }
  throw new SopsError('SopsFormat', `The value at ${where} does not hold a ${type} as its type says.`, { path: where });
}
