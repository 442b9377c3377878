// What a ciphertext says about itself (format, keys, encryption context, algorithm suite),
// for hovers and tooltips. Everything read from the ciphertext is the file's text: it is
// shown inert (see ../text/inertText), so a crafted header cannot form Markdown or links.
import { inertLine, markdownCode } from '../text/inertText';
import type { TextCiphertext } from './detect';
import { formatEncryptionContext } from './encryptionContext';
import { KMS_PROVIDER_ID, messageInfo, type MessageHeader } from './messageFormat';

const SHAPES: Record<string, string> = {
  aws: 'AWS KMS format',
  'key-id-prefix': 'moto / LocalStack format',
  'arn-prefix': 'local-kms format',
};

/** How a key is named to a person (see ../kms/keyNames.ts); by default as the ciphertext names it. */
export type NameKey = (ref: string) => string;

const asWritten: NameKey = (ref) => ref;

/** The hover's description of a ciphertext in text, as Markdown; keys named by `name`. */
export function ciphertextMarkdown(found: TextCiphertext, name: NameKey = asWritten): string {
  if (found.kind === 'blob') {
    const parts = [`**KMS ciphertext blob** · ${found.bytes.length} bytes`, SHAPES[found.blob?.shape ?? ''] ?? ''];
    if (found.blob?.keyHint) parts.push(`key ${markdownCode(name(found.blob.keyHint))}`);
    return parts.filter(Boolean).join(' · ');
  }
  if (!found.header) return '**AWS Encryption SDK message** (truncated: its header is incomplete)';
  const info = messageInfo(found.header);
  const lines = [`**AWS Encryption SDK message** · ${found.bytes.length.toLocaleString('en-US')} bytes`];
  const { kms, others } = messageKeys(found.header);
  if (kms.length === 1) lines.push(`Key: ${markdownCode(name(kms[0]))}`);
  else if (kms.length > 1) lines.push(`Keys (any one of the ${kms.length} decrypts): ${kms.map((k) => markdownCode(name(k))).join(', ')}`);
  if (others.length) lines.push(`Data keys of other providers: ${others.map((p) => markdownCode(p)).join(', ')}`);
  const context = formatEncryptionContext(
    Object.fromEntries(Object.entries(info.encryptionContext).filter(([k]) => !k.startsWith('aws-crypto-'))),
  );
  lines.push(`Encryption context: ${context ? markdownCode(context) : 'none'}`);
  lines.push(
    `Algorithm suite: ${markdownCode(info.algorithmSuite)}${info.frameLength ? ` · frames of ${info.frameLength.toLocaleString('en-US')} bytes` : ''}`,
  );
  return lines.join('  \n');
}

/** The KMS keys a message's data key is wrapped under (any one decrypts), and other providers' ids. */
export function messageKeys(header: MessageHeader): { kms: string[]; others: string[] } {
  const kms = header.encryptedDataKeys.filter((k) => k.providerId === KMS_PROVIDER_ID).map((k) => k.providerInfo);
  const others = [...new Set(header.encryptedDataKeys.filter((k) => k.providerId !== KMS_PROVIDER_ID).map((k) => k.providerId))];
  return { kms, others };
}

/**
 * One line of plain text for the Explorer's lock badge and the CodeLens: the format and the
 * keys the file is encrypted for, inert.
 */
export function encryptedFileSummary(formatDescription: string, header: MessageHeader | undefined, name: NameKey = asWritten): string {
  const { kms, others } = header ? messageKeys(header) : { kms: [], others: [] };
  let keys = '';
  if (kms.length === 1) keys = ` under ${name(kms[0])}`;
  else if (kms.length > 1) keys = ` for ${kms.length} keys, any one decrypts: ${kms.map(name).join(', ')}`;
  if (others.length) keys += ` (and data keys of ${others.join(', ')})`;
  return inertLine(`Encrypted with AWS KMS: ${formatDescription}${keys}`);
}
