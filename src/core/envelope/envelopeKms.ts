// The KMS side of EnvelopeCrypto (envelopeCrypto.ts): the keyring's client adapter over
// KmsGateway, which remembers each failed call's KmsError, and key ARN resolution.
import type { AwsEsdkKMSInterface } from '@aws-crypto/kms-keyring';
import type { KmsOperationName } from '../kms/operations';
import { KmsError } from '../kms/errors';
import type { KmsGateway } from '../kms/gateway';
import type { GatewayForRegion } from './envelopeCrypto';

/** Records the KMS failures of one operation (the SDK would otherwise lose their names). */
export class KmsCalls {
  readonly failures: KmsError[] = [];
  /** ARN of the key that made or opened the data key. */
  keyArn: string | undefined;
  /** Every key that answered (generator first), as ARNs. */
  readonly keyArns: string[] = [];
  /** A call was cancelled (the SDK folds the AbortError into its own text). */
  aborted = false;

  constructor(
    private readonly gatewayFor: GatewayForRegion,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /**
   * A clientProvider for the keyring: (region) → the methods the keyring calls (the aggregated
   * client's generateDataKey/encrypt/decrypt), each one KMS call through our gateway.
   */
  readonly clientProvider = (region: string): AwsEsdkKMSInterface => {
    const gateway = this.gatewayFor(region || undefined);
    const call = async <T>(operation: KmsOperationName, input: unknown): Promise<T> => {
      try {
        const out = (await gateway.send(operation, input as never, { abortSignal: this.signal })) as unknown as T & { KeyId?: string };
        out.KeyId = await keyArnOfAnswer(gateway, out.KeyId, (input as { KeyId?: string }).KeyId);
        if (out.KeyId && !this.keyArn) this.keyArn = out.KeyId;
        if (out.KeyId && operation !== 'Decrypt') this.keyArns.push(out.KeyId);
        return out;
      } catch (error) {
        if (error instanceof KmsError) this.failures.push(error);
        if (this.signal?.aborted) this.aborted = true;
        throw error;
      }
    };
    return {
      generateDataKey: (input) => call('GenerateDataKey', input),
      encrypt: (input) => call('Encrypt', input),
      decrypt: (input) => call('Decrypt', input),
    };
  };
}

const KEY_ARN = /^arn:aws[a-z-]*:kms:[^:]+:\d{12}:key\//;

/**
 * The key ARN of a KMS answer. The Encryption SDK names keys by ARN (in the header, and it
 * checks Decrypt's answer against it); KMS answers with ARNs, other servers may answer with
 * a bare key id (or none): the ARN asked for, else DescribeKey's.
 */
export async function keyArnOfAnswer(
  gateway: KmsGateway,
  answered: string | undefined,
  asked: string | undefined,
): Promise<string | undefined> {
  if (answered && KEY_ARN.test(answered)) return answered;
  if (asked && KEY_ARN.test(asked) && (!answered || asked.endsWith(`/${answered}`))) return asked;
  if (!answered && !asked) return undefined;
  try {
    return (await gateway.describeKey(answered ?? asked ?? '')).Arn ?? answered;
  } catch {
    return answered;
  }
}

/**
 * The ARN of a key named by id, ARN, alias name or alias ARN (messages name keys by ARN only).
 * Endpoints without DescribeKey: the name is returned as it is.
 */
export async function resolveKeyArn(gateway: KmsGateway, keyId: string): Promise<string> {
  if (KEY_ARN.test(keyId)) return keyId;
  const meta = await gateway.describeKey(keyId);
  return meta.Arn ?? keyId;
}
