// dist/encryptionSdk.js as the build makes it, with its stand-ins for bn.js and asn1.js
// (scripts/bundleAliases.mjs): signed messages (the default suite, ECDSA P-384, and P-256) it
// makes decrypt with the Encryption SDK as published, and the other way round.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import type { EncryptionSdkModule } from '../../../src/core/lazy/loadEncryptionSdk';
import { encryptionSdkAliases } from '../../../scripts/bundleAliases.mjs';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';
import { directEncryptionSdk } from '../envelope/encryptionSdk';

describe('the Encryption SDK bundle with its stand-ins for bn.js and asn1.js', function () {
  this.timeout(120_000);
  let kms: KmsFixture;
  let key: string;
  let dir: string;
  let bundled: EncryptionSdkModule;
  let direct: Awaited<ReturnType<typeof directEncryptionSdk>>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'esdk-bundle-'));
    const outfile = join(dir, 'encryptionSdk.js');
    await esbuild.build({
      entryPoints: ['src/core/lazy/encryptionSdk.ts'],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      mainFields: ['module', 'main'],
      minify: true,
      logLevel: 'warning',
      outfile,
      plugins: [encryptionSdkAliases],
    });
    const code = readFileSync(outfile, 'utf8');
    assert.ok(!code.includes('asn1'), 'asn1.js is not in the bundle');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    bundled = require(outfile) as EncryptionSdkModule;
    kms = await startKmsFixture();
    key = await kms.createKey();
    direct = await directEncryptionSdk(kms);
  });
  after(async () => {
    direct?.close();
    await kms?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const options = (suiteId?: number) => ({
    encryptionContext: { purpose: 'bundle test' },
    ...(suiteId !== undefined ? { suiteId } : {}),
  });

  for (const [name, suite] of [
    ['default suite (ECDSA P-384, key commitment)', undefined],
    ['ECDSA P-384 without key commitment', 'ALG_AES256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384'],
    ['ECDSA P-256', 'ALG_AES128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256'],
    ['unsigned', 'ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY'],
  ] as const) {
    it(`${name}: the bundle's messages decrypt with the published SDK, and the other way round`, async () => {
      const policy = suite && !suite.includes('COMMIT') ? 'FORBID_ENCRYPT_ALLOW_DECRYPT' : 'REQUIRE_ENCRYPT_REQUIRE_DECRYPT';
      const suiteId = suite ? bundled.AlgorithmSuiteIdentifier[suite] : undefined;
      const commitment = bundled.CommitmentPolicy[policy];
      const client = {
        ...bundled.buildEncrypt({ commitmentPolicy: commitment }),
        ...bundled.buildDecrypt({ commitmentPolicy: commitment }),
      };
      const published = suite && !suite.includes('COMMIT') ? await directEncryptionSdk(kms, policy) : direct;
      const publishedClient = published.client;
      const keyring = (generatorKeyId?: string) =>
        generatorKeyId
          ? new bundled.KmsKeyring({ clientProvider: () => direct.kms, generatorKeyId })
          : new bundled.KmsKeyring({ clientProvider: () => direct.kms, discovery: true });
      for (const size of [0, 1, 4095, 4096, 10_000]) {
        const plaintext = randomBytes(size);
        const { result, messageHeader } = await client.encrypt(keyring(key), plaintext, options(suiteId));
        assert.equal(
          messageHeader.suiteId,
          suiteId ?? bundled.AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
        );
        assert.deepEqual((await publishedClient.decrypt(direct.keyring(), result)).plaintext, plaintext);
        const back = await publishedClient.encrypt(direct.keyring(key), plaintext, options(suiteId));
        const mine = await client.decrypt(keyring(), back.result);
        assert.deepEqual(mine.plaintext, plaintext);
        assert.equal(mine.messageHeader.encryptionContext.purpose, 'bundle test');
      }
      if (published !== direct) published.close();
    });
  }

  it('a tampered signature is refused', async () => {
    const client = bundled.buildDecrypt({ commitmentPolicy: bundled.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT });
    const { result } = await direct.client.encrypt(direct.keyring(key), randomBytes(100));
    const tampered = Buffer.from(result);
    tampered[tampered.length - 10] ^= 1;
    await assert.rejects(client.decrypt(new bundled.KmsKeyring({ clientProvider: () => direct.kms, discovery: true }), tampered));
  });
});
