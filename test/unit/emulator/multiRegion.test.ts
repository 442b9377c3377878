import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GetPublicKeyCommand,
  type KMSClient,
  ReplicateKeyCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  UpdatePrimaryRegionCommand,
  VerifyCommand,
} from '@aws-sdk/client-kms';
import * as assert from 'node:assert/strict';
import { type Emulator, startEmulator } from '../../emulator/server';
import { kmsClient, rejectsWith, text, utf8 } from './helpers';

describe('KMS emulator: multi-region keys', () => {
  let kms: Emulator;
  let east: KMSClient;
  let west: KMSClient;
  const arn = (region: string, id: string): string => `arn:aws:kms:${region}:111122223333:key/${id}`;

  before(async () => {
    kms = await startEmulator({ port: 0 });
    east = kmsClient(kms, 'us-east-1');
    west = kmsClient(kms, 'eu-west-1');
  });
  after(() => kms.close());

  it('creates an mrk- key, replicates it into another region, and each copy decrypts what the other encrypted', async () => {
    const created = (await east.send(new CreateKeyCommand({ MultiRegion: true, Description: 'global' }))).KeyMetadata!;
    const id = created.KeyId!;
    assert.match(id, /^mrk-[0-9a-f]{32}$/);
    assert.equal(created.MultiRegion, true);
    assert.deepEqual(created.MultiRegionConfiguration, {
      MultiRegionKeyType: 'PRIMARY',
      PrimaryKey: { Arn: arn('us-east-1', id), Region: 'us-east-1' },
      ReplicaKeys: [],
    });
    const fromEast = await east.send(
      new EncryptCommand({ KeyId: id, Plaintext: utf8('made in the east'), EncryptionContext: { app: 'global' } }),
    );

    const replicated = await east.send(
      new ReplicateKeyCommand({
        KeyId: id,
        ReplicaRegion: 'eu-west-1',
        Description: 'replica',
        Tags: [{ TagKey: 'copy', TagValue: 'yes' }],
      }),
    );
    const replica = replicated.ReplicaKeyMetadata!;
    assert.equal(replica.Arn, arn('eu-west-1', id));
    assert.equal(replica.Description, 'replica');
    assert.deepEqual(replica.MultiRegionConfiguration, {
      MultiRegionKeyType: 'REPLICA',
      PrimaryKey: { Arn: arn('us-east-1', id), Region: 'us-east-1' },
      ReplicaKeys: [{ Arn: arn('eu-west-1', id), Region: 'eu-west-1' }],
    });
    assert.deepEqual(replicated.ReplicaTags, [{ TagKey: 'copy', TagValue: 'yes' }]);
    assert.match(replicated.ReplicaPolicy!, /kms:\*/);
    const primary = (await east.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!;
    assert.deepEqual(primary.MultiRegionConfiguration?.ReplicaKeys, [{ Arn: arn('eu-west-1', id), Region: 'eu-west-1' }]);

    const inWest = await west.send(new DecryptCommand({ CiphertextBlob: fromEast.CiphertextBlob, EncryptionContext: { app: 'global' } }));
    assert.equal(text(inWest.Plaintext), 'made in the east');
    assert.equal(inWest.KeyId, arn('eu-west-1', id));
    const fromWest = await west.send(new EncryptCommand({ KeyId: id, Plaintext: utf8('made in the west') }));
    assert.equal(text((await east.send(new DecryptCommand({ CiphertextBlob: fromWest.CiphertextBlob }))).Plaintext), 'made in the west');

    // Rotation is set on the primary and shared: new material reaches the replica.
    await rejectsWith(west.send(new EnableKeyRotationCommand({ KeyId: id })), 'UnsupportedOperationException', { message: /replica/ });
    await east.send(new RotateKeyOnDemandCommand({ KeyId: id }));
    const rotated = await east.send(new EncryptCommand({ KeyId: id, Plaintext: utf8('after rotation') }));
    assert.equal(text((await west.send(new DecryptCommand({ CiphertextBlob: rotated.CiphertextBlob }))).Plaintext), 'after rotation');
  });

  it('refuses to replicate twice into a region, into its own region, a replica, or a single-region key', async () => {
    const id = (await east.send(new CreateKeyCommand({ MultiRegion: true }))).KeyMetadata!.KeyId!;
    await east.send(new ReplicateKeyCommand({ KeyId: id, ReplicaRegion: 'ap-northeast-1' }));
    await rejectsWith(east.send(new ReplicateKeyCommand({ KeyId: id, ReplicaRegion: 'ap-northeast-1' })), 'AlreadyExistsException');
    await rejectsWith(east.send(new ReplicateKeyCommand({ KeyId: id, ReplicaRegion: 'us-east-1' })), 'ValidationException');
    await rejectsWith(
      kmsClient(kms, 'ap-northeast-1').send(new ReplicateKeyCommand({ KeyId: id, ReplicaRegion: 'eu-central-1' })),
      'UnsupportedOperationException',
      { message: /replica/ },
    );
    const single = (await east.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await rejectsWith(east.send(new ReplicateKeyCommand({ KeyId: single, ReplicaRegion: 'eu-west-1' })), 'UnsupportedOperationException', {
      message: /not a multi-Region key/,
    });
    const { CiphertextBlob } = await east.send(new EncryptCommand({ KeyId: single, Plaintext: utf8('x') }));
    await rejectsWith(west.send(new DecryptCommand({ CiphertextBlob })), 'InvalidCiphertextException');
  });

  it('moves the primary with UpdatePrimaryRegion', async () => {
    const id = (await east.send(new CreateKeyCommand({ MultiRegion: true }))).KeyMetadata!.KeyId!;
    await east.send(new ReplicateKeyCommand({ KeyId: id, ReplicaRegion: 'eu-west-1' }));
    await rejectsWith(east.send(new UpdatePrimaryRegionCommand({ KeyId: id, PrimaryRegion: 'us-west-2' })), 'NotFoundException');
    await rejectsWith(
      west.send(new UpdatePrimaryRegionCommand({ KeyId: id, PrimaryRegion: 'us-east-1' })),
      'UnsupportedOperationException',
    );
    await east.send(new UpdatePrimaryRegionCommand({ KeyId: id, PrimaryRegion: 'eu-west-1' }));
    const nowPrimary = (await west.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!.MultiRegionConfiguration!;
    assert.equal(nowPrimary.MultiRegionKeyType, 'PRIMARY');
    assert.deepEqual(nowPrimary.ReplicaKeys, [{ Arn: arn('us-east-1', id), Region: 'us-east-1' }]);
    const nowReplica = (await east.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!.MultiRegionConfiguration!;
    assert.equal(nowReplica.MultiRegionKeyType, 'REPLICA');
    assert.deepEqual(nowReplica.PrimaryKey, { Arn: arn('eu-west-1', id), Region: 'eu-west-1' });
    await west.send(new EnableKeyRotationCommand({ KeyId: id }));
  });

  it('shares the key pair of an asymmetric multi-region key', async () => {
    const id = (await east.send(new CreateKeyCommand({ MultiRegion: true, KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })))
      .KeyMetadata!.KeyId!;
    await east.send(new ReplicateKeyCommand({ KeyId: id, ReplicaRegion: 'eu-west-1' }));
    const eastKey = Buffer.from((await east.send(new GetPublicKeyCommand({ KeyId: id }))).PublicKey!);
    const westKey = Buffer.from((await west.send(new GetPublicKeyCommand({ KeyId: id }))).PublicKey!);
    assert.deepEqual(westKey, eastKey);
    const { Signature } = await east.send(new SignCommand({ KeyId: id, Message: utf8('m'), SigningAlgorithm: 'ECDSA_SHA_256' }));
    assert.equal(
      (await west.send(new VerifyCommand({ KeyId: id, Message: utf8('m'), Signature, SigningAlgorithm: 'ECDSA_SHA_256' }))).SignatureValid,
      true,
    );
  });

  it('holds a primary with replicas in PendingReplicaDeletion until its replicas are gone', async () => {
    const id = (await east.send(new CreateKeyCommand({ MultiRegion: true }))).KeyMetadata!.KeyId!;
    await east.send(new ReplicateKeyCommand({ KeyId: id, ReplicaRegion: 'eu-west-1' }));
    const scheduled = await east.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 9 }));
    assert.equal(scheduled.KeyState, 'PendingReplicaDeletion');
    assert.equal(scheduled.DeletionDate, undefined);
    const meta = (await east.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!;
    assert.equal(meta.KeyState, 'PendingReplicaDeletion');
    assert.equal(meta.PendingDeletionWindowInDays, 9);
    await rejectsWith(east.send(new EncryptCommand({ KeyId: id, Plaintext: utf8('x') })), 'KMSInvalidStateException');
    const replica = await west.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 }));
    assert.equal(replica.KeyState, 'PendingDeletion');
  });
});
