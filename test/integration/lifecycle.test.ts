// Key lifecycle and KMS operation commands (issue 6) in the real extension host against the
// KMS emulator: every command through its argument object, each refusal (wrong state, wrong
// key type, bad input), the scripted create-key wizard, and the interactive confirmations.
import * as assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, createVerify } from 'node:crypto';
import type { KeyMetadata } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import type { AliasResult } from '../../src/host/keyCommands/aliases';
import type { DataKeyPairResult, DataKeyResult } from '../../src/host/keyCommands/dataKeys';
import type { RandomResult } from '../../src/host/keyCommands/generateRandom';
import type { CreatedGrant, RetirableGrants } from '../../src/host/keyCommands/grants';
import type { ScheduledDeletion } from '../../src/host/keyCommands/keyDeletion';
import type { RotateNowResult, RotationHistory, RotationResult } from '../../src/host/keyCommands/keyRotation';
import type { TagsResult } from '../../src/host/keyCommands/keyTags';
import type { MacResult, VerifyMacResult } from '../../src/host/keyCommands/macs';
import type { PublicKeyResult } from '../../src/host/keyCommands/publicKey';
import type { SignResult, VerifyResult } from '../../src/host/keyCommands/signVerify';
import { EmulatorControl } from '../emulator/control';
import { emulatorUrl } from './util/env';
import {
  NodeStandIn,
  activeText,
  testing,
  aliasesOf,
  announced,
  closeEditors,
  createKey,
  type Env,
  keyNode,
  lifecycleEnv,
  refused,
  run,
  stateOf,
  uniqueAlias,
  withAnswers,
} from './lifecycle/support';

const ROLE = 'arn:aws:iam::111122223333:role/AppRole';
const ADMIN = 'arn:aws:iam::111122223333:role/KeyAdmin';

