import * as assert from 'node:assert/strict';
import { consoleKeyPolicy, defaultKeyPolicy, policyJson, policySizeProblem, userActions } from '../../../src/core/keyOps/policyBuilder';
import { parsePrincipals, type Principal } from '../../../src/core/keyOps/principals';

const account = { accountId: '111122223333', partition: 'aws' };

function principals(...values: string[]): Principal[] {
  const p = parsePrincipals(values);
  if (!p.ok) throw new Error(p.problem);
  return p.value;
}

describe('keyOps policy builder', () => {
  it("makes KMS's default policy: the account root may do everything", () => {
    assert.deepEqual(defaultKeyPolicy(account), {
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }],
    });
  });

  it('makes the console-style policy with administrators, users and grants for AWS resources', () => {
    const policy = consoleKeyPolicy({
      account,
      keyType: 'symmetric',
      multiRegion: false,
      administrators: principals('arn:aws:iam::111122223333:role/Admin'),
      allowAdministratorsToDelete: true,
      users: principals('arn:aws:iam::111122223333:role/App', 'lambda.amazonaws.com'),
    });
    assert.deepEqual(policy.Statement.map((s) => s.Sid), [
      'Enable IAM User Permissions',
      'Allow access for Key Administrators',
      'Allow use of the key',
      'Allow attachment of persistent resources',
    ]);
    const [root, admins, use, grants] = policy.Statement;
    assert.deepEqual(root.Principal, { AWS: 'arn:aws:iam::111122223333:root' });
    assert.deepEqual(admins.Principal, { AWS: ['arn:aws:iam::111122223333:role/Admin'] });
    assert.ok((admins.Action as string[]).includes('kms:ScheduleKeyDeletion'));
    assert.ok((admins.Action as string[]).includes('kms:CancelKeyDeletion'));
    assert.ok(!(admins.Action as string[]).includes('kms:Decrypt'), 'administrators cannot use the key');
    assert.deepEqual(use.Principal, { AWS: ['arn:aws:iam::111122223333:role/App'], Service: ['lambda.amazonaws.com'] });
    assert.deepEqual(use.Action, ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey']);
    assert.deepEqual(grants.Principal, { AWS: ['arn:aws:iam::111122223333:role/App'] }, 'services get no grant statement');
    assert.deepEqual(grants.Condition, { Bool: { 'kms:GrantIsForAWSResource': 'true' } });
  });

  it('leaves out deletion for administrators when not allowed, adds ReplicateKey for multi-Region keys', () => {
    const policy = consoleKeyPolicy({ account, keyType: 'signVerify', multiRegion: true, administrators: principals('111122223333'), allowAdministratorsToDelete: false, users: [] });
    assert.equal(policy.Statement.length, 2, 'no user statements without users');
    const actions = policy.Statement[1].Action as string[];
    assert.ok(!actions.includes('kms:ScheduleKeyDeletion'));
    assert.ok(actions.includes('kms:ReplicateKey'));
  });

  it('gives users the actions of the key type', () => {
    assert.deepEqual(userActions('signVerify'), ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Sign', 'kms:Verify']);
    assert.deepEqual(userActions('hmac'), ['kms:DescribeKey', 'kms:GenerateMac', 'kms:VerifyMac']);
    assert.ok(userActions('asymmetricEncrypt').includes('kms:GetPublicKey'));
  });

  it('is valid JSON KMS can parse, and says when it grows past 32,768 bytes', () => {
    const json = policyJson(defaultKeyPolicy(account));
    assert.deepEqual(JSON.parse(json), defaultKeyPolicy(account));
    assert.equal(policySizeProblem(json), undefined);
    assert.match(policySizeProblem('x'.repeat(32_769)) ?? '', /32769 bytes; KMS allows at most 32768/);
  });
});
