// The emulator seeded with the keys of the SOPS fixtures (files written by the real sops 3.8.1),
// reached through the extension's own client factory, and a key service over it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KmsGateway } from '../../../src/core/kms/gateway';
import type { SopsKeyService } from '../../../src/core/sops/sopsFile';
import type { Emulator } from '../../emulator/server';
import { startKmsFixture } from '../../support/kmsFixture';

/** Files written by the real sops 3.8.1 (see README.md there), with the emulator seed of their keys. */
export const FIXTURES = join(__dirname, '../../fixtures/sops');
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
  const kms = await startKmsFixture({ emulator: { seed: join(FIXTURES, 'seed.yaml') }, prefix: 'kmswb-sops-' });
  const { emulator, gateway, gatewayFor, dir } = kms;
  const calls: string[] = [];
  const keys: SopsKeyService = {
    async decryptDataKey(key) {
      calls.push(`Decrypt ${key.arn}`);
      const region = key.arn.split(':')[3];
      const out = await gatewayFor(region).decrypt({
        ciphertext: Buffer.from(key.enc, 'base64'),
        encryptionContext: key.context ? { ...key.context } : undefined,
        keyId: key.arn,
      });
      return out.plaintext;
    },
    async encryptDataKey(key, dataKey) {
      calls.push(`Encrypt ${key.arn}`);
      const region = key.arn.split(':')[3];
      const out = await gatewayFor(region).encrypt({
        keyId: key.arn,
        plaintext: dataKey,
        encryptionContext: key.context ? { ...key.context } : undefined,
      });
      return out.ciphertext;
    },
  };
  return {
    emulator,
    gateway,
    keys,
    calls,
    dir,
    close: () => kms.close(),
  };
}
