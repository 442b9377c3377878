// KMS servers that describe a default CreateKey's key without KeyUsage (moto, LocalStack) or,
// older moto, without KeySpec: the emulator answers that way (omitKeyUsage / omitKeySpec), and
// every path that chooses or checks a key (the gateway, the key-state table, the key picker,
// encrypting a selection's text or a file) takes such a key as the symmetric encryption key it is.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyMetadata } from '@aws-sdk/client-kms';
import { detectTextCiphertext } from '../../../src/core/envelope/detect';
import { decryptFileInPlace, encryptFileInPlace } from '../../../src/core/envelope/fileEncryption';
import { decryptSecret, encryptSecret } from '../../../src/core/envelope/secretText';
import { allowedActions, explainRefusal } from '../../../src/core/kms/keyCapabilities';
import { pickKey } from '../../../src/host/ui/keyPicker';
import { ScriptedUserInput } from '../../support/scriptedUserInput';
import { signedRequest } from '../emulator/helpers';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';

for (const omitKeySpec of [false, true]) {
  describe(`a KMS that describes default keys as moto does${omitKeySpec ? ' (no KeySpec either)' : ''}`, () => {
    let kms: KmsFixture;
    let keyId: string;

    before(async () => {
      kms = await startKmsFixture({ emulator: { omitKeyUsage: true, omitKeySpec } });
      keyId = (await kms.gateway.createKey({ Description: 'moto default' })).KeyId!;
    });
    after(() => kms.close());

    it('the emulator answers as moto: KeyUsage null, and KeySpec only when moto sends it', async () => {
      for (const target of ['TrentService.DescribeKey', 'TrentService.CreateKey']) {
        const body = target.endsWith('DescribeKey') ? { KeyId: keyId } : {};
        const answer = await signedRequest(kms.emulator.url, target, JSON.stringify(body));
        const meta = (JSON.parse(answer.text) as { KeyMetadata: Record<string, unknown> }).KeyMetadata;
        assert.equal(meta.KeyUsage, null, target);
        assert.equal(meta.CustomerMasterKeySpec, 'SYMMETRIC_DEFAULT');
        assert.equal('KeySpec' in meta, !omitKeySpec);
        assert.deepEqual(meta.EncryptionAlgorithms, ['SYMMETRIC_DEFAULT']);
      }
      // A CreateKey that names its usage gets it back, as from moto.
      const named = await signedRequest(kms.emulator.url, 'TrentService.CreateKey', JSON.stringify({ KeyUsage: 'ENCRYPT_DECRYPT' }));
      assert.equal((JSON.parse(named.text) as { KeyMetadata: KeyMetadata }).KeyMetadata.KeyUsage, 'ENCRYPT_DECRYPT');
    });

    it('the gateway describes it as KMS would, so the key-state table allows encryption', async () => {
      const meta = await kms.gateway.describeKey(keyId);
      assert.equal(meta.KeyUsage, 'ENCRYPT_DECRYPT');
      assert.equal(meta.KeySpec, 'SYMMETRIC_DEFAULT');
      assert.equal(explainRefusal(meta, 'generateDataKey'), undefined);
      for (const action of ['encrypt', 'decrypt', 'generateDataKey', 'changeRotation', 'rotateNow', 'createGrant', 'viewRotation'] as const)
        assert.ok(allowedActions(meta).includes(action), action);
      const created = await kms.gateway.createKey({});
      assert.equal(created.KeyUsage, 'ENCRYPT_DECRYPT');
    });

    it('the key picker of Encrypt Selection and Encrypt File offers it', async () => {
      const ui = new ScriptedUserInput([keyId]);
      const picked = await pickKey(ui, kms.gateway, kms.connection, {
        title: 'Encrypt',
        filter: (m) => explainRefusal(m, 'generateDataKey') === undefined,
      });
      assert.equal(picked.keyId, keyId);
      assert.ok(ui.asked[0].labels?.includes(keyId));
    });

    it('encrypts and decrypts selections (blob and message) and files with it', async () => {
      // Short text becomes a KMS blob, text over 4 KiB an Encryption SDK message.
      for (const plaintext of ['secret', 'x'.repeat(5000)]) {
        const encrypted = await encryptSecret(Buffer.from(plaintext), { keyId, encryptionContext: { app: 'moto' } }, kms);
        const found = detectTextCiphertext(encrypted.ciphertext);
        assert.ok(found);
        assert.equal(found.kind, plaintext.length > 4096 ? 'message' : 'blob');
        const decrypted = await decryptSecret(found, { encryptionContext: { app: 'moto' } }, kms);
        assert.equal(decrypted.plaintext.toString(), plaintext);
      }
      const file = join(kms.dir, `moto-${omitKeySpec}.env`);
      writeFileSync(file, 'A=1\n');
      await encryptFileInPlace(file, { keyId }, { gatewayFor: kms.gatewayFor, envelope: kms.envelope });
      assert.notEqual(readFileSync(file, 'utf8'), 'A=1\n');
      await decryptFileInPlace(file, {}, { gatewayFor: kms.gatewayFor, envelope: kms.envelope });
      assert.equal(readFileSync(file, 'utf8'), 'A=1\n');
    });
  });
}
