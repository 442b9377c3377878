// What can be edited decrypted: text (UTF-8, no NUL bytes) up to a size an editor handles.
// Binary plaintext shown in a text editor would be mangled by the save, so it is refused.
import { KmsError } from '../kms/errors';

/** Largest plaintext edited in memory. */
export const MAX_EDITABLE_BYTES = 32 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Throws a KmsError (NotText, FileTooLarge) saying why `plaintext` cannot be edited as text. */
export function checkEditableText(plaintext: Uint8Array, name: string): void {
  if (plaintext.byteLength > MAX_EDITABLE_BYTES) {
    throw new KmsError(
      'FileTooLarge',
      `${name} decrypts to ${plaintext.byteLength.toLocaleString('en-US')} bytes: ` +
        `too large to edit in memory (at most ${MAX_EDITABLE_BYTES / (1024 * 1024)} MiB). Use KMS: ` +
        'Decrypt File to decrypt it on disk instead.',
    );
  }
  if (plaintext.includes(0)) throw notText(name, 'it contains NUL bytes');
  try {
    utf8.decode(plaintext);
  } catch {
    throw notText(name, 'it is not UTF-8 text');
  }
}

function notText(name: string, why: string): KmsError {
  return new KmsError(
    'NotText',
    `${name} decrypts to binary data (${why}), which a text editor would damage on save. Use KMS: Decrypt File to decrypt it on disk instead.`,
  );
}
