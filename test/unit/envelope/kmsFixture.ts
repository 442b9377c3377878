// A KMS for the envelope tests: the emulator in this process, reached through the extension's
// own client factory (real SDK, SigV4, a profile in temporary shared files), as the commands do.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '../../../src/core/aws/connection';
import { EnvelopeCrypto, type GatewayForRegion } from '../../../src/core/envelope/envelopeCrypto';
import { regionalGateways } from '../../../src/core/envelope/regionalGateways';
import type { SecretCrypto } from '../../../src/core/envelope/secretText';
import { KmsClientFactory } from '../../../src/core/kms/client';
import type { KmsGateway } from '../../../src/core/kms/gateway';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../emulator/server';

export interface KmsFixture extends SecretCrypto {
  readonly emulator: Emulator;
  readonly connection: Connection;
  readonly gateway: KmsGateway;
  readonly gatewayFor: GatewayForRegion;
  readonly envelope: EnvelopeCrypto;
  /** Folder with the empty/temporary AWS shared files (and room for test files). */
  readonly dir: string;
  readonly env: Record<string, string>;
  /** A new enabled symmetric key; returns its ARN. */
  createKey(options?: { region?: string; alias?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startKmsFixture(options: { maxAttempts?: number; emulator?: EmulatorOptions } = {}): Promise<KmsFixture> {
  const emulator = await startEmulator({ ...options.emulator, port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'kmswb-envelope-'));
  writeFileSync(join(dir, 'config'), '[profile emu]\nregion = us-east-1\n');
  writeFileSync(join(dir, 'credentials'), '[emu]\naws_access_key_id = test\naws_secret_access_key = test\n');
  const env = { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), HOME: dir, AWS_EC2_METADATA_DISABLED: 'true' };
  const factory = new KmsClientFactory({ env, maxAttempts: options.maxAttempts ?? 1 });
  const connection: Connection = { id: 'emu', label: 'emulator', profile: 'emu', region: 'us-east-1', endpoint: emulator.url };
  const gatewayFor = regionalGateways(factory, connection);
  const gateway = gatewayFor(undefined);
  const envelope = new EnvelopeCrypto(gatewayFor);
  return {
    emulator,
    connection,
    gateway,
    gatewayFor,
    envelope,
    dir,
    env,
    async createKey({ region, alias } = {}) {
      const gw = gatewayFor(region);
      const meta = await gw.createKey({});
      if (alias) await gw.createAlias(alias, meta.KeyId!);
      return meta.Arn!;
    },
    async close() {
      factory.forget();
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The AWS Encryption SDK used directly, as a colleague's program would: `@aws-crypto/client-node`
 * with its own KMS keyring over the SDK's aggregated KMS client pointed at the emulator.
 */
export async function directEncryptionSdk(fixture: Pick<KmsFixture, 'emulator'>, commitmentPolicy?: 'REQUIRE_ENCRYPT_REQUIRE_DECRYPT' | 'FORBID_ENCRYPT_ALLOW_DECRYPT') {
  const esdk = await import('@aws-crypto/client-node');
  const { KMS } = await import('@aws-sdk/client-kms');
  const kms = new KMS({ endpoint: fixture.emulator.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  const client = esdk.buildClient(esdk.CommitmentPolicy[commitmentPolicy ?? 'REQUIRE_ENCRYPT_REQUIRE_DECRYPT']);
  const keyring = (generatorKeyId?: string) => (generatorKeyId ? new esdk.KmsKeyringNode({ clientProvider: () => kms, generatorKeyId }) : new esdk.KmsKeyringNode({ clientProvider: () => kms, discovery: true }));
  return { esdk, client, keyring, suites: esdk.AlgorithmSuiteIdentifier, close: () => kms.destroy() };
}
