// The AWS Encryption SDK as another program uses it, for the interoperability tests.
import type { KmsFixture } from '../../support/kmsFixture';

/**
 * The AWS Encryption SDK used directly, as a colleague's program would: `@aws-crypto/client-node`
 * with its own KMS keyring over the SDK's aggregated KMS client pointed at the emulator.
 */
export async function directEncryptionSdk(
  fixture: Pick<KmsFixture, 'emulator'>,
  commitmentPolicy?: 'REQUIRE_ENCRYPT_REQUIRE_DECRYPT' | 'FORBID_ENCRYPT_ALLOW_DECRYPT',
) {
  const esdk = await import('@aws-crypto/client-node');
  const { KMS } = await import('@aws-sdk/client-kms');
  const kms = new KMS({
    endpoint: fixture.emulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const client = esdk.buildClient(esdk.CommitmentPolicy[commitmentPolicy ?? 'REQUIRE_ENCRYPT_REQUIRE_DECRYPT']);
  const keyring = (generatorKeyId?: string) =>
    generatorKeyId
      ? new esdk.KmsKeyringNode({ clientProvider: () => kms, generatorKeyId })
      : new esdk.KmsKeyringNode({ clientProvider: () => kms, discovery: true });
  return { esdk, client, keyring, kms, suites: esdk.AlgorithmSuiteIdentifier, close: () => kms.destroy() };
}
