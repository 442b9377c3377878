import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  type KMSClient,
  ListAliasesCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  TagResourceCommand,
  UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';
import * as assert from 'node:assert/strict';
import { type Emulator, startEmulator } from '../../emulator/server';
import { kmsClient, rejectsWith, utf8 } from './helpers';

const day = 24 * 60 * 60 * 1000;

describe('KMS emulator: key lifecycle, metadata and key states', () => {
  let kms: Emulator;
  let client: KMSClient;

  before(async () => {
    kms = await startEmulator({
      port: 0,
      seed: {
        keys: [{ ref: 's3', manager: 'AWS', aliases: ['alias/aws/s3'] }],
      },
    });
    client = kmsClient(kms);
  });
  after(() => kms.close());

  const newKey = async (input: ConstructorParameters<typeof CreateKeyCommand>[0] = {}): Promise<string> =>
    (await client.send(new CreateKeyCommand(input))).KeyMetadata!.KeyId!;

  it('returns KeyMetadata as KMS does, and the default key policy (account root, kms:*)', async () => {
    const created = await client.send(new CreateKeyCommand({ Description: 'metadata', Tags: [{ TagKey: 'team', TagValue: 'core' }] }));
    const meta = created.KeyMetadata!;
    assert.match(meta.KeyId!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(
      { ...meta, CreationDate: undefined, CurrentKeyMaterialId: undefined },
      {
        AWSAccountId: '111122223333',
        KeyId: meta.KeyId,
        Arn: `arn:aws:kms:us-east-1:111122223333:key/${meta.KeyId}`,
        CreationDate: undefined,
        Enabled: true,
        Description: 'metadata',
        KeyUsage: 'ENCRYPT_DECRYPT',
        KeyState: 'Enabled',
        Origin: 'AWS_KMS',
        KeyManager: 'CUSTOMER',
        CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
        KeySpec: 'SYMMETRIC_DEFAULT',
        EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
        MultiRegion: false,
        CurrentKeyMaterialId: undefined,
      },
    );
    const { Policy, PolicyName } = await client.send(new GetKeyPolicyCommand({ KeyId: meta.KeyId }));
    assert.equal(PolicyName, 'default');
    const policy = JSON.parse(Policy!) as {
      Statement: Array<{ Effect: string; Principal: { AWS: string }; Action: string; Resource: string }>;
    };
    assert.deepEqual(
      policy.Statement.map((s) => [s.Effect, s.Principal.AWS, s.Action, s.Resource]),
      [['Allow', 'arn:aws:iam::111122223333:root', 'kms:*', '*']],
    );
    assert.deepEqual((await client.send(new ListResourceTagsCommand({ KeyId: meta.KeyId }))).Tags, [{ TagKey: 'team', TagValue: 'core' }]);
  });

  it('checks CreateKey: spec against usage, both spec parameters, tags, policy, unsupported specs', async () => {
    await rejectsWith(client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'ENCRYPT_DECRYPT' })), 'ValidationException', {
      message: /not compatible with KeySpec ECC_NIST_P256/,
    });
    await rejectsWith(
      client.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', CustomerMasterKeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })),
      'ValidationException',
    );
    await rejectsWith(client.send(new CreateKeyCommand({ Tags: [{ TagKey: 'aws:reserved', TagValue: 'x' }] })), 'TagException');
    await rejectsWith(client.send(new CreateKeyCommand({ Policy: '{"Statement": [' })), 'MalformedPolicyDocumentException');
    await rejectsWith(client.send(new CreateKeyCommand({ KeySpec: 'SM2', KeyUsage: 'SIGN_VERIFY' })), 'UnsupportedOperationException');
    await rejectsWith(client.send(new CreateKeyCommand({ Description: 'x'.repeat(8193) })), 'ValidationException', {
      message: /less than or equal to 8192/,
    });
  });

  it('accepts key id, key ARN, alias name and alias ARN in DescribeKey, but no alias in ScheduleKeyDeletion', async () => {
    const keyId = await newKey();
    await client.send(new CreateAliasCommand({ AliasName: 'alias/describe-me', TargetKeyId: keyId }));
    for (const id of [
      keyId,
      `arn:aws:kms:us-east-1:111122223333:key/${keyId}`,
      'alias/describe-me',
      'arn:aws:kms:us-east-1:111122223333:alias/describe-me',
    ]) {
      assert.equal((await client.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata?.KeyId, keyId, id);
    }
    await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: 'alias/nothing-here' })), 'NotFoundException', {
      message: /Alias arn:aws:kms:us-east-1:111122223333:alias\/nothing-here is not found/,
    });
    await rejectsWith(client.send(new ScheduleKeyDeletionCommand({ KeyId: 'alias/describe-me' })), 'NotFoundException');
    await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: '00000000-0000-4000-8000-000000000000' })), 'NotFoundException', {
      message: /does not exist/,
    });
  });

  it('pages ListKeys: 250 keys in pages of 100 with NextMarker and Truncated; Limit 1 to 1000', async function () {
    this.timeout(30_000);
    const regional = kmsClient(kms, 'ap-southeast-2');
    const created = new Set<string>();
    for (let i = 0; i < 250; i++) created.add((await regional.send(new CreateKeyCommand({ Description: `k${i}` }))).KeyMetadata!.KeyId!);
    const seen: string[] = [];
    const sizes: number[] = [];
    let marker: string | undefined;
    do {
      const page = await regional.send(new ListKeysCommand({ Limit: 100, Marker: marker }));
      sizes.push(page.Keys!.length);
      seen.push(...page.Keys!.map((k) => k.KeyId!));
      assert.equal(page.Truncated, page.NextMarker !== undefined);
      for (const k of page.Keys!) assert.equal(k.KeyArn, `arn:aws:kms:ap-southeast-2:111122223333:key/${k.KeyId}`);
      marker = page.NextMarker;
    } while (marker);
    assert.deepEqual(sizes, [100, 100, 50]);
    assert.deepEqual(new Set(seen), created);
    assert.equal(seen.length, 250);
    assert.equal((await regional.send(new ListKeysCommand({}))).Keys?.length, 100, 'default Limit 100');
    const all = await regional.send(new ListKeysCommand({ Limit: 1000 }));
    assert.equal(all.Keys?.length, 250);
    assert.equal(all.Truncated, false);
  });

  it('disables and enables a key: disabled keys refuse cryptography, grants and rotation changes with DisabledException', async () => {
    const keyId = await newKey();
    const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') }));
    await client.send(new DisableKeyCommand({ KeyId: keyId }));
    const meta = (await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    assert.equal(meta.KeyState, 'Disabled');
    assert.equal(meta.Enabled, false);
    await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') })), 'DisabledException', {
      message: /is disabled/,
    });
    await rejectsWith(client.send(new DecryptCommand({ CiphertextBlob })), 'DisabledException');
    await rejectsWith(
      client.send(
        new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: 'arn:aws:iam::111122223333:role/app', Operations: ['Decrypt'] }),
      ),
      'DisabledException',
    );
    await rejectsWith(client.send(new EnableKeyRotationCommand({ KeyId: keyId })), 'DisabledException');
    await client.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: 'still editable' }));
    await client.send(new EnableKeyCommand({ KeyId: keyId }));
    assert.equal((await client.send(new DecryptCommand({ CiphertextBlob }))).KeyId?.endsWith(keyId), true);
  });

  it('schedules deletion within 7 to 30 days (default 30); a key pending deletion refuses use and most management', async () => {
    const keyId = await newKey();
    await rejectsWith(client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 6 })), 'ValidationException', {
      message: /greater than or equal to 7/,
    });
    await rejectsWith(client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 31 })), 'ValidationException', {
      message: /less than or equal to 30/,
    });
    const scheduled = await client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId }));
    assert.equal(scheduled.KeyState, 'PendingDeletion');
    assert.equal(scheduled.PendingWindowInDays, 30);
    assert.ok(Math.abs(scheduled.DeletionDate!.getTime() - (Date.now() + 30 * day)) < 60_000);
    const meta = (await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    assert.equal(meta.KeyState, 'PendingDeletion');
    assert.equal(meta.DeletionDate?.getTime(), scheduled.DeletionDate?.getTime());

    const refused = /is pending deletion/;
    await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') })), 'KMSInvalidStateException', {
      message: refused,
    });
    await rejectsWith(client.send(new EnableKeyCommand({ KeyId: keyId })), 'KMSInvalidStateException', { message: refused });
    await rejectsWith(client.send(new DisableKeyCommand({ KeyId: keyId })), 'KMSInvalidStateException');
    await rejectsWith(
      client.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'a', TagValue: 'b' }] })),
      'KMSInvalidStateException',
    );
    await rejectsWith(client.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: 'x' })), 'KMSInvalidStateException');
    await rejectsWith(client.send(new CreateAliasCommand({ AliasName: 'alias/too-late', TargetKeyId: keyId })), 'KMSInvalidStateException');
    await rejectsWith(client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId })), 'KMSInvalidStateException');
    // Allowed in every state:
    const policy = (await client.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy!;
    await client.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: policy }));
    await client.send(new ListResourceTagsCommand({ KeyId: keyId }));

    assert.equal(
      (await client.send(new CancelKeyDeletionCommand({ KeyId: keyId }))).KeyId,
      `arn:aws:kms:us-east-1:111122223333:key/${keyId}`,
    );
    const cancelled = (await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    assert.equal(cancelled.KeyState, 'Disabled', 'CancelKeyDeletion leaves the key Disabled');
    assert.equal(cancelled.DeletionDate, undefined);
    await rejectsWith(client.send(new CancelKeyDeletionCommand({ KeyId: keyId })), 'KMSInvalidStateException', {
      message: /not pending deletion/,
    });
  });

  it('deletes a key, with its aliases, once its waiting period is over', async () => {
    const seeded = kms.seed({
      keys: [
        {
          description: 'waiting period over',
          state: 'PendingDeletion',
          deletionDate: new Date(Date.now() + 500).toISOString(),
          aliases: ['alias/doomed'],
        },
      ],
    });
    const keyId = seeded.keys[0].keyId;
    assert.equal((await client.send(new DescribeKeyCommand({ KeyId: 'alias/doomed' }))).KeyMetadata?.KeyState, 'PendingDeletion');
    await new Promise((resolve) => setTimeout(resolve, 600));
    await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: keyId })), 'NotFoundException');
    assert.ok(!(await client.send(new ListKeysCommand({ Limit: 1000 }))).Keys!.some((k) => k.KeyId === keyId));
    assert.ok(!(await client.send(new ListAliasesCommand({ Limit: 100 }))).Aliases!.some((a) => a.AliasName === 'alias/doomed'));
  });

  it('enforces PendingImport (origin EXTERNAL) and Unavailable: no cryptography, but deletion can be scheduled', async () => {
    const external = await client.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }));
    assert.equal(external.KeyMetadata?.KeyState, 'PendingImport');
    assert.equal(external.KeyMetadata?.Origin, 'EXTERNAL');
    assert.equal(external.KeyMetadata?.ExpirationModel, 'KEY_MATERIAL_DOES_NOT_EXPIRE');
    const externalId = external.KeyMetadata.KeyId!;
    await rejectsWith(client.send(new EncryptCommand({ KeyId: externalId, Plaintext: utf8('x') })), 'KMSInvalidStateException', {
      message: /pending import/,
    });
    await rejectsWith(client.send(new EnableKeyCommand({ KeyId: externalId })), 'KMSInvalidStateException');
    await client.send(new ScheduleKeyDeletionCommand({ KeyId: externalId, PendingWindowInDays: 7 }));

    const unavailable = await newKey();
    kms.setKeyState('us-east-1', unavailable, 'Unavailable');
    assert.equal((await client.send(new DescribeKeyCommand({ KeyId: unavailable }))).KeyMetadata?.KeyState, 'Unavailable');
    await rejectsWith(client.send(new EncryptCommand({ KeyId: unavailable, Plaintext: utf8('x') })), 'KMSInvalidStateException', {
      message: /unavailable/,
    });
    const signer = await newKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    kms.setKeyState('us-east-1', signer, 'Unavailable');
    await rejectsWith(
      client.send(new SignCommand({ KeyId: signer, Message: utf8('m'), SigningAlgorithm: 'ECDSA_SHA_256' })),
      'KMSInvalidStateException',
    );
    await client.send(new ScheduleKeyDeletionCommand({ KeyId: unavailable }));
  });

  it('describes seeded custom key stores and creates keys only in a connected one', async () => {
    kms.seed({
      customKeyStores: [
        {
          CustomKeyStoreId: 'cks-1234567890abcdef0',
          CustomKeyStoreName: 'hsm',
          CustomKeyStoreType: 'AWS_CLOUDHSM',
          ConnectionState: 'CONNECTED',
          CloudHsmClusterId: 'cluster-1a2b3c4d5e6',
        },
        {
          CustomKeyStoreId: 'cks-0fedcba0987654321',
          CustomKeyStoreName: 'offline',
          CustomKeyStoreType: 'AWS_CLOUDHSM',
          ConnectionState: 'DISCONNECTED',
        },
      ],
    });
    const stores = (await client.send(new DescribeCustomKeyStoresCommand({}))).CustomKeyStores!;
    assert.deepEqual(
      stores.map((s) => [s.CustomKeyStoreName, s.ConnectionState]),
      [
        ['offline', 'DISCONNECTED'],
        ['hsm', 'CONNECTED'],
      ],
    );
    assert.equal(
      (await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: 'hsm' }))).CustomKeyStores?.[0]?.CloudHsmClusterId,
      'cluster-1a2b3c4d5e6',
    );
    await rejectsWith(
      client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: 'cks-00000000000000000' })),
      'CustomKeyStoreNotFoundException',
    );
    const inHsm = (await client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: 'cks-1234567890abcdef0' })))
      .KeyMetadata!;
    assert.equal(inHsm.CustomKeyStoreId, 'cks-1234567890abcdef0');
    assert.equal(inHsm.CloudHsmClusterId, 'cluster-1a2b3c4d5e6');
    assert.equal(inHsm.Origin, 'AWS_CLOUDHSM');
    await rejectsWith(
      client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: 'cks-0fedcba0987654321' })),
      'CustomKeyStoreInvalidStateException',
    );
  });

  it('creates RSA 4096 keys without waiting for their key pair', async () => {
    const meta = (await client.send(new CreateKeyCommand({ KeySpec: 'RSA_4096', KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata!;
    assert.equal(meta.KeySpec, 'RSA_4096');
    assert.deepEqual(meta.EncryptionAlgorithms, ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256']);
    assert.equal(meta.CurrentKeyMaterialId, undefined);
  });

  it('lets AWS-managed keys be described and listed, but not used directly or changed', async () => {
    const meta = (await client.send(new DescribeKeyCommand({ KeyId: 'alias/aws/s3' }))).KeyMetadata!;
    assert.equal(meta.KeyManager, 'AWS');
    const listed = (await client.send(new ListAliasesCommand({ Limit: 100 }))).Aliases!.find((a) => a.AliasName === 'alias/aws/s3');
    assert.equal(listed?.TargetKeyId, meta.KeyId);
    assert.equal(listed?.AliasArn, 'arn:aws:kms:us-east-1:111122223333:alias/aws/s3');
    assert.match((await client.send(new GetKeyPolicyCommand({ KeyId: meta.KeyId }))).Policy!, /kms:ViaService/);
    assert.equal((await client.send(new GetKeyRotationStatusCommand({ KeyId: meta.KeyId }))).KeyRotationEnabled, true);
    await rejectsWith(client.send(new ScheduleKeyDeletionCommand({ KeyId: meta.KeyId })), 'AccessDeniedException', {
      message: /not authorized to perform: kms:ScheduleKeyDeletion/,
    });
    await rejectsWith(client.send(new EncryptCommand({ KeyId: 'alias/aws/s3', Plaintext: utf8('x') })), 'AccessDeniedException');
    await rejectsWith(client.send(new PutKeyPolicyCommand({ KeyId: meta.KeyId, Policy: '{"Statement":[]}' })), 'AccessDeniedException');
    await rejectsWith(
      client.send(new CreateAliasCommand({ AliasName: 'alias/aws/mine', TargetKeyId: await newKey() })),
      'InvalidAliasNameException',
      { message: /reserved/ },
    );
  });
});
