// The SOPS key service over KMS gateways: each KMS entry of a file is tried through the gateways
// its fields call for (its aws_profile and role first, then the user's connection in the key's
// region), with the entry's encryption context.
import type { KmsGateway } from '../kms/gateway';
import { KmsError } from '../kms/errors';
import type { KmsMasterKey } from './metadata';
import type { NewKmsKey, SopsKeyService } from './sopsFile';

/** The region in a KMS key ARN, or undefined for a bare key id. */
export function regionOfArn(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(arn);
  return m?.[1];
}

/** The account in a KMS key ARN, or undefined for a bare key id or alias name. */
export function accountOfArn(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:(\d{12}):/.exec(arn);
  return m?.[1];
}

/**
 * Gateways to try for a key, in order. `entry` carries the file's aws_profile and role; the
 * last gateway should be the user's own connection for the key's region.
 */
export type SopsGatewaysFor = (key: NewKmsKey) => KmsGateway[];

export function sopsKeyService(gatewaysFor: SopsGatewaysFor): SopsKeyService {
  const attempt = async <T>(key: NewKmsKey, call: (gateway: KmsGateway) => Promise<T>): Promise<T> => {
    const gateways = gatewaysFor(key);
    let first: Error | undefined;
    for (const gateway of gateways) {
      try {
        return await call(gateway);
      } catch (error) {
        first ??= error instanceof Error ? error : new Error(String(error));
        // A refusal about the ciphertext or the key itself will not change with other credentials.
        if (
          error instanceof KmsError &&
          [
            'InvalidCiphertextException',
            'IncorrectKeyException',
            'DisabledException',
            'KMSInvalidStateException',
            'NotFoundException',
          ].includes(error.code)
        )
          throw error;
      }
    }
    throw first ?? new KmsError('NoConnection', `No connection can reach ${key.arn}.`);
  };
  return {
    decryptDataKey: async (key: KmsMasterKey, signal?: AbortSignal) => {
      const ciphertext = Buffer.from(key.enc, 'base64');
      const out = await attempt(key, (g) =>
        g.decrypt({ ciphertext, encryptionContext: key.context ? { ...key.context } : undefined, keyId: key.arn }, { abortSignal: signal }),
      );
      return out.plaintext;
    },
    encryptDataKey: async (key: NewKmsKey, dataKey: Uint8Array, signal?: AbortSignal) => {
      const out = await attempt(key, (g) =>
        g.encrypt(
          { keyId: key.arn, plaintext: dataKey, encryptionContext: key.context ? { ...key.context } : undefined },
          { abortSignal: signal },
        ),
      );
      return out.ciphertext;
    },
  };
}

/** A key service over the user's connection only (its gateway for each key's region). */
export function connectionKeyService(gatewayFor: (region: string | undefined) => KmsGateway): SopsKeyService {
  return sopsKeyService((key) => [gatewayFor(regionOfArn(key.arn))]);
}
