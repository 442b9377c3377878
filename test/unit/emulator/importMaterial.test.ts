import {
  CreateKeyCommand,
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateMacCommand,
  GetParametersForImportCommand,
  GetPublicKeyCommand,
  ImportKeyMaterialCommand,
  type KMSClient,
  ReplicateKeyCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  VerifyCommand,
} from '@aws-sdk/client-kms';
import { execFileSync } from 'node:child_process';
import { createHmac, createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'node:assert/strict';
import { type WrappingAlgorithm, wrapKeyMaterial } from '../../../src/core/byok/wrapKeyMaterial';
import { type Emulator, startEmulator } from '../../emulator/server';
import { kmsClient, rejectsWith, text, utf8 } from './helpers';

const hour = 60 * 60 * 1000;
const day = 24 * hour;

describe('KMS emulator: imported key material', () => {
  let kms: Emulator;
  let client: KMSClient;

  before(async () => {
    kms = await startEmulator({ port: 0 });
    client = kmsClient(kms);
  });
  after(() => kms.close());

  const externalKey = async (input: ConstructorParameters<typeof CreateKeyCommand>[0] = {}): Promise<string> =>
    (await client.send(new CreateKeyCommand({ Origin: 'EXTERNAL', ...input }))).KeyMetadata!.KeyId!;

  async function importMaterial(
    keyId: string,
    material: Buffer,
    options: { algorithm?: WrappingAlgorithm; spec?: 'RSA_2048' | 'RSA_3072' | 'RSA_4096'; validTo?: Date } = {},
  ): Promise<void> {
    const algorithm = options.algorithm ?? 'RSAES_OAEP_SHA_256';
    const params = await client.send(
      new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: options.spec ?? 'RSA_2048' }),
    );
    await client.send(
      new ImportKeyMaterialCommand({
        KeyId: keyId,
        ImportToken: params.ImportToken,
        EncryptedKeyMaterial: wrapKeyMaterial(params.PublicKey!, algorithm, material),
        ...(options.validTo
          ? { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: options.validTo }
          : { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }),
      }),
    );
  }

  it('creates EXTERNAL keys pending import, without material, refusing cryptography', async () => {
    const keyId = await externalKey();
    const meta = (await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    assert.equal(meta.KeyState, 'PendingImport');
    assert.equal(meta.Origin, 'EXTERNAL');
    assert.equal(meta.Enabled, false);
    await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') })), 'KMSInvalidStateException');
  });

  it('hands out a real RSA wrapping key of the asked size and a token valid 24 hours', async () => {
    const keyId = await externalKey();
    for (const spec of ['RSA_2048', 'RSA_3072'] as const) {
      const params = await client.send(
        new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: spec }),
      );
      const key = createPublicKey({ key: Buffer.from(params.PublicKey!), format: 'der', type: 'spki' });
      assert.equal(key.asymmetricKeyDetails?.modulusLength, Number(spec.slice(4)));
      assert.ok(params.ImportToken!.length > 0);
      assert.ok(params.KeyId?.endsWith(keyId));
      const lifetime = params.ParametersValidTo!.getTime() - Date.now();
      assert.ok(lifetime > day - 60_000 && lifetime <= day, `token lifetime ${lifetime} ms`);
    }
  });

  it('refuses SM2 outside the China Regions, PKCS#1 v1.5, and keys that are not EXTERNAL', async () => {
    const keyId = await externalKey();
    await rejectsWith(
      client.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'SM2PKE', WrappingKeySpec: 'SM2' })),
      'ValidationException',
      { message: /China/ },
    );
    await rejectsWith(
      client.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'RSAES_PKCS1_V1_5', WrappingKeySpec: 'RSA_2048' })),
      'ValidationException',
    );
    const kmsKey = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await rejectsWith(
      client.send(
        new GetParametersForImportCommand({ KeyId: kmsKey, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }),
      ),
      'UnsupportedOperationException',
      { message: /EXTERNAL/ },
    );
  });

  for (const algorithm of ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1'] as const) {
    it(`imports symmetric material wrapped with ${algorithm}: the key is enabled and encrypts with exactly that material`, async () => {
      const keyId = await externalKey();
      const material = randomBytes(32);
      await importMaterial(keyId, material, { algorithm });
      const meta = (await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
      assert.equal(meta.KeyState, 'Enabled');
      assert.equal(meta.ExpirationModel, 'KEY_MATERIAL_DOES_NOT_EXPIRE');
      const blob = (await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('hello') }))).CiphertextBlob!;
      assert.equal(text((await client.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext), 'hello');
    });
  }

  it('unwraps material that openssl wrapped the way the KMS developer guide shows (RSAES_OAEP_SHA_256 and RSA_AES_KEY_WRAP_SHA_256)', async function () {
    this.timeout(30_000);
    const dir = mkdtempSync(join(tmpdir(), 'kms-import-'));
    try {
      for (const algorithm of ['RSAES_OAEP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_256'] as const) {
        const keyId = await externalKey();
        const params = await client.send(
          new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: 'RSA_3072' }),
        );
        writeFileSync(join(dir, 'wrapping.der'), params.PublicKey!);
        writeFileSync(join(dir, 'material.bin'), randomBytes(32));
        const rsa = (input: string, output: string): void => {
          execFileSync('openssl', [
            'pkeyutl',
            '-encrypt',
            '-in',
            join(dir, input),
            '-out',
            join(dir, output),
            '-inkey',
            join(dir, 'wrapping.der'),
            '-keyform',
            'DER',
            '-pubin',
            '-pkeyopt',
            'rsa_padding_mode:oaep',
            '-pkeyopt',
            'rsa_oaep_md:sha256',
            '-pkeyopt',
            'rsa_mgf1_md:sha256',
          ]);
        };
        if (algorithm === 'RSAES_OAEP_SHA_256') {
          rsa('material.bin', 'wrapped.bin');
        } else {
          const aes = randomBytes(32);
          writeFileSync(join(dir, 'aes.bin'), aes);
          execFileSync('openssl', [
            'enc',
            '-id-aes256-wrap-pad',
            '-K',
            aes.toString('hex'),
            '-iv',
            'A65959A6',
            '-in',
            join(dir, 'material.bin'),
            '-out',
            join(dir, 'material-wrapped.bin'),
          ]);
          rsa('aes.bin', 'aes-wrapped.bin');
          writeFileSync(
            join(dir, 'wrapped.bin'),
            Buffer.concat([readFileSync(join(dir, 'aes-wrapped.bin')), readFileSync(join(dir, 'material-wrapped.bin'))]),
          );
        }
        await client.send(
          new ImportKeyMaterialCommand({
            KeyId: keyId,
            ImportToken: params.ImportToken,
            EncryptedKeyMaterial: readFileSync(join(dir, 'wrapped.bin')),
            ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
          }),
        );
        assert.equal((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState, 'Enabled', algorithm);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks the token: it must be of this key, unexpired, and the material must unwrap', async () => {
    const a = await externalKey();
    const b = await externalKey();
    const params = await client.send(
      new GetParametersForImportCommand({ KeyId: a, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }),
    );
    const wrapped = wrapKeyMaterial(params.PublicKey!, 'RSAES_OAEP_SHA_256', randomBytes(32));
    const base = {
      ImportToken: params.ImportToken,
      EncryptedKeyMaterial: wrapped,
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' as const,
    };
    await rejectsWith(client.send(new ImportKeyMaterialCommand({ KeyId: b, ...base })), 'InvalidImportTokenException');
    await rejectsWith(
      client.send(new ImportKeyMaterialCommand({ KeyId: a, ...base, ImportToken: randomBytes(64) })),
      'InvalidImportTokenException',
    );
    await rejectsWith(
      client.send(new ImportKeyMaterialCommand({ KeyId: a, ...base, EncryptedKeyMaterial: randomBytes(256) })),
      'InvalidCiphertextException',
    );
    // Wrapped with another public key than the token's.
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
    await rejectsWith(
      client.send(
        new ImportKeyMaterialCommand({
          KeyId: a,
          ...base,
          EncryptedKeyMaterial: wrapKeyMaterial(other, 'RSAES_OAEP_SHA_256', randomBytes(32)),
        }),
      ),
      'InvalidCiphertextException',
    );
    // The wrong size of material.
    await rejectsWith(
      client.send(
        new ImportKeyMaterialCommand({
          KeyId: a,
          ...base,
          EncryptedKeyMaterial: wrapKeyMaterial(params.PublicKey!, 'RSAES_OAEP_SHA_256', randomBytes(16)),
        }),
      ),
      'IncorrectKeyMaterialException',
    );
    // ValidTo rules.
    await rejectsWith(
      client.send(new ImportKeyMaterialCommand({ KeyId: a, ImportToken: params.ImportToken, EncryptedKeyMaterial: wrapped })),
      'ValidationException',
      { message: /ValidTo/ },
    );
    await rejectsWith(
      client.send(new ImportKeyMaterialCommand({ KeyId: a, ...base, ValidTo: new Date(Date.now() + day) })),
      'ValidationException',
    );
    await rejectsWith(
      client.send(
        new ImportKeyMaterialCommand({
          KeyId: a,
          ...base,
          ExpirationModel: 'KEY_MATERIAL_EXPIRES',
          ValidTo: new Date(Date.now() + 400 * day),
        }),
      ),
      'ValidationException',
      { message: /365/ },
    );
    kms.advanceClock(day + 1000);
    await rejectsWith(client.send(new ImportKeyMaterialCommand({ KeyId: a, ...base })), 'ExpiredImportTokenException');
  });

  it('expires material at ValidTo (PendingImport), re-imports the same material, refuses other material', async () => {
    const keyId = await externalKey();
    const material = randomBytes(32);
    const validTo = new Date(Date.now() + kmsOffset() + 2 * hour);
    await importMaterial(keyId, material, { validTo });
    const meta = (await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    assert.equal(meta.ExpirationModel, 'KEY_MATERIAL_EXPIRES');
    assert.equal(Math.round(meta.ValidTo!.getTime() / 1000), Math.round(validTo.getTime() / 1000));
    const blob = (await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('kept') }))).CiphertextBlob!;
    kms.advanceClock(3 * hour);
    assert.equal((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState, 'PendingImport');
    await rejectsWith(client.send(new DecryptCommand({ CiphertextBlob: blob })), 'KMSInvalidStateException');
    await rejectsWith(importMaterial(keyId, randomBytes(32)), 'IncorrectKeyMaterialException', { message: /same material/ });
    await importMaterial(keyId, material);
    assert.equal(text((await client.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext), 'kept');
  });

  it('deletes imported material (PendingImport) and takes the same material back', async () => {
    const keyId = await externalKey();
    const material = randomBytes(32);
    await importMaterial(keyId, material);
    const blob = (await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') }))).CiphertextBlob!;
    await client.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId }));
    assert.equal((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState, 'PendingImport');
    await rejectsWith(client.send(new DecryptCommand({ CiphertextBlob: blob })), 'KMSInvalidStateException');
    await rejectsWith(importMaterial(keyId, randomBytes(32)), 'IncorrectKeyMaterialException');
    await importMaterial(keyId, material);
    assert.equal(text((await client.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext), 'x');
    const kmsKey = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await rejectsWith(client.send(new DeleteImportedKeyMaterialCommand({ KeyId: kmsKey })), 'UnsupportedOperationException');
    await client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    await rejectsWith(client.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId })), 'KMSInvalidStateException');
  });

  it('imports HMAC material and an ECC private key with RSA_AES_KEY_WRAP', async () => {
    const hmacKey = await externalKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const secret = randomBytes(32);
    await rejectsWith(
      (async () => {
        await client.send(
          new GetParametersForImportCommand({
            KeyId: await externalKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }),
            WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
            WrappingKeySpec: 'RSA_2048',
          }),
        );
      })(),
      'ValidationException',
    );
    await importMaterial(hmacKey, secret, { algorithm: 'RSA_AES_KEY_WRAP_SHA_256' });
    const mac = (await client.send(new GenerateMacCommand({ KeyId: hmacKey, MacAlgorithm: 'HMAC_SHA_256', Message: utf8('m') }))).Mac!;
    assert.deepEqual(Buffer.from(mac), createHmac('sha256', secret).update('m').digest());

    const eccKey = await externalKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const wrongCurve = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'der' });
    await rejectsWith(importMaterial(eccKey, wrongCurve, { algorithm: 'RSA_AES_KEY_WRAP_SHA_256' }), 'IncorrectKeyMaterialException');
    await importMaterial(eccKey, pair.privateKey.export({ type: 'pkcs8', format: 'der' }), { algorithm: 'RSA_AES_KEY_WRAP_SHA_256' });
    const publicKey = (await client.send(new GetPublicKeyCommand({ KeyId: eccKey }))).PublicKey!;
    assert.deepEqual(Buffer.from(publicKey), pair.publicKey.export({ type: 'spki', format: 'der' }));
    const signature = (await client.send(new SignCommand({ KeyId: eccKey, Message: utf8('m'), SigningAlgorithm: 'ECDSA_SHA_256' })))
      .Signature!;
    assert.ok(verify('sha256', Buffer.from('m'), pair.publicKey, signature));
    assert.equal(
      (await client.send(new VerifyCommand({ KeyId: eccKey, Message: utf8('m'), Signature: signature, SigningAlgorithm: 'ECDSA_SHA_256' })))
        .SignatureValid,
      true,
    );
  });

  it('replicates a multi-Region key with imported material without it; the replica takes the same material only', async () => {
    const keyId = await externalKey({ MultiRegion: true });
    const material = randomBytes(32);
    await importMaterial(keyId, material);
    const blob = (await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('everywhere') }))).CiphertextBlob!;
    const replica = (await client.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'eu-west-1' }))).ReplicaKeyMetadata!;
    assert.equal(replica.KeyState, 'PendingImport');
    const eu = kmsClient(kms, 'eu-west-1');
    const importInto = async (bytes: Buffer): Promise<void> => {
      const params = await eu.send(
        new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }),
      );
      await eu.send(
        new ImportKeyMaterialCommand({
          KeyId: keyId,
          ImportToken: params.ImportToken,
          EncryptedKeyMaterial: wrapKeyMaterial(params.PublicKey!, 'RSAES_OAEP_SHA_256', bytes),
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      );
    };
    await rejectsWith(importInto(randomBytes(32)), 'IncorrectKeyMaterialException');
    await importInto(material);
    assert.equal(text((await eu.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext), 'everywhere');
  });

  /** How far the emulator's clock is ahead, from a key's CreationDate (the tests above moved it). */
  function kmsOffset(): number {
    return offset;
  }
  let offset = 0;
  beforeEach(() => {
    offset = kms.advanceClock(0);
  });
});
