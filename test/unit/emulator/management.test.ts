import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DisableKeyRotationCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  type KMSClient,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeyPoliciesCommand,
  ListKeyRotationsCommand,
  ListResourceTagsCommand,
  ListRetirableGrantsCommand,
  PutKeyPolicyCommand,
  RetireGrantCommand,
  RevokeGrantCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-kms';
import * as assert from 'node:assert/strict';
import { type Emulator, startEmulator } from '../../emulator/server';
import { kmsClient, rejectsWith, text, utf8 } from './helpers';

const day = 24 * 60 * 60 * 1000;

describe('KMS emulator: aliases, grants, policies, tags and rotation', () => {
  let kms: Emulator;
  let client: KMSClient;
  const newKey = async (input: ConstructorParameters<typeof CreateKeyCommand>[0] = {}): Promise<string> =>
    (await client.send(new CreateKeyCommand(input))).KeyMetadata!.KeyId!;

  before(async () => {
    kms = await startEmulator({ port: 0 });
    client = kmsClient(kms);
  });
  after(() => kms.close());

  describe('aliases', () => {
    it('creates, lists (all, or of one key), updates and deletes aliases', async () => {
      const a = await newKey();
      const b = await newKey();
      await client.send(new CreateAliasCommand({ AliasName: 'alias/app-secrets', TargetKeyId: a }));
      await client.send(
        new CreateAliasCommand({ AliasName: 'alias/team/db_main-1', TargetKeyId: `arn:aws:kms:us-east-1:111122223333:key/${a}` }),
      );
      const ofA = (await client.send(new ListAliasesCommand({ KeyId: a }))).Aliases!;
      assert.deepEqual(
        ofA.map((x) => [x.AliasName, x.TargetKeyId, x.AliasArn]),
        [
          ['alias/app-secrets', a, 'arn:aws:kms:us-east-1:111122223333:alias/app-secrets'],
          ['alias/team/db_main-1', a, 'arn:aws:kms:us-east-1:111122223333:alias/team/db_main-1'],
        ],
      );
      assert.ok(ofA[0]?.CreationDate instanceof Date && ofA[0].LastUpdatedDate instanceof Date);
      await client.send(new UpdateAliasCommand({ AliasName: 'alias/app-secrets', TargetKeyId: b }));
      assert.deepEqual(
        (await client.send(new ListAliasesCommand({ KeyId: b }))).Aliases!.map((x) => x.AliasName),
        ['alias/app-secrets'],
      );
      const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: 'alias/app-secrets', Plaintext: utf8('x') }));
      assert.equal((await client.send(new DecryptCommand({ CiphertextBlob }))).KeyId, `arn:aws:kms:us-east-1:111122223333:key/${b}`);
      await client.send(new DeleteAliasCommand({ AliasName: 'alias/app-secrets' }));
      await rejectsWith(client.send(new DeleteAliasCommand({ AliasName: 'alias/app-secrets' })), 'NotFoundException');
      await rejectsWith(client.send(new UpdateAliasCommand({ AliasName: 'alias/app-secrets', TargetKeyId: a })), 'NotFoundException');
    });

    it('refuses duplicate, malformed and reserved names, aliases as targets, a change of key type, and the 51st alias of a key', async () => {
      const key = await newKey();
      await client.send(new CreateAliasCommand({ AliasName: 'alias/taken', TargetKeyId: key }));
      await rejectsWith(client.send(new CreateAliasCommand({ AliasName: 'alias/taken', TargetKeyId: key })), 'AlreadyExistsException', {
        message: /alias\/taken already exists/,
      });
      await rejectsWith(client.send(new CreateAliasCommand({ AliasName: 'no-prefix', TargetKeyId: key })), 'ValidationException', {
        message: /must start with the prefix "alias\/"/,
      });
      await rejectsWith(client.send(new CreateAliasCommand({ AliasName: 'alias/has space', TargetKeyId: key })), 'ValidationException', {
        message: /regular expression pattern/,
      });
      await rejectsWith(
        client.send(new CreateAliasCommand({ AliasName: 'alias/colon:name', TargetKeyId: key })),
        'InvalidAliasNameException',
      );
      await rejectsWith(
        client.send(new CreateAliasCommand({ AliasName: 'alias/aws/mine', TargetKeyId: key })),
        'InvalidAliasNameException',
      );
      await rejectsWith(
        client.send(new CreateAliasCommand({ AliasName: 'alias/via-alias', TargetKeyId: 'alias/taken' })),
        'NotFoundException',
      );
      const rsa = await newKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
      await rejectsWith(client.send(new UpdateAliasCommand({ AliasName: 'alias/taken', TargetKeyId: rsa })), 'ValidationException', {
        message: /same type/,
      });
      const crowded = await newKey();
      for (let i = 0; i < 50; i++) await client.send(new CreateAliasCommand({ AliasName: `alias/crowd-${i}`, TargetKeyId: crowded }));
      await rejectsWith(
        client.send(new CreateAliasCommand({ AliasName: 'alias/crowd-50', TargetKeyId: crowded })),
        'LimitExceededException',
      );
    });

    it('pages ListAliases with Limit 1 to 100', async () => {
      const regional = kmsClient(kms, 'sa-east-1');
      const key = (await regional.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
      for (const n of ['e', 'a', 'd', 'b', 'c']) await regional.send(new CreateAliasCommand({ AliasName: `alias/${n}`, TargetKeyId: key }));
      const first = await regional.send(new ListAliasesCommand({ Limit: 2 }));
      assert.deepEqual(
        first.Aliases!.map((x) => x.AliasName),
        ['alias/a', 'alias/b'],
      );
      assert.equal(first.Truncated, true);
      const second = await regional.send(new ListAliasesCommand({ Limit: 2, Marker: first.NextMarker }));
      const third = await regional.send(new ListAliasesCommand({ Limit: 2, Marker: second.NextMarker }));
      assert.deepEqual(
        [...second.Aliases!, ...third.Aliases!].map((x) => x.AliasName),
        ['alias/c', 'alias/d', 'alias/e'],
      );
      assert.equal(third.Truncated, false);
      assert.equal(third.NextMarker, undefined);
      await rejectsWith(regional.send(new ListAliasesCommand({ Limit: 101 })), 'ValidationException');
    });
  });

  describe('grants', () => {
    const grantee = 'arn:aws:iam::111122223333:role/app';
    const retiree = 'arn:aws:iam::111122223333:role/ops';

    it('creates a grant with id and token, lists it, and makes CreateGrant with the same Name idempotent', async () => {
      const key = await newKey();
      const created = await client.send(
        new CreateGrantCommand({
          KeyId: key,
          GranteePrincipal: grantee,
          RetiringPrincipal: retiree,
          Operations: ['Decrypt', 'Encrypt'],
          Name: 'app-access',
          Constraints: { EncryptionContextSubset: { app: 'web' } },
        }),
      );
      assert.match(created.GrantId!, /^[0-9a-f]{64}$/);
      assert.ok(created.GrantToken!.length > 64);
      const again = await client.send(
        new CreateGrantCommand({
          KeyId: key,
          GranteePrincipal: grantee,
          RetiringPrincipal: retiree,
          Operations: ['Decrypt', 'Encrypt'],
          Name: 'app-access',
        }),
      );
      assert.equal(again.GrantId, created.GrantId);
      const listed = await client.send(new ListGrantsCommand({ KeyId: key }));
      assert.equal(listed.Grants?.length, 1);
      const grant = listed.Grants[0];
      assert.deepEqual(
        { ...grant, CreationDate: undefined },
        {
          KeyId: `arn:aws:kms:us-east-1:111122223333:key/${key}`,
          GrantId: created.GrantId,
          Name: 'app-access',
          CreationDate: undefined,
          GranteePrincipal: grantee,
          RetiringPrincipal: retiree,
          IssuingAccount: 'arn:aws:iam::111122223333:root',
          Operations: ['Decrypt', 'Encrypt'],
          Constraints: { EncryptionContextSubset: { app: 'web' } },
        },
      );
      await client.send(new EncryptCommand({ KeyId: key, Plaintext: utf8('x'), GrantTokens: [created.GrantToken!] }));
      await rejectsWith(
        client.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: grantee, Operations: ['Sign'] })),
        'ValidationException',
        { message: /Sign/ },
      );
      await rejectsWith(
        client.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: grantee, Operations: ['Juggle' as 'Sign'] })),
        'ValidationException',
        { message: /enum value set/ },
      );
    });

    it('pages ListGrants (Limit 1 to 100) and lists retirable grants by retiring principal', async () => {
      const key = await newKey();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++)
        ids.push(
          (
            await client.send(
              new CreateGrantCommand({
                KeyId: key,
                GranteePrincipal: `${grantee}-${i}`,
                RetiringPrincipal: i === 1 ? `${retiree}-paging` : undefined,
                Operations: ['Decrypt'],
              }),
            )
          ).GrantId!,
        );
      const first = await client.send(new ListGrantsCommand({ KeyId: key, Limit: 2 }));
      const second = await client.send(new ListGrantsCommand({ KeyId: key, Limit: 2, Marker: first.NextMarker }));
      assert.deepEqual(new Set([...first.Grants!, ...second.Grants!].map((g) => g.GrantId)), new Set(ids));
      assert.equal(second.Truncated, false);
      assert.deepEqual(
        (await client.send(new ListGrantsCommand({ KeyId: key, GranteePrincipal: `${grantee}-2` }))).Grants!.map((g) => g.GrantId),
        [ids[2]],
      );
      await rejectsWith(client.send(new ListGrantsCommand({ KeyId: key, Limit: 101 })), 'ValidationException');
      const retirable = await client.send(new ListRetirableGrantsCommand({ RetiringPrincipal: `${retiree}-paging` }));
      assert.deepEqual(
        retirable.Grants!.map((g) => g.GrantId),
        [ids[1]],
      );
    });

    it('retires by token or by key and grant id, revokes, and does both whatever the key state', async () => {
      const key = await newKey();
      const make = async (): Promise<{ GrantId?: string; GrantToken?: string }> =>
        client.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: grantee, Operations: ['Decrypt'] }));
      const byToken = await make();
      const byId = await make();
      const revoked = await make();
      await client.send(new ScheduleKeyDeletionCommand({ KeyId: key, PendingWindowInDays: 7 }));
      await client.send(new RetireGrantCommand({ GrantToken: byToken.GrantToken }));
      await client.send(new RetireGrantCommand({ KeyId: `arn:aws:kms:us-east-1:111122223333:key/${key}`, GrantId: byId.GrantId }));
      await client.send(new RevokeGrantCommand({ KeyId: key, GrantId: revoked.GrantId }));
      assert.deepEqual((await client.send(new ListGrantsCommand({ KeyId: key }))).Grants, []);
      await rejectsWith(client.send(new RetireGrantCommand({ GrantToken: byToken.GrantToken })), 'InvalidGrantTokenException');
      await rejectsWith(client.send(new RevokeGrantCommand({ KeyId: key, GrantId: revoked.GrantId })), 'NotFoundException');
      await rejectsWith(client.send(new RevokeGrantCommand({ KeyId: key, GrantId: 'not-a-grant-id' })), 'InvalidGrantIdException');
      await rejectsWith(client.send(new RetireGrantCommand({ GrantId: byId.GrantId })), 'ValidationException');
    });
  });

  describe('key policies', () => {
    it('stores a policy verbatim and lists the one policy name, "default"', async () => {
      const key = await newKey();
      const policy = JSON.stringify(
        {
          Version: '2012-10-17',
          Id: 'key-consolepolicy-3',
          Statement: [
            {
              Sid: 'Enable IAM User Permissions',
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::111122223333:root' },
              Action: 'kms:*',
              Resource: '*',
            },
            {
              Sid: 'Allow use of the key',
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::111122223333:role/app' },
              Action: ['kms:Encrypt', 'kms:Decrypt'],
              Resource: '*',
            },
          ],
        },
        null,
        4,
      );
      await client.send(new PutKeyPolicyCommand({ KeyId: key, PolicyName: 'default', Policy: policy }));
      assert.equal((await client.send(new GetKeyPolicyCommand({ KeyId: key }))).Policy, policy);
      const names = await client.send(new ListKeyPoliciesCommand({ KeyId: key }));
      assert.deepEqual(names.PolicyNames, ['default']);
      assert.equal(names.Truncated, false);
      await rejectsWith(client.send(new GetKeyPolicyCommand({ KeyId: key, PolicyName: 'other' })), 'NotFoundException');
      await rejectsWith(client.send(new GetKeyPolicyCommand({ KeyId: 'alias/none' })), 'NotFoundException');
    });

    it('refuses a policy that is not JSON, lacks statements, or exceeds 32768 bytes with MalformedPolicyDocumentException', async () => {
      const key = await newKey();
      await rejectsWith(client.send(new PutKeyPolicyCommand({ KeyId: key, Policy: 'not json' })), 'MalformedPolicyDocumentException', {
        message: /not valid JSON/,
      });
      await rejectsWith(
        client.send(new PutKeyPolicyCommand({ KeyId: key, Policy: '{"Version":"2012-10-17"}' })),
        'MalformedPolicyDocumentException',
        { message: /Statement/ },
      );
      await rejectsWith(
        client.send(new PutKeyPolicyCommand({ KeyId: key, Policy: '{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}' })),
        'MalformedPolicyDocumentException',
        { message: /principal/ },
      );
      const statement = { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' };
      const big = JSON.stringify({ Version: '2012-10-17', Statement: [statement], Padding: 'x'.repeat(32768) });
      await rejectsWith(client.send(new PutKeyPolicyCommand({ KeyId: key, Policy: big })), 'MalformedPolicyDocumentException', {
        message: /32768/,
      });
      const fits = JSON.stringify({ Version: '2012-10-17', Statement: [statement] });
      await client.send(new PutKeyPolicyCommand({ KeyId: key, Policy: fits + ' '.repeat(32768 - fits.length) }));
    });
  });

  describe('tags', () => {
    it('tags, retags, untags and pages ListResourceTags; refuses aws: keys and the 51st tag', async () => {
      const key = await newKey();
      await client.send(
        new TagResourceCommand({
          KeyId: key,
          Tags: [
            { TagKey: 'env', TagValue: 'dev' },
            { TagKey: 'team', TagValue: 'core' },
            { TagKey: 'cost', TagValue: '42' },
          ],
        }),
      );
      await client.send(new TagResourceCommand({ KeyId: key, Tags: [{ TagKey: 'env', TagValue: 'prod' }] }));
      await client.send(new UntagResourceCommand({ KeyId: key, TagKeys: ['cost'] }));
      const first = await client.send(new ListResourceTagsCommand({ KeyId: key, Limit: 1 }));
      assert.equal(first.Truncated, true);
      const rest = await client.send(new ListResourceTagsCommand({ KeyId: key, Marker: first.NextMarker }));
      assert.deepEqual(
        [...first.Tags!, ...rest.Tags!],
        [
          { TagKey: 'env', TagValue: 'prod' },
          { TagKey: 'team', TagValue: 'core' },
        ],
      );
      await rejectsWith(client.send(new TagResourceCommand({ KeyId: key, Tags: [{ TagKey: 'aws:x', TagValue: 'y' }] })), 'TagException');
      await rejectsWith(
        client.send(
          new TagResourceCommand({ KeyId: key, Tags: Array.from({ length: 49 }, (_, i) => ({ TagKey: `k${i}`, TagValue: 'v' })) }),
        ),
        'LimitExceededException',
      );
      await client.send(
        new TagResourceCommand({ KeyId: key, Tags: Array.from({ length: 48 }, (_, i) => ({ TagKey: `k${i}`, TagValue: 'v' })) }),
      );
      assert.equal((await client.send(new ListResourceTagsCommand({ KeyId: key }))).Tags?.length, 50);
    });
  });

  describe('rotation', () => {
    it('enables automatic rotation with a period of 90 to 2560 days (default 365), reports and disables it', async () => {
      const key = await newKey();
      assert.deepEqual(
        { ...(await client.send(new GetKeyRotationStatusCommand({ KeyId: key }))), $metadata: undefined },
        { $metadata: undefined, KeyRotationEnabled: false, KeyId: `arn:aws:kms:us-east-1:111122223333:key/${key}` },
      );
      await rejectsWith(client.send(new EnableKeyRotationCommand({ KeyId: key, RotationPeriodInDays: 89 })), 'ValidationException', {
        message: /greater than or equal to 90/,
      });
      await rejectsWith(client.send(new EnableKeyRotationCommand({ KeyId: key, RotationPeriodInDays: 2561 })), 'ValidationException', {
        message: /less than or equal to 2560/,
      });
      await client.send(new EnableKeyRotationCommand({ KeyId: key, RotationPeriodInDays: 180 }));
      const status = await client.send(new GetKeyRotationStatusCommand({ KeyId: key }));
      assert.equal(status.KeyRotationEnabled, true);
      assert.equal(status.RotationPeriodInDays, 180);
      assert.ok(Math.abs(status.NextRotationDate!.getTime() - (Date.now() + 180 * day)) < 60_000);
      assert.equal(status.OnDemandRotationStartDate, undefined);
      await client.send(new EnableKeyRotationCommand({ KeyId: key }));
      assert.equal((await client.send(new GetKeyRotationStatusCommand({ KeyId: key }))).RotationPeriodInDays, 365);
      await client.send(new DisableKeyRotationCommand({ KeyId: key }));
      const disabled = await client.send(new GetKeyRotationStatusCommand({ KeyId: key }));
      assert.equal(disabled.KeyRotationEnabled, false);
      assert.equal(disabled.NextRotationDate, undefined);
      const rsa = await newKey({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
      await rejectsWith(client.send(new EnableKeyRotationCommand({ KeyId: rsa })), 'UnsupportedOperationException');
      await rejectsWith(client.send(new GetKeyRotationStatusCommand({ KeyId: rsa })), 'UnsupportedOperationException');
      await rejectsWith(client.send(new RotateKeyOnDemandCommand({ KeyId: rsa })), 'UnsupportedOperationException');
    });

    it('rotates on demand up to the limit of 10 per key, lists the rotations, and decrypts what every material made', async () => {
      const key = await newKey();
      const blobs: Uint8Array[] = [];
      for (let i = 0; i < 10; i++) {
        blobs.push((await client.send(new EncryptCommand({ KeyId: key, Plaintext: utf8(`v${i}`) }))).CiphertextBlob!);
        await client.send(new RotateKeyOnDemandCommand({ KeyId: key }));
      }
      await rejectsWith(client.send(new RotateKeyOnDemandCommand({ KeyId: key })), 'LimitExceededException', {
        message: /limit of 10 on-demand rotations/,
      });
      for (const [i, blob] of blobs.entries())
        assert.equal(text((await client.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext), `v${i}`);
      const page1 = await client.send(new ListKeyRotationsCommand({ KeyId: key, Limit: 4 }));
      assert.equal(page1.Rotations?.length, 4);
      assert.equal(page1.Truncated, true);
      const page2 = await client.send(new ListKeyRotationsCommand({ KeyId: key, Marker: page1.NextMarker }));
      const rotations = [...page1.Rotations, ...page2.Rotations!];
      assert.equal(rotations.length, 10);
      assert.ok(rotations.every((r) => r.RotationType === 'ON_DEMAND' && r.KeyId === key && r.RotationDate instanceof Date));
      assert.equal(new Set(rotations.map((r) => r.KeyMaterialId)).size, 10);
      assert.deepEqual(
        rotations.map((r) => r.KeyMaterialState),
        [...Array(9).fill('NON_CURRENT'), 'CURRENT'],
      );
    });

    it('reports an on-demand rotation in progress, and performs automatic rotations that fell due', async () => {
      const seeded = kms.seed({
        keys: [
          { ref: 'busy', rotation: { onDemandStartDate: new Date(Date.now() - 60_000).toISOString() } },
          {
            ref: 'old',
            creationDate: new Date(Date.now() - 400 * day).toISOString(),
            rotation: { enabled: true, periodInDays: 180, nextRotationDate: new Date(Date.now() - 40 * day).toISOString() },
          },
        ],
      });
      const busy = seeded.keys.find((k) => k.ref === 'busy')!.keyId;
      const status = await client.send(new GetKeyRotationStatusCommand({ KeyId: busy }));
      assert.ok(Math.abs(status.OnDemandRotationStartDate!.getTime() - (Date.now() - 60_000)) < 5_000);
      await rejectsWith(client.send(new RotateKeyOnDemandCommand({ KeyId: busy })), 'ConflictException');
      const old = seeded.keys.find((k) => k.ref === 'old')!.keyId;
      const rotations = (await client.send(new ListKeyRotationsCommand({ KeyId: old }))).Rotations!;
      assert.deepEqual(
        rotations.map((r) => r.RotationType),
        ['AUTOMATIC'],
      );
      const next = (await client.send(new GetKeyRotationStatusCommand({ KeyId: old }))).NextRotationDate!;
      assert.ok(Math.abs(next.getTime() - (Date.now() + 140 * day)) < 60_000, 'next rotation one period after the one that fell due');
    });
  });
});