describe('key lifecycle commands', function () {
  this.timeout(60_000);
  let env: Env;

  before(async function () {
    const t = await testing().catch(() => undefined);
    if (!t) {
      // The packaged .vsix runs in production mode: no test API to reach the emulator through.
      console.log('      (skipped: the extension under test exposes no test API; this suite runs against the development folder)');
      this.skip();
    }
    env = await lifecycleEnv();
  });

  after(async () => {
    env?.dispose();
    await closeEditors();
  });

  describe('create key', () => {
    it('creates a symmetric key with alias, description and tags from its argument object, and announces it', async () => {
      const alias = uniqueAlias('create');
      const meta = await createKey({ alias, description: 'orders service', tags: { env: 'test', team: 'payments' } });
      assert.equal(meta.KeySpec, 'SYMMETRIC_DEFAULT');
      assert.equal(meta.KeyUsage, 'ENCRYPT_DECRYPT');
      assert.equal(meta.KeyState, 'Enabled');
      assert.equal(meta.Description, 'orders service');
      assert.deepEqual(await aliasesOf(env, meta.KeyId!), [alias]);
      const tags = await run<TagsResult>('tagKey', { keyId: meta.KeyId, tags: { extra: '1' } });
      assert.deepEqual(tags.tags, { env: 'test', team: 'payments', extra: '1' });
      assert.ok(
        env.changes.some((c) => c.connectionId === env.connection.id && c.keyId === undefined),
        'a new key is announced for the connection',
      );
      assert.ok(announced(env, meta.KeyId), 'the new key is announced by id');
    });

    it('creates asymmetric, HMAC and multi-Region keys by key spec and usage', async () => {
      const rsa = await createKey({ keySpec: 'RSA_3072', keyUsage: 'SIGN_VERIFY' });
      assert.equal(rsa.KeySpec, 'RSA_3072');
      assert.equal(rsa.KeyUsage, 'SIGN_VERIFY');
      const hmac = await createKey({ keySpec: 'HMAC_384' });
      assert.equal(hmac.KeyUsage, 'GENERATE_VERIFY_MAC');
      const mrk = await createKey({ multiRegion: true });
      assert.equal(mrk.MultiRegion, true);
      assert.match(mrk.KeyId!, /^mrk-/);
    });

    it('writes a console-style policy with key administrators and key users', async () => {
      const meta = await createKey({ administrators: [ADMIN], users: [ROLE, 'lambda.amazonaws.com'], allowAdministratorsToDelete: false });
      const policy = JSON.parse(await env.gateway.getKeyPolicy(meta.KeyId!)) as {
        Statement: { Sid: string; Principal: Record<string, unknown>; Action: string | string[] }[];
      };
      const bySid = new Map(policy.Statement.map((s) => [s.Sid, s]));
      assert.deepEqual(bySid.get('Enable IAM User Permissions')?.Principal, { AWS: 'arn:aws:iam::111122223333:root' });
      assert.deepEqual(bySid.get('Allow access for Key Administrators')?.Principal, { AWS: [ADMIN] });
      assert.ok(!(bySid.get('Allow access for Key Administrators')?.Action as string[]).includes('kms:ScheduleKeyDeletion'));
      assert.deepEqual(bySid.get('Allow use of the key')?.Principal, { AWS: [ROLE], Service: ['lambda.amazonaws.com'] });
      assert.deepEqual(bySid.get('Allow attachment of persistent resources')?.Principal, { AWS: [ROLE] });
    });

    it('refuses bad input before creating anything', async () => {
      const before = (await collectKeys(env)).length;
      await refused('createKey', { alias: 'alias/has space' }, /"alias": "alias\/has space" is not a valid alias name/);
      await refused('createKey', { alias: 'alias/aws/mine' }, /reserved for AWS managed keys/);
      await refused('createKey', { users: ['bob'] }, /"users": "bob" is not a principal format KMS accepts/);
      await refused('createKey', { administrators: ['ec2.amazonaws.com'] }, /a key administrator must be an account, user or role/);
      await refused('createKey', { keySpec: 'RSA_2048' }, /give keyUsage too/);
      await refused('createKey', { keySpec: 'HMAC_256', keyUsage: 'SIGN_VERIFY' }, /cannot have key usage SIGN_VERIFY/);
      await refused('createKey', { policy: 'default', users: [ROLE] }, /set "policy" to "console"/);
      await refused('createKey', { tags: { 'aws:owner': 'me' } }, /reserved for AWS/);
      await refused('createKey', { colour: 'blue' }, /does not take "colour"/);
      const taken = uniqueAlias('taken');
      await createKey({ alias: taken });
      const afterOne = (await collectKeys(env)).length;
      await refused('createKey', { alias: taken }, /already exists .* no key was created/);
      assert.equal((await collectKeys(env)).length, afterOne, 'no key is created when the alias is taken');
      assert.equal(afterOne, before + 1);
    });

    it('runs the wizard through its prompts: type, spec, Regionality, alias, description, tags, console policy', async () => {
      const alias = uniqueAlias('wizard');
      const { result, ui } = await withAnswers(
        env,
        [
          /^Asymmetric: sign and verify$/,
          'ECC_NIST_P384',
          'Single-Region key',
          alias.slice('alias/'.length),
          'made by the wizard',
          'env=wizard, owner=tests',
          /^Console-style/,
          `${ADMIN}, 111122223333`,
          /^Allow key administrators to delete/,
          ROLE,
          true,
        ],
        () => run<KeyMetadata>('createKey'),
      );
      assert.equal(ui.remaining, 0, 'every scripted answer was asked for');
      assert.deepEqual(
        ui.asked.map((a) => a.kind),
        ['pick', 'pick', 'pick', 'input', 'input', 'input', 'pick', 'input', 'pick', 'input', 'confirm'],
      );
      // The step counter goes 1, 2, 3… to "n of n" (the policy's extra prompts grow the total), and the summary is no warning.
      const steps = ui.asked.filter((a) => a.kind !== 'confirm').map((a) => `${a.step} of ${a.totalSteps}`);
      assert.deepEqual(steps, ['1 of 7', '2 of 7', '3 of 7', '4 of 7', '5 of 7', '6 of 7', '7 of 7', '8 of 9', '9 of 10', '10 of 10']);
      assert.equal(ui.asked.at(-1)?.severity, 'info');
      assert.match(ui.asked[0].title ?? '', /Create key/);
      assert.ok(ui.asked[0].labels?.includes('HMAC: generate and verify MACs'));
      assert.ok(ui.asked[1].labels?.includes('ECC_SECG_P256K1'));
      assert.equal(result.KeySpec, 'ECC_NIST_P384');
      assert.equal(result.KeyUsage, 'SIGN_VERIFY');
      assert.equal(result.Description, 'made by the wizard');
      assert.deepEqual(await aliasesOf(env, result.KeyId!), [alias]);
      const tags = await run<TagsResult>('tagKey', { keyId: result.KeyId, tags: { more: 'x' } });
      assert.equal(tags.tags.owner, 'tests');
      const policy = await env.gateway.getKeyPolicy(result.KeyId!);
      assert.match(policy, /"Allow access for Key Administrators"/);
      assert.match(policy, /arn:aws:iam::111122223333:role\/KeyAdmin/);
      assert.match(policy, /"kms:Sign"/, 'users of a signing key get kms:Sign');
    });

    it('shows problems in the wizard as the person types (malformed alias, unknown principal)', async () => {
      const before = (await collectKeys(env)).length;
      const first = await withAnswers(env, [/^Symmetric/, 'Single-Region key', 'bad alias!'], () => run('createKey'));
      assert.equal(first.result, undefined, 'the wizard stopped');
      assert.match(first.ui.asked.at(-1)?.validationMessage ?? '', /"alias\/bad alias!" is not a valid alias name/);
      const second = await withAnswers(
        env,
        [/^Symmetric/, 'Single-Region key', '', '', '', /^Console-style/, 'arn:aws:iam::111122223333:group/devs'],
        () => run('createKey'),
      );
      assert.equal(second.result, undefined, 'the wizard stopped');
      assert.match(second.ui.asked.at(-1)?.validationMessage ?? '', /IAM group cannot be a principal/);
      const third = await withAnswers(env, [/^Symmetric/, 'Single-Region key', '', '', '', /^Console-style/, 'bob'], () =>
        run('createKey'),
      );
      assert.match(third.ui.asked.at(-1)?.validationMessage ?? '', /"bob" is not a principal format KMS accepts/);
      assert.equal((await collectKeys(env)).length, before, 'no key was created');
    });
  });

  describe('enable, disable, description, tags', () => {
    let keyId: string;
    before(async () => {
      keyId = (await createKey({ alias: uniqueAlias('state') })).KeyId!;
    });

    it('disable refuses an argument object without confirm: true, and leaves the key enabled', async () => {
      await refused('disableKey', { keyId }, /add "confirm": true/);
      assert.equal(await stateOf(env, keyId), 'Enabled');
    });

    it('disables and enables, announcing the key each time', async () => {
      env.changes.length = 0;
      const disabled = await run<KeyMetadata>('disableKey', { keyId, confirm: true });
      assert.equal(disabled.KeyState, 'Disabled');
      assert.ok(announced(env, keyId));
      await refused('disableKey', { keyId, confirm: true }, /The key is already disabled/);
      await refused(
        'createGrant',
        { keyId, granteePrincipal: ROLE, operations: ['Decrypt'] },
        /disabled, so no grant can be created\. Enable the key first/,
      );
      await refused('generateDataKey', { keyId }, /disabled, so it cannot be used to generate data keys\. Enable the key first/);
      const enabled = await run<KeyMetadata>('enableKey', { keyId });
      assert.equal(enabled.KeyState, 'Enabled');
      await refused('enableKey', { keyId }, /already enabled/);
    });

    it('disables from a tree node after confirming', async () => {
      const { ui } = await withAnswers(env, [true], () => run('disableKey', keyNode(env, keyId)));
      assert.match(ui.shown[0].message, /^Disable /);
      assert.match(ui.shown[0].detail ?? '', /enabling it undoes this/);
      assert.equal(await stateOf(env, keyId), 'Disabled');
      const declined = await withAnswers(env, [], () => run('enableKey', keyNode(env, keyId)));
      assert.equal(declined.ui.asked.length, 0, 'enabling asks nothing');
      assert.equal(await stateOf(env, keyId), 'Enabled');
    });

    it('updates and clears the description, refusing one over 8,192 characters', async () => {
      assert.equal((await run<KeyMetadata>('updateKeyDescription', { keyId, description: 'new words' })).Description, 'new words');
      assert.equal((await run<KeyMetadata>('updateKeyDescription', { keyId, description: '' })).Description ?? '', '');
      await refused('updateKeyDescription', { keyId, description: 'x'.repeat(8193) }, /8193 characters long; KMS allows at most 8192/);
      await refused('updateKeyDescription', { keyId, description: 42 }, /"description" must be a string/);
    });

    it('tags and untags, refusing reserved keys and empty requests', async () => {
      const tagged = await run<TagsResult>('tagKey', { keyId, tags: { a: '1', b: '2' } });
      assert.deepEqual(tagged.tags, { a: '1', b: '2' });
      await refused('tagKey', { keyId, tags: { 'aws:x': '1' } }, /reserved for AWS/);
      await refused('tagKey', { keyId, tags: {} }, /at least one tag/);
      await refused('tagKey', { keyId, tags: ['a'] }, /"tags" must be an object of tag values/);
      const untagged = await run<TagsResult>('untagKey', { keyId, tagKeys: ['a'] });
      assert.deepEqual(untagged.tags, { b: '2' });
      await refused('untagKey', { keyId, tagKeys: [] }, /at least one tag key/);
    });

    it('refuses an unknown key', async () => {
      await refused('disableKey', { keyId: 'alias/does-not-exist', confirm: true }, /Not found|NotFound|not exist/i);
    });
  });

  describe('schedule and cancel deletion', () => {
    it('refuses without confirm and a waiting period of 6, then schedules with 7 days', async () => {
      const keyId = (await createKey()).KeyId!;
      await refused('scheduleKeyDeletion', { keyId, pendingWindowInDays: 7 }, /add "confirm": true/);
      await refused(
        'scheduleKeyDeletion',
        { keyId, pendingWindowInDays: 6, confirm: true },
        /"pendingWindowInDays" must be from 7 to 30, not 6/,
      );
      await refused('scheduleKeyDeletion', { keyId, pendingWindowInDays: 31, confirm: true }, /from 7 to 30, not 31/);
      assert.equal(await stateOf(env, keyId), 'Enabled', 'nothing was scheduled by the refusals');
      const started = Date.now();
      const scheduled = await run<ScheduledDeletion>('scheduleKeyDeletion', { keyId, pendingWindowInDays: 7, confirm: true });
      assert.equal(scheduled.keyState, 'PendingDeletion');
      assert.equal(scheduled.pendingWindowInDays, 7);
      const days = (Date.parse(scheduled.deletionDate!) - started) / 86_400_000;
      assert.ok(days > 6.9 && days < 7.1, `deletion in ${days} days`);
      assert.ok(announced(env, keyId));
    });

    it('refuses what a key pending deletion cannot do, naming the state and the fix', async () => {
      const keyId = (await createKey()).KeyId!;
      const scheduled = await run<ScheduledDeletion>('scheduleKeyDeletion', { keyId, confirm: true });
      assert.equal(scheduled.pendingWindowInDays, 30, 'the default waiting period is 30 days');
      const days = ((await env.gateway.describeKey(keyId)).DeletionDate!.getTime() - Date.now()) / 86_400_000;
      assert.ok(days > 29.9 && days <= 30, `deletion in ${days} days`);
      await refused('tagKey', { keyId, tags: { a: 'b' } }, /pending deletion, so you cannot tag it\. Cancel the key deletion first/);
      await refused(
        'generateDataKey',
        { keyId },
        /pending deletion, so it cannot be used to generate data keys\. Cancel the key deletion, then enable the key/,
      );
      await refused('scheduleKeyDeletion', { keyId, confirm: true }, /already pending deletion/);
      await refused('enableKey', { keyId }, /only a disabled key can be enabled\. Cancel the key deletion, then enable the key/);
      await refused('createAlias', { keyId, aliasName: uniqueAlias() }, /cannot give it an alias/);
      const cancelled = await run<KeyMetadata>('cancelKeyDeletion', { keyId });
      assert.equal(cancelled.KeyState, 'Disabled', 'a cancelled deletion leaves the key disabled');
      await refused('cancelKeyDeletion', { keyId }, /not pending deletion/);
    });

    it('cancels and enables with enable: true', async () => {
      const keyId = (await createKey()).KeyId!;
      await run('scheduleKeyDeletion', { keyId, confirm: true, pendingWindowInDays: 8 });
      const meta = await run<KeyMetadata>('cancelKeyDeletion', { keyId, enable: true });
      assert.equal(meta.KeyState, 'Enabled');
    });

    it('interactively shows dependants, asks the waiting period and the typed alias, then offers to enable on cancel', async () => {
      const alias = uniqueAlias('doomed');
      const keyId = (await createKey({ alias })).KeyId!;
      const grant = await run<CreatedGrant>('createGrant', { keyId, granteePrincipal: ROLE, operations: ['Decrypt'], name: 'reader' });
      const six = await withAnswers(env, [true, '6'], () => run('scheduleKeyDeletion', keyNode(env, keyId, [alias])));
      assert.equal(six.result, undefined);
      const shown = six.ui.shown[0];
      assert.match(shown.message, new RegExp(`Schedule deletion of ${alias}\\?`));
      assert.match(shown.detail ?? '', new RegExp(`Aliases that will be deleted with it: ${alias}\\.`));
      assert.match(shown.detail ?? '', /Grants that will stop working \(1\): "reader" arn:aws:iam::111122223333:role\/AppRole \(Decrypt\)/);
      assert.match(shown.detail ?? '', /can never be decrypted again/);
      assert.match(six.ui.asked[1].validationMessage ?? '', /must be from 7 to 30, not 6/);
      assert.equal(await stateOf(env, keyId), 'Enabled', 'a waiting period of 6 schedules nothing');

      const wrong = await withAnswers(env, [true, '9', 'not-the-alias'], () => run('scheduleKeyDeletion', keyNode(env, keyId, [alias])));
      assert.equal(wrong.result, undefined);
      assert.match(wrong.ui.asked[2].validationMessage ?? '', new RegExp(`Type ${alias} exactly`));
      assert.equal(await stateOf(env, keyId), 'Enabled', 'nothing is scheduled without the typed alias');

      const ok = await withAnswers(env, [true, '9', alias], () =>
        run<ScheduledDeletion>('scheduleKeyDeletion', keyNode(env, keyId, [alias])),
      );
      assert.equal(ok.result.pendingWindowInDays, 9);
      assert.equal(await stateOf(env, keyId), 'PendingDeletion');
      assert.ok(grant.grantId);

      const cancelled = await withAnswers(env, ['Enable Key'], () => run<KeyMetadata>('cancelKeyDeletion', keyNode(env, keyId, [alias])));
      assert.match(cancelled.ui.shown[0].message, /The key is disabled now: enable it\?/);
      assert.equal(cancelled.result.KeyState, 'Enabled');
    });
  });

  describe('rotation', () => {
    let keyId: string;
    before(async () => {
      keyId = (await createKey()).KeyId!;
    });

    it('enables with a period of 90–2560 days, refusing 89', async () => {
      await refused('enableKeyRotation', { keyId, rotationPeriodInDays: 89 }, /"rotationPeriodInDays" must be from 90 to 2560, not 89/);
      const status = await run<RotationResult>('enableKeyRotation', { keyId, rotationPeriodInDays: 180 });
      assert.equal(status.enabled, true);
      assert.equal(status.rotationPeriodInDays, 180);
      assert.ok(status.nextRotationDate, 'a next rotation date');
    });

    it('rotates now and shows the history', async () => {
      const rotated = await run<RotateNowResult>('rotateKeyNow', { keyId });
      assert.equal(rotated.rotations, 1);
      const history = await run<RotationHistory>('showKeyRotations', { keyId, show: true });
      assert.equal(history.rotations.length, 1);
      assert.equal(history.rotations[0].rotationType, 'ON_DEMAND');
      const { text, uri } = activeText();
      assert.equal(uri.scheme, 'kms-workbench-output');
      assert.match(text, /Automatic rotation: \*\*on\*\*, every 180 days/);
      assert.match(text, /on demand/);
    });

    it('disables rotation', async () => {
      const status = await run<RotationResult>('disableKeyRotation', { keyId });
      assert.equal(status.enabled, false);
    });

    it('refuses rotation for keys that cannot rotate', async () => {
      const hmac = (await createKey({ keySpec: 'HMAC_256' })).KeyId!;
      await refused('enableKeyRotation', { keyId: hmac }, /Rotation is only for symmetric encryption keys/);
      await refused('rotateKeyNow', { keyId: hmac }, /Rotation is only for symmetric encryption keys/);
      await refused('showKeyRotations', { keyId: hmac }, /Only symmetric encryption keys rotate automatically/);
      await run('disableKey', { keyId, confirm: true });
      await refused('rotateKeyNow', { keyId }, /disabled, so it cannot be used to rotate now\. Enable the key first/);
      await run('enableKey', { keyId });
    });
  });

  describe('aliases', () => {
    let a: string;
    let b: string;
    let rsa: string;
    before(async () => {
      a = (await createKey()).KeyId!;
      b = (await createKey()).KeyId!;
      rsa = (await createKey({ keySpec: 'RSA_2048', keyUsage: 'ENCRYPT_DECRYPT' })).KeyId!;
    });

    it('creates an alias, adding alias/ when missing, and refuses malformed and reserved names', async () => {
      const name = uniqueAlias('alias');
      const created = await run<AliasResult>('createAlias', { keyId: a, aliasName: name.slice('alias/'.length) });
      assert.deepEqual(created, { aliasName: name, targetKeyId: a });
      assert.deepEqual(await aliasesOf(env, a), [name]);
      await refused(
        'createAlias',
        { keyId: a, aliasName: 'alias/bad name' },
        /"aliasName": "alias\/bad name" is not a valid alias name: use only letters, digits/,
      );
      await refused('createAlias', { keyId: a, aliasName: 'alias/aws/s3' }, /reserved for AWS managed keys/);
      await refused('createAlias', { keyId: b, aliasName: name }, /already exists \(it points at/);
    });

    it('points an alias at another key of the same type, refusing one of another type', async () => {
      const name = uniqueAlias('move');
      await run('createAlias', { keyId: a, aliasName: name });
      env.changes.length = 0;
      const moved = await run<AliasResult>('updateAlias', { aliasName: name, targetKeyId: b });
      assert.deepEqual(moved, { aliasName: name, targetKeyId: b, previousKeyId: a });
      assert.deepEqual(await aliasesOf(env, b), [name]);
      assert.ok(announced(env, a) && announced(env, b), 'both keys are announced');
      await refused('updateAlias', { aliasName: name, targetKeyId: rsa }, /can only be moved to another symmetric ENCRYPT_DECRYPT key/);
      await refused('updateAlias', { aliasName: name, targetKeyId: b }, /already points at this key/);
      await refused('updateAlias', { aliasName: 'alias/never-made', targetKeyId: a }, /There is no alias alias\/never-made/);
    });

    it('deletes an alias only with confirm: true, and never an AWS managed one', async () => {
      const name = uniqueAlias('gone');
      await run('createAlias', { keyId: a, aliasName: name });
      await refused('deleteAlias', { aliasName: name }, /add "confirm": true/);
      assert.ok((await aliasesOf(env, a)).includes(name));
      await run('deleteAlias', { aliasName: name, confirm: true });
      assert.ok(!(await aliasesOf(env, a)).includes(name));
      await refused('deleteAlias', { aliasName: 'alias/aws/ebs', confirm: true }, /AWS managed key; AWS manages it/);
    });

    it('deletes an alias from its tree node after confirming', async () => {
      const name = uniqueAlias('node');
      await run('createAlias', { keyId: a, aliasName: name });
      const node = new NodeStandIn({ kind: 'alias', connection: env.connection, aliasName: name, targetKeyId: a });
      const { ui } = await withAnswers(env, [true], () => run('deleteAlias', node));
      assert.match(ui.shown[0].message, new RegExp(`Delete ${name}\\?`));
      assert.ok(!(await aliasesOf(env, a)).includes(name));
    });
  });

  describe('grants', () => {
    let keyId: string;
    before(async () => {
      keyId = (await createKey()).KeyId!;
    });

    it('creates a grant and returns its id and token', async () => {
      const grant = await run<CreatedGrant>('createGrant', {
        keyId,
        granteePrincipal: ROLE,
        operations: ['Decrypt', 'Encrypt'],
        retiringPrincipal: '111122223333',
        encryptionContextSubset: { app: 'web' },
        name: 'web-app',
      });
      assert.ok(grant.grantId);
      assert.ok(grant.grantToken);
      const listed = [];
      for await (const g of env.gateway.listGrants(keyId)) listed.push(g);
      const found = listed.find((g) => g.GrantId === grant.grantId);
      assert.ok(found, 'the grant is listed');
      assert.equal(found.GranteePrincipal, ROLE);
      assert.equal(found.RetiringPrincipal, 'arn:aws:iam::111122223333:root', 'an account id becomes its root ARN');
      assert.deepEqual(found.Constraints?.EncryptionContextSubset, { app: 'web' });
      assert.ok(announced(env, keyId));
    });

    it('refuses an unknown principal format, wrong operations and constraints on asymmetric keys', async () => {
      await refused(
        'createGrant',
        { keyId, granteePrincipal: 'my-app', operations: ['Decrypt'] },
        /"granteePrincipal": "my-app" is not a principal format KMS accepts/,
      );
      await refused('createGrant', { keyId, granteePrincipal: ROLE, operations: ['Sign'] }, /cannot grant Sign/);
      await refused('createGrant', { keyId, granteePrincipal: ROLE, operations: ['Explode'] }, /"Explode" is not a grant operation/);
      await refused('createGrant', { keyId, granteePrincipal: ROLE }, /"operations" is required/);
      await refused('createGrant', { keyId, granteePrincipal: ROLE, operations: ['Decrypt'], name: 'bad name' }, /not a valid grant name/);
      const signing = (await createKey({ keySpec: 'ECC_NIST_P256' })).KeyId!;
      await refused(
        'createGrant',
        { keyId: signing, granteePrincipal: ROLE, operations: ['Sign'], encryptionContextEquals: { a: 'b' } },
        /only for symmetric encryption keys/,
      );
    });

    it('lists retirable grants, retires by token and revokes by id, both only with confirm: true', async () => {
      const retiring = 'arn:aws:iam::111122223333:role/Retirer';
      const g1 = await run<CreatedGrant>('createGrant', {
        keyId,
        granteePrincipal: ROLE,
        operations: ['Decrypt'],
        retiringPrincipal: retiring,
      });
      const g2 = await run<CreatedGrant>('createGrant', { keyId, granteePrincipal: ROLE, operations: ['Encrypt'] });
      const retirable = await run<RetirableGrants>('listRetirableGrants', { retiringPrincipal: retiring });
      assert.ok(retirable.grants.some((g) => g.GrantId === g1.grantId));
      assert.ok(!retirable.grants.some((g) => g.GrantId === g2.grantId));
      await refused('listRetirableGrants', { retiringPrincipal: 'Retirer' }, /not a principal format/);

      await refused('retireGrant', { grantToken: g1.grantToken }, /add "confirm": true/);
      await refused(
        'retireGrant',
        { grantToken: g1.grantToken, grantId: g1.grantId, confirm: true },
        /either "grantToken", or "keyId" and "grantId"/,
      );
      await run('retireGrant', { grantToken: g1.grantToken, confirm: true });
      await refused('revokeGrant', { keyId, grantId: g2.grantId }, /add "confirm": true/);
      await run('revokeGrant', { keyId, grantId: g2.grantId, confirm: true });
      const left = [];
      for await (const g of env.gateway.listGrants(keyId)) left.push(g.GrantId);
      assert.ok(!left.includes(g1.grantId) && !left.includes(g2.grantId), 'both grants are gone');
    });

    it('revokes from a grant node after confirming', async () => {
      const g = await run<CreatedGrant>('createGrant', { keyId, granteePrincipal: ROLE, operations: ['Decrypt'], name: 'from-node' });
      let entry;
      for await (const x of env.gateway.listGrants(keyId)) if (x.GrantId === g.grantId) entry = x;
      assert.ok(entry);
      const node = new NodeStandIn({ kind: 'grant', connection: env.connection, keyId, grant: entry });
      const { ui } = await withAnswers(env, [true], () => run('revokeGrant', node));
      assert.match(ui.shown[0].message, /Revoke "from-node"/);
      const left = [];
      for await (const x of env.gateway.listGrants(keyId)) left.push(x.GrantId);
      assert.ok(!left.includes(g.grantId), 'the grant is revoked');
    });

    it('runs the grant wizard and shows the token once', async () => {
      const { result, ui } = await withAnswers(
        env,
        [ROLE, ['Decrypt', 'GenerateDataKey'], '', 'No constraint', 'wizard-grant', true, 'Copy Grant ID'],
        () => run<CreatedGrant>('createGrant', keyNode(env, keyId)),
      );
      assert.equal(ui.remaining, 0);
      const tokenPrompt = ui.shown.at(-1);
      assert.equal(tokenPrompt?.kind, 'choose');
      assert.match(tokenPrompt?.message ?? '', /token is shown only now/);
      assert.ok(result.grantToken);
      assert.ok(tokenPrompt?.detail?.startsWith(result.grantToken), 'the token itself is shown');
      assert.equal(await vscode.env.clipboard.readText(), result.grantId, '"Copy Grant ID" copied it');
      assert.deepEqual(ui.asked[1].labels, [
        'Encrypt',
        'Decrypt',
        'GenerateDataKey',
        'GenerateDataKeyWithoutPlaintext',
        'GenerateDataKeyPair',
        'GenerateDataKeyPairWithoutPlaintext',
        'ReEncryptFrom',
        'ReEncryptTo',
        'DescribeKey',
        'CreateGrant',
        'RetireGrant',
      ]);
    });
  });

  describe('data keys and random bytes', () => {
    let keyId: string;
    before(async () => {
      keyId = (await createKey()).KeyId!;
    });

    it('generates a data key into a read-only in-memory editor, returning only its ciphertext', async () => {
      const result = await run<DataKeyResult>('generateDataKey', { keyId, encryptionContext: { purpose: 'test' } });
      assert.equal(result.output, 'editor');
      assert.ok(!('plaintext' in result) && !JSON.stringify(result).includes('Plaintext'), 'no plaintext in the result');
      const { text, uri } = activeText();
      assert.equal(uri.scheme, 'kms-workbench-output', 'not a file, not an untitled editor');
      const doc = JSON.parse(text) as { Plaintext: string; CiphertextBlob: string };
      assert.equal(Buffer.from(doc.Plaintext, 'base64').length, 32);
      assert.equal(doc.CiphertextBlob, result.ciphertextBlob);
      const decrypted = await env.gateway.decrypt({
        ciphertext: Buffer.from(result.ciphertextBlob, 'base64'),
        encryptionContext: { purpose: 'test' },
      });
      assert.equal(Buffer.from(decrypted.plaintext).toString('base64'), doc.Plaintext);
      assert.ok(vscode.workspace.textDocuments.every((d) => d.uri.scheme !== 'untitled' || !d.getText().includes(doc.Plaintext)));
    });

    it('generates an AES_128 data key to the clipboard', async () => {
      const result = await run<DataKeyResult>('generateDataKey', { keyId, keySpec: 'AES_128', output: 'clipboard' });
      const clip = await vscode.env.clipboard.readText();
      assert.equal(Buffer.from(clip, 'base64').length, 16);
      const decrypted = await env.gateway.decrypt({ ciphertext: Buffer.from(result.ciphertextBlob, 'base64') });
      assert.equal(
        Buffer.from(decrypted.plaintext).toString('base64'),
        clip,
        'the clipboard holds the plaintext of the returned ciphertext',
      );
    });

    it('generates a data key without plaintext, and key pairs with and without plaintext', async () => {
      const np = await run<DataKeyResult>('generateDataKeyWithoutPlaintext', { keyId });
      assert.equal(np.output, 'none');
      const decrypted = await env.gateway.decrypt({ ciphertext: Buffer.from(np.ciphertextBlob, 'base64') });
      assert.equal(decrypted.plaintext.length, 32);

      const pair = await run<DataKeyPairResult>('generateDataKeyPair', { keyId, keyPairSpec: 'ECC_NIST_P256' });
      const doc = JSON.parse(activeText().text) as { PrivateKeyPem: string; PublicKeyPem: string };
      assert.equal(doc.PublicKeyPem, pair.publicKey);
      const derived = createPublicKey(createPrivateKey(doc.PrivateKeyPem)).export({ type: 'spki', format: 'pem' });
      assert.equal(derived, pair.publicKey, 'the private key belongs to the public key');

      const npPair = await run<DataKeyPairResult>('generateDataKeyPairWithoutPlaintext', { keyId, keyPairSpec: 'RSA_2048' });
      const privateDer = (await env.gateway.decrypt({ ciphertext: Buffer.from(npPair.privateKeyCiphertextBlob, 'base64') })).plaintext;
      const fromPrivate = createPublicKey(createPrivateKey({ key: Buffer.from(privateDer), format: 'der', type: 'pkcs8' })).export({
        type: 'spki',
        format: 'pem',
      });
      assert.equal(fromPrivate, npPair.publicKey);
    });

    it('refuses data keys under keys of the wrong type and bad specs', async () => {
      const signing = (await createKey({ keySpec: 'ECC_NIST_P256' })).KeyId!;
      await refused('generateDataKey', { keyId: signing }, /Data keys need a symmetric encryption key/);
      await refused('generateDataKeyPair', { keyId: signing }, /Data keys need a symmetric encryption key/);
      await refused('generateDataKey', { keyId, keySpec: 'AES_512' }, /"keySpec" must be one of AES_256, AES_128/);
      await refused('generateDataKey', { keyId, output: 'none' }, /"output" must be one of editor, clipboard/);
    });

    it('generates random bytes in the chosen encoding, refusing lengths outside 1–1024', async () => {
      await refused('generateRandom', { numberOfBytes: 0 }, /from 1 to 1024, not 0/);
      await refused('generateRandom', { numberOfBytes: 1025 }, /from 1 to 1024, not 1025/);
      const result = await run<RandomResult>('generateRandom', { numberOfBytes: 24, encoding: 'hex' });
      assert.deepEqual(result, { numberOfBytes: 24, encoding: 'hex', output: 'editor' });
      assert.match(activeText().text.trim(), /^[0-9a-f]{48}$/);
    });
  });

  describe('sign, verify, public key, MACs', () => {
    let signing: KeyMetadata;
    let hmac: string;
    before(async () => {
      signing = await createKey({ keySpec: 'ECC_NIST_P256' });
      hmac = (await createKey({ keySpec: 'HMAC_256' })).KeyId!;
    });

    it('signs a message; the signature verifies with the PEM public key outside KMS and with Verify', async () => {
      const signed = await run<SignResult>('signMessage', { keyId: signing.KeyId, message: 'hello world' });
      assert.equal(signed.signingAlgorithm, 'ECDSA_SHA_256');
      const pub = await run<PublicKeyResult>('getPublicKey', { keyId: signing.KeyId });
      assert.match(pub.publicKey, /^-----BEGIN PUBLIC KEY-----\n/);
      const verifier = createVerify('sha256');
      verifier.update('hello world');
      assert.ok(verifier.verify(pub.publicKey, Buffer.from(signed.signature, 'base64')), 'Node verifies the KMS signature with the PEM');
      const ok = await run<VerifyResult>('verifySignature', { keyId: signing.KeyId, message: 'hello world', signature: signed.signature });
      assert.equal(ok.signatureValid, true);
      const bad = await run<VerifyResult>('verifySignature', { keyId: signing.KeyId, message: 'hello there', signature: signed.signature });
      assert.equal(bad.signatureValid, false, 'a mismatch is a result, not a failure');
    });

    it('signs a digest, refusing one of the wrong length', async () => {
      const digest = Buffer.alloc(32, 7).toString('hex');
      const signed = await run<SignResult>('signMessage', {
        keyId: signing.KeyId,
        message: digest,
        messageEncoding: 'hex',
        messageType: 'DIGEST',
      });
      assert.equal(signed.messageType, 'DIGEST');
      await refused(
        'signMessage',
        { keyId: signing.KeyId, message: 'abcd', messageEncoding: 'hex', messageType: 'DIGEST' },
        /a digest for ECDSA_SHA_256 is 32 bytes; this one is 2/,
      );
      await refused('signMessage', { keyId: signing.KeyId, message: 'zz', messageEncoding: 'hex' }, /not hex/);
      await refused('signMessage', { keyId: signing.KeyId, message: 'x'.repeat(4097) }, /4097 bytes; KMS takes at most 4096/);
      await refused(
        'signMessage',
        { keyId: signing.KeyId, message: 'x', signingAlgorithm: 'RSASSA_PSS_SHA_256' },
        /not one of this key's algorithms: ECDSA_SHA_256/,
      );
    });

    it('refuses signing, public keys and MACs with keys of the wrong type', async () => {
      const symmetric = (await createKey()).KeyId!;
      await refused(
        'signMessage',
        { keyId: symmetric, message: 'x' },
        /usage is ENCRYPT_DECRYPT; signing needs a key with usage SIGN_VERIFY/,
      );
      await refused('getPublicKey', { keyId: symmetric }, /Only asymmetric keys have a public key/);
      await refused('generateMac', { keyId: symmetric, message: 'x' }, /MACs needs a key with usage GENERATE_VERIFY_MAC/);
      await refused('verifySignature', { keyId: signing.KeyId, message: 'x' }, /"signature" \(base64\) is required/);
    });

    it('generates and verifies MACs', async () => {
      const mac = await run<MacResult>('generateMac', { keyId: hmac, message: 'payload', output: 'editor' });
      assert.equal(mac.macAlgorithm, 'HMAC_SHA_256');
      assert.equal(Buffer.from(mac.mac, 'base64').length, 32);
      assert.match(activeText().text, /"Mac":/);
      const ok = await run<VerifyMacResult>('verifyMac', { keyId: hmac, message: 'payload', mac: mac.mac });
      assert.equal(ok.macValid, true);
      const bad = await run<VerifyMacResult>('verifyMac', { keyId: hmac, message: 'payloaD', mac: mac.mac });
      assert.equal(bad.macValid, false);
      await refused('verifyMac', { keyId: hmac, message: 'payload', mac: '***' }, /not base64/);
    });

    it('gets an RSA public key that Node reads', async () => {
      const rsa = (await createKey({ keySpec: 'RSA_2048', keyUsage: 'ENCRYPT_DECRYPT' })).KeyId!;
      const pub = await run<PublicKeyResult>('getPublicKey', { keyId: rsa, output: 'editor' });
      assert.equal(createPublicKey(pub.publicKey).asymmetricKeyType, 'rsa');
      assert.ok(pub.encryptionAlgorithms?.includes('RSAES_OAEP_SHA_256'));
      assert.equal(activeText().text, pub.publicKey);
    });
  });

  describe('states set through the emulator, and what KMS refuses anyway', () => {
    let control: EmulatorControl;
    before(() => {
      control = new EmulatorControl(emulatorUrl());
    });
    afterEach(async () => {
      await control.clearFaults();
    });

    it('refuses a key pending import before calling KMS, naming the fix', async () => {
      const keyId = (await createKey()).KeyId!;
      await control.setKeyState(env.connection.region, keyId, 'PendingImport');
      const generated = await control.callCount('GenerateDataKey');
      await refused(
        'generateDataKey',
        { keyId },
        /pending import\), so it cannot be used to generate data keys\. Import its key material first/,
      );
      await refused('enableKey', { keyId }, /only a disabled key can be enabled\. Import its key material first/);
      assert.equal(await control.callCount('GenerateDataKey'), generated, 'the refusal made no GenerateDataKey call');
      const scheduled = await run<ScheduledDeletion>('scheduleKeyDeletion', { keyId, confirm: true, pendingWindowInDays: 7 });
      assert.equal(scheduled.keyState, 'PendingDeletion', 'a key pending import can be scheduled for deletion');
    });

    it('refuses changes to AWS managed keys', async () => {
      const seeded = await control.seed({
        keys: [{ manager: 'AWS', description: 'Default key for tests', aliases: ['alias/aws/lifecycle-tests'] }],
      });
      const keyId = seeded.keys[0].keyId;
      await refused('disableKey', { keyId, confirm: true }, /AWS managed key: AWS manages it, so it cannot be changed/);
      await refused('scheduleKeyDeletion', { keyId, confirm: true }, /AWS managed key/);
      await refused('createAlias', { keyId, aliasName: uniqueAlias() }, /AWS managed key/);
    });

    it('reports what KMS refuses anyway with the state and the fix', async () => {
      const keyId = (await createKey()).KeyId!;
      await control.setFault('DisableKey', {
        failOnCall: 1,
        error: {
          name: 'KMSInvalidStateException',
          message: `arn:aws:kms:${env.connection.region}:111122223333:key/${keyId} is pending deletion.`,
        },
      });
      await refused(
        'disableKey',
        { keyId, confirm: true },
        /The key's state \(pending deletion\) does not allow DisableKey\. Cancel the key deletion first/,
      );
      await control.setFault('CreateGrant', { failOnCall: 1, error: { name: 'DisabledException', message: 'the key is disabled.' } });
      await refused(
        'createGrant',
        { keyId, granteePrincipal: ROLE, operations: ['Decrypt'] },
        /The key is disabled, so it cannot be used for CreateGrant\. Enable it first/,
      );
    });
  });

  describe('interactive flows from the palette and tree nodes', () => {
    it('the palette picker offers only keys whose state allows the action', async () => {
      const disabled = await createKey({ alias: uniqueAlias('picker-off') });
      const enabled = await createKey({ alias: uniqueAlias('picker-on') });
      await run('disableKey', { keyId: disabled.KeyId, confirm: true });
      const { result, ui } = await withAnswers(env, [disabled.KeyId!], () => run<KeyMetadata>('enableKey'));
      const offered = ui.asked[0].labels ?? [];
      const aliasOf = async (id: string): Promise<string> => (await aliasesOf(env, id))[0];
      assert.ok(offered.includes(await aliasOf(disabled.KeyId!)), 'the disabled key is offered');
      assert.ok(!offered.includes(await aliasOf(enabled.KeyId!)), 'an enabled key is not offered for enabling');
      assert.equal(result.KeyState, 'Enabled');
    });

    it('tags, untags, changes the rotation period and rotates through prompts', async () => {
      const keyId = (await createKey()).KeyId!;
      const node = keyNode(env, keyId);
      const tagged = await withAnswers(env, ['a=1, b = two words'], () => run<TagsResult>('tagKey', node));
      assert.deepEqual(tagged.result.tags, { a: '1', b: 'two words' });
      const untagged = await withAnswers(env, [['a']], () => run<TagsResult>('untagKey', node));
      assert.deepEqual(untagged.ui.asked[0].labels, ['a', 'b']);
      assert.deepEqual(untagged.result.tags, { b: 'two words' });
      const rotation = await withAnswers(env, ['400'], () => run<RotationResult>('enableKeyRotation', node));
      assert.equal(rotation.result.rotationPeriodInDays, 400);
      const rotated = await withAnswers(env, [true], () => run<RotateNowResult>('rotateKeyNow', node));
      assert.match(rotated.ui.shown[0].detail ?? '', /done so far: 0/);
      assert.equal(rotated.result.rotations, 1);
    });

    it('generates a data key through its prompts: spec, encryption context, output', async () => {
      const keyId = (await createKey()).KeyId!;
      const { result, ui } = await withAnswers(env, ['AES_128', 'app=web', /Open in an editor/], () =>
        run<DataKeyResult>('generateDataKey', keyNode(env, keyId)),
      );
      assert.equal(ui.remaining, 0);
      assert.deepEqual(result.encryptionContext, { app: 'web' });
      const doc = JSON.parse(activeText().text) as { Plaintext: string; EncryptionContext: Record<string, string> };
      assert.equal(Buffer.from(doc.Plaintext, 'base64').length, 16);
      assert.deepEqual(doc.EncryptionContext, { app: 'web' });
    });

    it('signs the editor selection and copies the signature', async () => {
      const signing = (await createKey({ keySpec: 'ECC_NIST_P256' })).KeyId!;
      const doc = await vscode.workspace.openTextDocument({ content: 'line one\nsign me please\n' });
      const editor = await vscode.window.showTextDocument(doc);
      editor.selection = new vscode.Selection(1, 0, 1, 'sign me please'.length);
      const { result, ui } = await withAnswers(env, [/The selected text/, /Copy to the clipboard/], () =>
        run<SignResult>('signMessage', keyNode(env, signing)),
      );
      assert.equal(ui.remaining, 0);
      assert.equal(await vscode.env.clipboard.readText(), result.signature);
      const pub = await run<PublicKeyResult>('getPublicKey', { keyId: signing });
      const verifier = createVerify('sha256');
      verifier.update('sign me please');
      assert.ok(verifier.verify(pub.publicKey, Buffer.from(result.signature, 'base64')), 'the selection (and only it) was signed');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    });

    it('points an alias node at a key picked from the keys of the same type', async () => {
      const from = (await createKey()).KeyId!;
      const to = (await createKey()).KeyId!;
      const rsa = (await createKey({ keySpec: 'RSA_2048', keyUsage: 'ENCRYPT_DECRYPT' })).KeyId!;
      const name = uniqueAlias('repoint');
      await run('createAlias', { keyId: from, aliasName: name });
      const node = new NodeStandIn({ kind: 'alias', connection: env.connection, aliasName: name, targetKeyId: from });
      const { result, ui } = await withAnswers(env, [to], () => run<AliasResult>('updateAlias', node));
      const offered = ui.asked[0].labels ?? [];
      assert.ok(offered.includes(to) && !offered.includes(rsa) && !offered.includes(from), `offered: ${offered.join(', ')}`);
      assert.equal(result.targetKeyId, to);
    });

    it('generates random bytes from a connection node through its prompts', async () => {
      const node = new NodeStandIn({ kind: 'connection', connection: env.connection });
      const { result } = await withAnswers(env, ['16', 'base64url', /Copy to the clipboard/], () =>
        run<RandomResult>('generateRandom', node),
      );
      assert.deepEqual(result, { numberOfBytes: 16, encoding: 'base64url', output: 'clipboard' });
      assert.equal(Buffer.from(await vscode.env.clipboard.readText(), 'base64url').length, 16);
    });

    it('replicates to a Region picked from the list', async () => {
      const keyId = (await createKey({ multiRegion: true })).KeyId!;
      const { result, ui } = await withAnswers(env, ['eu-west-1'], () => run<KeyMetadata>('replicateKey', keyNode(env, keyId)));
      assert.ok(!(ui.asked[0].labels ?? []).includes(env.connection.region), 'the primary Region is not offered');
      assert.match(result.Arn ?? '', /:eu-west-1:/);
    });
  });

  describe('multi-Region', () => {
    it('replicates a primary key and moves the primary Region', async () => {
      const primary = (await createKey({ multiRegion: true })).KeyId!;
      await refused('replicateKey', { keyId: primary, replicaRegion: 'Oregon' }, /not an AWS Region name/);
      await refused('replicateKey', { keyId: primary, replicaRegion: env.connection.region }, /choose another Region for the replica/);
      const replica = await run<KeyMetadata>('replicateKey', { keyId: primary, replicaRegion: 'us-west-2' });
      assert.equal(replica.KeyId, primary);
      assert.match(replica.Arn ?? '', /:us-west-2:/);
      await refused('replicateKey', { keyId: primary, replicaRegion: 'us-west-2' }, /already has a replica in us-west-2/);
      await refused('updatePrimaryRegion', { keyId: primary, primaryRegion: 'eu-west-1' }, /has no replica in eu-west-1/);
      await run('updatePrimaryRegion', { keyId: primary, primaryRegion: 'us-west-2' });
      const after = await env.gateway.describeKey(primary);
      assert.equal(after.MultiRegionConfiguration?.PrimaryKey?.Region, 'us-west-2');
      await refused('replicateKey', { keyId: primary, replicaRegion: 'eu-west-1' }, /replica key: act on its primary key/);
    });

    it('refuses to replicate a single-Region key', async () => {
      const single = (await createKey()).KeyId!;
      await refused('replicateKey', { keyId: single, replicaRegion: 'us-west-2' }, /Only multi-Region keys can be replicated/);
    });
  });
});

async function collectKeys(env: Env): Promise<string[]> {
  const ids: string[] = [];
  for await (const k of env.gateway.listKeys(1000)) if (k.KeyId) ids.push(k.KeyId);
  return ids;
}
