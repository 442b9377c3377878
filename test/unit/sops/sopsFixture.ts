// The emulator seeded with the keys of the SOPS fixtures (files written by the real sops 3.8.1),
// reached through the extension's own client factory, and a key service over it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '../../../src/core/aws/connection';
import { regionalGateways } from '../../../src/core/envelope/regionalGateways';
import { KmsClientFactory } from '../../../src/core/kms/client';
import type { KmsGateway } from '../../../src/core/kms/gateway';
import type { SopsKeyService } from '../../../src/core/sops/sopsFile';
import { type Emulator, startEmulator } from '../../emulator/server';

export const FIXTURES = process.env.KMS_SOPS_FIXTURES ?? '/work/shared/sops-fixtures';
export const KEY1 = 'arn:aws:kms:us-east-1:111122223333:key/5c0b5f7e-1d2a-4c3b-9e8f-7a6b5c4d3e2f';
export const KEY2 = 'arn:aws:kms:us-east-1:111122223333:key/6d1c6a8f-2e3b-4d4c-8f9a-8b7c6d5e4f30';

export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

export interface SopsFixture {
  readonly emulator: Emulator;
  readonly gateway: KmsGateway;
  readonly keys: SopsKeyService;
  /** KMS calls made through `keys`. */
  readonly calls: string[];
  readonly dir: string;
  close(): Promise<void>;
}

export async function startSopsFixture(): Promise<SopsFixture> {
  const emulator = await startEmulator({ port: 0, seed: join(FIXTURES, 'seed.yaml') });
  const dir = mkdtempSync(join(tmpdir(), 'kmswb-sops-'));
  writeFileSync(join(dir, 'config'), '[profile emu]\nregion = us-east-1\n');
  writeFileSync(join(dir, 'credentials'), '[emu]\naws_access_key_id = test\naws_secret_access_key = test\n');
  const env = { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), HOME: dir, AWS_EC2_METADATA_DISABLED: 'true' };
  const factory = new KmsClientFactory({ env, maxAttempts: 1 });
  const connection: Connection = { id: 'emu', label: 'emulator', profile: 'emu', region: 'us-east-1', endpoint: emulator.url };
  const gatewayFor = regionalGateways(factory, connection);
  const gateway = gatewayFor(undefined);
  const calls: string[] = [];
  const keys: SopsKeyService = {
    async decryptDataKey(key) {
      calls.push(`Decrypt ${key.arn}`);
      const region = key.arn.split(':')[3];
      const out = await gatewayFor(region).decrypt({ ciphertext: Buffer.from(key.enc, 'base64'), encryptionContext: key.context ? { ...key.context } : undefined, keyId: key.arn });
      return out.plaintext;
    },
    async encryptDataKey(key, dataKey) {
      calls.push(`Encrypt ${key.arn}`);
      const region = key.arn.split(':')[3];
      const out = await gatewayFor(region).encrypt({ keyId: key.arn, plaintext: dataKey, encryptionContext: key.context ? { ...key.context } : undefined });
      return out.ciphertext;
    },
  };
  return {
    emulator,
    gateway,
    keys,
    calls,
    dir,
    async close() {
      factory.forget();
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
