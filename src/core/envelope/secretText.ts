// Encrypting, decrypting and re-encrypting a secret held as text (a selection, a value in a
// config file). Up to 4,096 bytes: one KMS Encrypt call, written as the base64 CiphertextBlob
// (exactly what `aws kms encrypt --query CiphertextBlob --output text` prints, so
// `aws kms decrypt` reads it). Larger: an AWS Encryption SDK message in base64 on one line.
// Re-encrypting a blob uses KMS ReEncrypt, so its plaintext never leaves KMS; a message is
// re-wrapped (see rewrap.ts).
import { KmsError } from '../kms/errors';
import { encodeBase64 } from './base64';
import type { CiphertextKind, TextCiphertext } from './detect';
import { contextMismatches, formatEncryptionContext } from './encryptionContext';
import { type EnvelopeCrypto, type GatewayForRegion, resolveKeyArn } from './envelopeCrypto';
import { MAX_BLOB_PLAINTEXT } from './kmsBlob';
import type { EncryptionContext } from './messageFormat';
import { rewrapBuffer, rewrapObstacle } from './rewrap';

export interface SecretCrypto {
  readonly gatewayFor: GatewayForRegion;
  readonly envelope: EnvelopeCrypto;
}

export interface EncryptedSecret {
  /** base64 text to put where the plaintext was. */
  readonly ciphertext: string;
  readonly kind: CiphertextKind;
  /** ARN (or id, as the endpoint answers) of the key. */
  readonly keyId: string;
  /** Messages for several keys: every key's ARN (any one decrypts). */
  readonly keyIds?: readonly string[];
  readonly encryptionContext: EncryptionContext;
}

export interface DecryptedSecret {
  readonly plaintext: Buffer;
  readonly kind: CiphertextKind;
  readonly keyId: string;
  readonly encryptionContext: EncryptionContext;
}

export interface ReEncryptedSecret extends EncryptedSecret {
  readonly sourceKeyId: string;
}

/**
 * Up to 4,096 bytes under one key: a KMS blob; larger, or under several keys
 * (`additionalKeyIds`: a KMS blob is always under exactly one key), an Encryption SDK message.
 */
export async function encryptSecret(
  plaintext: Uint8Array,
  params: { keyId: string; additionalKeyIds?: readonly string[]; encryptionContext?: EncryptionContext },
  crypto: SecretCrypto,
  signal?: AbortSignal,
): Promise<EncryptedSecret> {
  if (plaintext.byteLength === 0) throw new KmsError('PlaintextEmpty', 'There is nothing to encrypt: the text is empty.');
  const encryptionContext = params.encryptionContext ?? {};
  if (params.additionalKeyIds?.length) {
    const out = await crypto.envelope.encryptBuffer(plaintext, {
      keyId: params.keyId,
      additionalKeyIds: params.additionalKeyIds,
      encryptionContext,
    });
    return { ciphertext: out.message.toString('base64'), kind: 'message', keyId: out.keyArn, keyIds: out.info.keyArns, encryptionContext };
  }
  if (plaintext.byteLength <= MAX_BLOB_PLAINTEXT) {
    const out = await crypto.gatewayFor(undefined).encrypt({ keyId: params.keyId, plaintext, encryptionContext }, { abortSignal: signal });
    return { ciphertext: encodeBase64(out.ciphertext), kind: 'blob', keyId: out.keyId, encryptionContext };
  }
  const out = await crypto.envelope.encryptBuffer(plaintext, { keyId: params.keyId, encryptionContext, signal });
  return { ciphertext: out.message.toString('base64'), kind: 'message', keyId: out.keyArn, encryptionContext };
}

/**
 * `keyId` (optional) names the key the ciphertext must be encrypted under: KMS refuses with
 * IncorrectKeyException when it is not.
 */
