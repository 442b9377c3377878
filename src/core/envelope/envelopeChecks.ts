// What EnvelopeCrypto (envelopeCrypto.ts) refuses before any KMS call (a key set, a message
// header), and the sentences it turns the Encryption SDK's failures into.
import { KmsError } from '../kms/errors';
import { contextMismatches, formatEncryptionContext } from './encryptionContext';
import { MAX_ENCRYPTED_DATA_KEYS, type MessageHeader, MessageFormatError, tampered } from './messageFormat';
import type { DecryptParams } from './envelopeCrypto';

/**
 * The keys of one message: at least one, at most MAX_ENCRYPTED_DATA_KEYS (what any reader here
 * accepts), none named twice, none empty. Returns them as given.
 */
export function checkKeySet(keyIds: readonly string[]): string[] {
  const ids = keyIds.map((k) => (typeof k === 'string' ? k.trim() : ''));
  if (ids.length === 0) throw new KmsError('InvalidArgument', 'Name at least one key to encrypt with.');
  if (ids.some((k) => k === ''))
    throw new KmsError('InvalidArgument', 'A key to encrypt with is empty: name each key by key id, key ARN, alias name or alias ARN.');
  const twice = ids.filter((k, i) => ids.indexOf(k) !== i);
  if (twice.length) throw new KmsError('InvalidArgument', `${[...new Set(twice)].join(', ')} is named more than once: name each key once.`);
  if (ids.length > MAX_ENCRYPTED_DATA_KEYS)
    throw new KmsError(
      'InvalidArgument',
      `A message can be encrypted for at most ${MAX_ENCRYPTED_DATA_KEYS} keys (readers refuse more data keys), not ${ids.length}.`,
    );
  return ids;
}

/** Refuses, before any KMS call, what the header already shows cannot or must not be decrypted. */
export function checkReadable(header: MessageHeader, params: DecryptParams): void {
  if (!header.suite.committing) {
    throw new KmsError(
      'UncommittedMessage',
      `This message uses ${header.suite.name}, an algorithm suite without key commitment (from an Encryption SDK before 2.0, or one set to allow ` +
        `it). KMS Workbench reads only committing messages; decrypt it with the AWS Encryption CLI and --commitment-policy ` +
        `require-encrypt-allow-decrypt, then encrypt it again here.`,
    );
  }
  if (!header.encryptedDataKeys.some((k) => k.providerId === 'aws-kms')) {
    throw new KmsError(
      'NotKmsEncrypted',
      `This message's data key was not wrapped by AWS KMS (key providers: ${header.encryptedDataKeys.map((k) => k.providerId).join(', ')}), so KMS ` +
        `cannot decrypt it.`,
    );
  }
  if (params.keyArn) {
    const arns = header.encryptedDataKeys.filter((k) => k.providerId === 'aws-kms').map((k) => k.providerInfo);
    if (!arns.includes(params.keyArn)) {
      throw new KmsError(
        'IncorrectKeyException',
        `The encrypted data is not encrypted under ${params.keyArn} but under ${arns.join(', ')}. Decrypt it without naming a key, or name the key ` +
          `it was encrypted under.`,
      );
    }
  }
  if (params.expectedContext) {
    const wrong = contextMismatches(header.encryptionContext, params.expectedContext);
    if (wrong.length) {
      throw new KmsError(
        'EncryptionContextMismatch',
        `The encrypted data's encryption context does not match: expected ${wrong.join(', ')}. Its context is ` +
          `${formatEncryptionContext(header.encryptionContext) || 'empty'}.`,
      );
    }
  }
}

/** Turns what the Encryption SDK throws into a KmsError with a sentence a person can act on. */
export function explain(error: unknown, calls: { failures: readonly KmsError[]; aborted?: boolean }): unknown {
  if (error instanceof KmsError || (error as { name?: string } | undefined)?.name === 'AbortError') return error;
  if (calls.aborted) return Object.assign(new Error('The operation was cancelled.'), { name: 'AbortError' });
  if (calls.failures.length) return calls.failures[0];
  const message = error instanceof Error ? error.message : String(error);
  if (/unable to authenticate data|Unsupported state/i.test(message)) return tampered('it does not authenticate');
  if (/Commitment does not match/i.test(message)) return tampered('its key commitment does not match its data key');
  if (/Incomplete message|premature close/i.test(message)) return tampered('it is truncated');
  if (/requiring only committed messages|Configuration conflict/i.test(message)) {
    return new KmsError(
      'UncommittedMessage',
      'This message uses an algorithm suite without key commitment; KMS Workbench reads only committing messages (decrypt it with the AWS ' +
        'Encryption CLI and --commitment-policy require-encrypt-allow-decrypt).',
    );
  }
  if (/maxEncryptedDataKeys|encrypted data keys/i.test(message))
    return new KmsError(
      'TooManyDataKeys',
      `The message has more than ${MAX_ENCRYPTED_DATA_KEYS} encrypted data keys; such messages are refused.`,
    );
  if (
    /Malformed|Unknown|Unsupported|Lengths do not match|Final frame|not enough data|Invalid/i.test(message) ||
    error instanceof MessageFormatError
  ) {
    return tampered(message.replace(/\.$/, ''));
  }
  if (/Unable to decrypt data key/i.test(message))
    return new KmsError(
      'DataKeyNotDecrypted',
      'None of the KMS keys in the message could decrypt its data key with this connection. Check the connection (account and region) and your ' +
        'permissions on the key.',
    );
  return error;
}
