// The KMS emulator in this process, reached through the extension's own client factory (real
// SDK, SigV4, a profile in temporary shared files), as the decrypted editor reaches KMS.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '../../../src/core/aws/connection';
import type { DecryptedCrypto } from '../../../src/core/decrypted/decryptedFile';
import { EnvelopeCrypto } from '../../../src/core/envelope/envelopeCrypto';
import { regionalGateways } from '../../../src/core/envelope/regionalGateways';
import { KmsClientFactory } from '../../../src/core/kms/client';
import type { KmsGateway } from '../../../src/core/kms/gateway';
import { type Emulator, startEmulator } from '../../emulator/server';

export interface DecryptedFixture extends DecryptedCrypto {
  readonly emulator: Emulator;
  readonly gateway: KmsGateway;
  /** A temporary folder for test files. */
  readonly dir: string;
  /** A new enabled symmetric key; its ARN. */
  createKey(): Promise<string>;
  close(): Promise<void>;
}

export async function startDecryptedFixture(): Promise<DecryptedFixture> {
  const emulator = await startEmulator({ port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'kmswb-decrypted-'));
  writeFileSync(join(dir, 'config'), '[profile emu]\nregion = us-east-1\n');
  writeFileSync(join(dir, 'credentials'), '[emu]\naws_access_key_id = test\naws_secret_access_key = test\n');
  const env = { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), HOME: dir, AWS_EC2_METADATA_DISABLED: 'true' };
  const factory = new KmsClientFactory({ env, maxAttempts: 1 });
  const connection: Connection = { id: 'emu', label: 'emulator', profile: 'emu', region: 'us-east-1', endpoint: emulator.url };
  const gatewayFor = regionalGateways(factory, connection);
  const gateway = gatewayFor(undefined);
  return {
    emulator,
    gateway,
    gatewayFor,
    envelope: new EnvelopeCrypto(gatewayFor),
    dir,
    createKey: async () => (await gateway.createKey({})).Arn!,
    async close() {
      factory.forget();
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