export async function decryptSecret(
  found: TextCiphertext,
  params: { encryptionContext?: EncryptionContext; keyId?: string },
  crypto: SecretCrypto,
  signal?: AbortSignal,
): Promise<DecryptedSecret> {
  if (found.kind === 'message') {
    const keyArn = params.keyId ? await resolveKeyArn(crypto.gatewayFor(undefined), params.keyId) : undefined;
    const out = await crypto.envelope.decryptBuffer(found.bytes, { expectedContext: params.encryptionContext, keyArn, signal });
    return { plaintext: out.plaintext, kind: 'message', keyId: out.keyArn, encryptionContext: out.info.encryptionContext };
  }
  const encryptionContext = params.encryptionContext ?? {};
  try {
    const out = await crypto
      .gatewayFor(undefined)
      .decrypt({ ciphertext: found.bytes, encryptionContext, keyId: params.keyId }, { abortSignal: signal });
    return { plaintext: Buffer.from(out.plaintext), kind: 'blob', keyId: out.keyId, encryptionContext };
  } catch (error) {
    throw explainBlobFailure(error, found, encryptionContext);
  }
}

export async function reEncryptSecret(
  found: TextCiphertext,
  params: { keyId: string; encryptionContext?: EncryptionContext; sourceEncryptionContext?: EncryptionContext },
  crypto: SecretCrypto,
  signal?: AbortSignal,
): Promise<ReEncryptedSecret> {
  if (found.kind === 'message') {
    const header = found.header;
    if (header && !rewrapObstacle(header)) {
      if (params.sourceEncryptionContext) checkExpected(header.encryptionContext, params.sourceEncryptionContext);
      const out = await rewrapBuffer(
        found.bytes,
        crypto.gatewayFor,
        { keyId: params.keyId, encryptionContext: params.encryptionContext },
        signal,
      );
      return {
        ciphertext: out.message.toString('base64'),
        kind: 'message',
        keyId: out.keyArn,
        sourceKeyId: out.sourceKeyArn,
        encryptionContext: out.encryptionContext,
      };
    }
    const opened = await crypto.envelope.decryptBuffer(found.bytes, { expectedContext: params.sourceEncryptionContext, signal });
    try {
      const encryptionContext =
        params.encryptionContext ??
        Object.fromEntries(Object.entries(opened.info.encryptionContext).filter(([k]) => !k.startsWith('aws-crypto-')));
      const out = await crypto.envelope.encryptBuffer(opened.plaintext, { keyId: params.keyId, encryptionContext, signal });
      return {
        ciphertext: out.message.toString('base64'),
        kind: 'message',
        keyId: out.keyArn,
        sourceKeyId: opened.keyArn,
        encryptionContext,
      };
    } finally {
      opened.plaintext.fill(0);
    }
  }
  const sourceContext = params.sourceEncryptionContext ?? {};
  const encryptionContext = params.encryptionContext ?? sourceContext;
  try {
    const out = await crypto.gatewayFor(undefined).reEncrypt(
      {
        ciphertext: found.bytes,
        destinationKeyId: params.keyId,
        sourceEncryptionContext: sourceContext,
        destinationEncryptionContext: encryptionContext,
      },
      { abortSignal: signal },
    );
    return { ciphertext: encodeBase64(out.ciphertext), kind: 'blob', keyId: out.keyId, sourceKeyId: out.sourceKeyId, encryptionContext };
  } catch (error) {
    throw explainBlobFailure(error, found, sourceContext);
  }
}

function checkExpected(actual: EncryptionContext, expected: EncryptionContext): void {
  const wrong = contextMismatches(actual, expected);
  if (wrong.length)
    throw new KmsError(
      'EncryptionContextMismatch',
      `The encrypted data's encryption context does not match: expected ${wrong.join(', ')}. Its context is ${formatEncryptionContext(actual) || 'empty'}.`,
    );
}

/** InvalidCiphertextException on a blob: say which context was tried, and that it may not be a ciphertext at all. */
function explainBlobFailure(error: unknown, found: TextCiphertext, tried: EncryptionContext): unknown {
  if (!(error instanceof KmsError) || error.code !== 'InvalidCiphertextException') return error;
  const context = formatEncryptionContext(tried);
  const triedText = context ? `the encryption context ${context}` : 'no encryption context';
  if (found.confidence === 'plausible') {
    return new KmsError(
      error.code,
      `KMS could not decrypt this text with ${triedText}. It is base64 of no ciphertext shape known here, so it may not be a KMS ciphertext at all; ` +
        `otherwise the key, the encryption context or the text is wrong.`,
      error.details,
    );
  }
  return new KmsError(
    error.code,
    `KMS could not decrypt this ciphertext with ${triedText}: wrong encryption context, another account's or region's key, or altered ciphertext. ` +
      `The encryption context must match exactly.`,
    error.details,
  );
}
