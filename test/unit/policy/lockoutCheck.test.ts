import * as assert from 'node:assert/strict';
import { checkLockout } from '../../../src/core/policy/lockoutCheck';
import { describePolicyChanges, policyValueOf, samePolicyText } from '../../../src/core/policy/policyDiff';
import { addRoleMember, removeStatement } from '../../../src/core/policy/policyForm';
import { ACCOUNT, ADMIN_ROLE, API_DEFAULT, CONSOLE_POLICY, KEY_ARN, ROOT, USER_ROLE } from './fixtures';

const ctx = { accountId: ACCOUNT, keyArn: KEY_ARN };
const policy = (...statements: unknown[]): unknown => ({ Version: '2012-10-17', Statement: statements });
const rootAll = { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' };
const adminsOnly = { Sid: 'Admins', Effect: 'Allow', Principal: { AWS: ADMIN_ROLE }, Action: 'kms:*', Resource: '*' };

describe('lockout check', () => {
  it('the default policies are safe', () => {
    for (const text of [API_DEFAULT, CONSOLE_POLICY]) {
      const r = checkLockout(policyValueOf(text), ctx);
      assert.equal(r.level, 'safe');
      assert.equal(r.needsConfirmation, false);
      assert.match(r.headline, /account 111122223333 can still change this key policy/);
    }
  });

  it('the account id alone counts as the account', () => {
    assert.equal(checkLockout(policy({ ...rootAll, Principal: { AWS: ACCOUNT } }), ctx).level, 'safe');
  });

  it('removing the only statement that lets anyone change the policy locks everyone out', () => {
    const before = policyValueOf(API_DEFAULT);
    const after = policy({ Sid: 'Use', Effect: 'Allow', Principal: { AWS: USER_ROLE }, Action: ['kms:Decrypt'], Resource: '*' });
    const r = checkLockout(after, ctx, before);
    assert.equal(r.level, 'locked-out');
    assert.equal(r.needsConfirmation, true);
    assert.match(r.headline, /nobody could change this key policy/);
    assert.ok(r.details.some((d) => /No statement allows kms:PutKeyPolicy/.test(d)));
    assert.ok(r.details.some((d) => /only AWS Support/.test(d)));
    assert.ok(r.lost.includes('kms:PutKeyPolicy'));
    assert.ok(r.lost.includes('kms:ScheduleKeyDeletion'));
    assert.ok(
      r.details.some((d) => /no longer be able to change the key policy \(kms:PutKeyPolicy\)/.test(d)),
      r.details.join('\n'),
    );
  });

  it('a Deny for everyone overrides the account’s Allow', () => {
    const r = checkLockout(
      policy(rootAll, { Sid: 'NoPolicyChanges', Effect: 'Deny', Principal: '*', Action: 'kms:PutKeyPolicy', Resource: '*' }),
      ctx,
    );
    assert.equal(r.level, 'locked-out');
    assert.ok(
      r.details.some((d) => /Statement "NoPolicyChanges" denies kms:PutKeyPolicy/.test(d)),
      r.details.join('\n'),
    );
  });

  it('a conditional Deny or Allow makes it at risk, not safe', () => {
    const conditionalDeny = checkLockout(
      policy(rootAll, {
        Sid: 'OnlyFromVpc',
        Effect: 'Deny',
        Principal: '*',
        Action: 'kms:*',
        Resource: '*',
        Condition: { StringNotEquals: { 'aws:SourceVpc': 'vpc-1' } },
      }),
      ctx,
    );
    assert.equal(conditionalDeny.level, 'at-risk');
    assert.ok(conditionalDeny.details.some((d) => /may deny it/.test(d)));
    const conditionalAllow = checkLockout(policy({ ...rootAll, Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } }), ctx);
    assert.equal(conditionalAllow.level, 'at-risk');
    assert.match(conditionalAllow.headline, /only under conditions/);
  });

  it('handing administration to a role only is at risk, and names who can still change the policy', () => {
    const r = checkLockout(policy(adminsOnly), ctx, policyValueOf(API_DEFAULT));
    assert.equal(r.level, 'at-risk');
    assert.deepEqual(r.canChangePolicy, [ADMIN_ROLE]);
    assert.ok(
      r.details.some((d) => /Only role KeyAdmin \(111122223333\) could still change it/.test(d)),
      r.details.join('\n'),
    );
  });

  it('the caller named in the policy keeps control (and an assumed-role session matches its role)', () => {
    const caller = `arn:aws:sts::${ACCOUNT}:assumed-role/KeyAdmin/alice`;
    const r = checkLockout(policy(adminsOnly), { ...ctx, callerArn: caller });
    assert.equal(r.level, 'safe');
    assert.match(r.headline, /You \(session alice of role KeyAdmin/);
  });

  it('NotPrincipal, NotAction and Resource are evaluated', () => {
    assert.equal(checkLockout(policy({ ...rootAll, Action: undefined, NotAction: 'kms:PutKeyPolicy' }), ctx).level, 'locked-out');
    assert.equal(checkLockout(policy({ ...rootAll, Action: undefined, NotAction: 'kms:Decrypt' }), ctx).level, 'safe');
    assert.equal(
      checkLockout(policy(rootAll, { Effect: 'Deny', NotPrincipal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' }), ctx).level,
      'safe',
    );
    assert.equal(checkLockout(policy({ ...rootAll, Resource: 'arn:aws:kms:us-east-1:111122223333:key/other' }), ctx).level, 'locked-out');
    assert.equal(checkLockout(policy({ ...rootAll, Resource: KEY_ARN }), ctx).level, 'safe');
    assert.equal(checkLockout(policy({ ...rootAll, Action: 'kms:put*' }), ctx).level, 'safe', 'actions match case-insensitively');
  });

  it('losing deletion but keeping policy changes is "reduced", listed without a confirmation', () => {
    const before = policy(rootAll);
    const after = policy({ ...rootAll, Action: ['kms:PutKeyPolicy', 'kms:GetKeyPolicy', 'kms:DescribeKey'] });
    const r = checkLockout(after, ctx, before);
    assert.equal(r.level, 'reduced');
    assert.equal(r.needsConfirmation, false);
    assert.ok(r.lost.includes('kms:ScheduleKeyDeletion'));
    assert.ok(!r.lost.includes('kms:PutKeyPolicy'));
  });
});

describe('policy diff helpers', () => {
  it('compares meaning, not layout or key order', () => {
    assert.ok(samePolicyText(API_DEFAULT, JSON.stringify(policyValueOf(API_DEFAULT))));
    const reordered = JSON.stringify({
      Statement: (policyValueOf(API_DEFAULT) as { Statement: unknown }).Statement,
      Id: 'key-default-1',
      Version: '2012-10-17',
    });
    assert.ok(samePolicyText(API_DEFAULT, reordered));
    assert.ok(!samePolicyText(API_DEFAULT, CONSOLE_POLICY));
    assert.ok(!samePolicyText('{', '{ '));
  });

  it('describes changes in sentences', () => {
    const before = policyValueOf(CONSOLE_POLICY);
    const added = addRoleMember(before, 'users', `arn:aws:iam::${ACCOUNT}:user/bob`, { accountId: ACCOUNT });
    assert.ok('value' in added);
    const after = removeStatement(added.value, 1);
    const sentences = describePolicyChanges(before, after, { accountId: ACCOUNT });
    assert.ok(sentences.includes('Key administrators: removes role KeyAdmin (111122223333).'), sentences.join('\n'));
    assert.ok(sentences.includes('Key users: adds user bob (111122223333).'), sentences.join('\n'));
    assert.ok(sentences.some((s) => /Removes statement "Allow access for Key Administrators"/.test(s)));
    assert.ok(sentences.some((s) => /Changes statement "Allow use of the key" \(Principal\)/.test(s)));
    assert.deepEqual(describePolicyChanges(before, before), []);
  });
});
