import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  GetPublicKeyCommand,
  type KeyMetadata,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeyRotationsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  ListRetirableGrantsCommand,
  RetireGrantCommand,
  SignCommand,
  VerifyCommand,
} from '@aws-sdk/client-kms';
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, startEmulator } from '../../emulator/server';
import { kmsClient, rejectsWith, text, utf8 } from './helpers';

const demoSeed = join(__dirname, '..', '..', 'emulator', 'demo-seed.yaml');
const day = 24 * 60 * 60 * 1000;

describe('KMS emulator: seeding and persistence', () => {
  let dir: string;
  const running: Emulator[] = [];
  const start = async (options: Parameters<typeof startEmulator>[0]): Promise<Emulator> => {
    const kms = await startEmulator(options);
    running.push(kms);
    return kms;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kms-emulator-'));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((kms) => kms.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the demo seed (YAML): key types, states, aliases, grants, a console policy, tags, rotations, an AWS-managed key and a replica', async () => {
    const kms = await start({ port: 0, seed: demoSeed, accountId: '222233334444' });
    const east = kmsClient(kms);
    const keys = (await east.send(new ListKeysCommand({}))).Keys!;
    assert.equal(keys.length, 9);
    const describe = async (id: string): Promise<KeyMetadata> => (await east.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!;
    const metas = await Promise.all(keys.map((k) => describe(k.KeyId!)));
    assert.deepEqual(
      new Set(metas.map((m) => m.KeySpec)),
      new Set(['SYMMETRIC_DEFAULT', 'RSA_2048', 'RSA_3072', 'ECC_NIST_P256', 'HMAC_256']),
    );
    assert.deepEqual(new Set(metas.map((m) => m.KeyState)), new Set(['Enabled', 'Disabled', 'PendingDeletion']));
    assert.ok(metas.every((m) => m.Arn!.startsWith('arn:aws:kms:us-east-1:222233334444:key/')));

    const secrets = await describe('alias/app-secrets');
    assert.equal(secrets.KeyId, '0f6e2c1a-8b3d-4e5f-9a7b-1c2d3e4f5a60');
    assert.equal(secrets.CreationDate?.toISOString(), '2024-03-04T09:15:00.000Z');
    const policy = (await east.send(new GetKeyPolicyCommand({ KeyId: secrets.KeyId }))).Policy!;
    assert.match(policy, /Allow access for Key Administrators/);
    assert.match(policy, /arn:aws:iam::222233334444:role\/platform-admin/);
    assert.doesNotMatch(policy, /\{\{accountId\}\}/);
    assert.deepEqual((await east.send(new ListResourceTagsCommand({ KeyId: secrets.KeyId }))).Tags, [
      { TagKey: 'cost-center', TagValue: '4711' },
      { TagKey: 'env', TagValue: 'prod' },
      { TagKey: 'team', TagValue: 'platform' },
    ]);
    const grants = (await east.send(new ListGrantsCommand({ KeyId: secrets.KeyId }))).Grants!;
    assert.equal(grants.length, 2);
    assert.deepEqual(grants.find((g) => g.Name === 'app-lambda-decrypt')?.Constraints, { EncryptionContextSubset: { app: 'web' } });
    const retirable = (
      await east.send(new ListRetirableGrantsCommand({ RetiringPrincipal: 'arn:aws:iam::222233334444:role/platform-admin' }))
    ).Grants!;
    assert.deepEqual(
      retirable.map((g) => g.Name),
      ['app-lambda-decrypt'],
    );
    assert.deepEqual(
      (await east.send(new ListKeyRotationsCommand({ KeyId: secrets.KeyId }))).Rotations!.map((r) => [
        r.RotationType,
        r.RotationDate?.toISOString(),
      ]),
      [
        ['AUTOMATIC', '2025-03-04T09:15:00.000Z'],
        ['ON_DEMAND', '2025-09-12T14:02:00.000Z'],
      ],
    );
    assert.equal((await east.send(new GetKeyRotationStatusCommand({ KeyId: secrets.KeyId }))).RotationPeriodInDays, 365);

    const doomed = await describe('alias/old-backups');
    assert.equal(doomed.KeyState, 'PendingDeletion');
    assert.ok(Math.abs(doomed.DeletionDate!.getTime() - (Date.now() + 7 * day)) < 60_000);
    assert.equal((await describe('alias/legacy-billing')).Enabled, false);
    const s3 = await describe('alias/aws/s3');
    assert.equal(s3.KeyManager, 'AWS');
    const aliases = (await east.send(new ListAliasesCommand({}))).Aliases!;
    assert.equal(aliases.find((a) => a.AliasName === 'alias/aws/ebs')?.TargetKeyId, undefined);
    assert.equal(aliases.find((a) => a.AliasName === 'alias/app-secrets-previous')?.TargetKeyId, secrets.KeyId);
    assert.ok(
      ['alias/ci-signing', 'alias/partner-exchange', 'alias/webhook-signing', 'alias/session-mac', 'alias/global-data'].every((n) =>
        aliases.some((a) => a.AliasName === n),
      ),
    );

    const global = await describe('alias/global-data');
    assert.equal(global.MultiRegionConfiguration?.MultiRegionKeyType, 'PRIMARY');
    assert.deepEqual(
      global.MultiRegionConfiguration?.ReplicaKeys?.map((r) => r.Region),
      ['eu-west-1'],
    );
    const { CiphertextBlob } = await east.send(new EncryptCommand({ KeyId: 'alias/global-data', Plaintext: utf8('replicated') }));
    assert.equal(text((await kmsClient(kms, 'eu-west-1').send(new DecryptCommand({ CiphertextBlob }))).Plaintext), 'replicated');

    const signed = await east.send(
      new SignCommand({ KeyId: 'alias/ci-signing', Message: utf8('release.tar.gz'), SigningAlgorithm: 'RSASSA_PSS_SHA_256' }),
    );
    assert.equal(
      (
        await east.send(
          new VerifyCommand({
            KeyId: 'alias/ci-signing',
            Message: utf8('release.tar.gz'),
            Signature: signed.Signature,
            SigningAlgorithm: 'RSASSA_PSS_SHA_256',
          }),
        )
      ).SignatureValid,
      true,
    );
  });

  it('loads a JSON seed; fixed material keeps fixture ciphertexts valid in every emulator seeded alike', async () => {
    const file = join(dir, 'seed.json');
    const material = Buffer.alloc(32, 9).toString('base64');
    writeFileSync(
      file,
      JSON.stringify({
        keys: [{ id: '11111111-2222-4333-8444-555555555555', region: 'eu-central-1', material, aliases: ['alias/fixture'] }],
      }),
    );
    const first = await start({ port: 0, seed: file });
    const { CiphertextBlob } = await kmsClient(first, 'eu-central-1').send(
      new EncryptCommand({ KeyId: 'alias/fixture', Plaintext: utf8('fixture'), EncryptionContext: { f: '1' } }),
    );
    const second = await start({ port: 0, seed: file });
    const decrypted = await kmsClient(second, 'eu-central-1').send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { f: '1' } }));
    assert.equal(text(decrypted.Plaintext), 'fixture');
    assert.equal(decrypted.KeyId, 'arn:aws:kms:eu-central-1:111122223333:key/11111111-2222-4333-8444-555555555555');
  });

  it('refuses invalid seeds with a message naming the entry', async () => {
    const kms = await start({ port: 0 });
    assert.throws(
      () => kms.seed({ keys: [{ ref: 'bad', spec: 'ECC_NIST_P256', usage: 'ENCRYPT_DECRYPT' }] }),
      /seed key bad: usage ENCRYPT_DECRYPT is not valid for ECC_NIST_P256/,
    );
    assert.throws(() => kms.seed({ keys: [{ id: 'not-an-id' }] }), /id must be a UUID/);
    assert.throws(() => kms.seed({ keys: [{ state: 'Sleeping' as 'Enabled' }] }), /unknown state Sleeping/);
    assert.throws(() => kms.seed({ aliases: [{ name: 'alias/x', targetKeyId: 'nobody' }] }), /no key "nobody"/);
    assert.throws(() => kms.seed({ keys: [{ manager: 'AWS' }] }), /alias\/aws\/<service>/);
    kms.seed({ keys: [{ aliases: ['alias/once'] }] });
    assert.throws(() => kms.seed({ keys: [{ aliases: ['alias/once'] }] }), /alias alias\/once already exists/);
  });

  it('persists keys with their material, aliases and grants across a restart, and ignores the seed once state exists', async () => {
    const persistPath = join(dir, 'state', 'kms.json');
    const first = await start({ port: 0, persistPath, seed: { keys: [{ ref: 'seeded', aliases: ['alias/seeded'] }] } });
    const client = kmsClient(first);
    const keyId = (await client.send(new CreateKeyCommand({ Description: 'kept' }))).KeyMetadata!.KeyId!;
    await client.send(new CreateAliasCommand({ AliasName: 'alias/kept', TargetKeyId: keyId }));
    const { GrantToken } = await client.send(
      new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: 'arn:aws:iam::111122223333:role/kept', Operations: ['Decrypt'] }),
    );
    const { CiphertextBlob } = await client.send(
      new EncryptCommand({ KeyId: 'alias/kept', Plaintext: utf8('survives'), EncryptionContext: { a: 'b' } }),
    );
    const signer = (await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P384', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!;
    const { Signature } = await client.send(new SignCommand({ KeyId: signer, Message: utf8('m'), SigningAlgorithm: 'ECDSA_SHA_384' }));
    const publicKey = (await client.send(new GetPublicKeyCommand({ KeyId: signer }))).PublicKey!;
    assert.equal(statSync(persistPath).mode & 0o777, 0o600, 'the state file holds key material: owner only');
    await first.close();
    running.splice(running.indexOf(first), 1);

    const second = await start({ port: 0, persistPath, seed: { keys: [{ aliases: ['alias/not-applied'] }] } });
    const again = kmsClient(second);
    assert.equal((await again.send(new DescribeKeyCommand({ KeyId: 'alias/kept' }))).KeyMetadata?.Description, 'kept');
    assert.equal(text((await again.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { a: 'b' } }))).Plaintext), 'survives');
    assert.deepEqual(Buffer.from((await again.send(new GetPublicKeyCommand({ KeyId: signer }))).PublicKey!), Buffer.from(publicKey));
    assert.equal(
      (await again.send(new VerifyCommand({ KeyId: signer, Message: utf8('m'), Signature, SigningAlgorithm: 'ECDSA_SHA_384' })))
        .SignatureValid,
      true,
    );
    assert.deepEqual(
      (await again.send(new ListGrantsCommand({ KeyId: keyId }))).Grants!.map((g) => g.GranteePrincipal),
      ['arn:aws:iam::111122223333:role/kept'],
    );
    await again.send(new RetireGrantCommand({ GrantToken }));
    const aliases = (await again.send(new ListAliasesCommand({}))).Aliases!.map((a) => a.AliasName);
    assert.deepEqual(aliases, ['alias/kept', 'alias/seeded']);
    assert.equal((await again.send(new ListKeysCommand({}))).Keys?.length, 3);
  });

  it('persists into persistDir too, and reset() goes back to the seed', async () => {
    const kms = await start({ port: 0, persistDir: dir, seed: { keys: [{ aliases: ['alias/base'] }] } });
    const client = kmsClient(kms);
    await client.send(new CreateKeyCommand({}));
    assert.equal((await client.send(new ListKeysCommand({}))).Keys?.length, 2);
    assert.ok(statSync(join(dir, 'kms-emulator-state.json')).size > 0);
    kms.reset();
    assert.equal((await client.send(new ListKeysCommand({}))).Keys?.length, 1);
    await client.send(new DescribeKeyCommand({ KeyId: 'alias/base' }));
    await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: 'alias/gone' })), 'NotFoundException');
  });
});
