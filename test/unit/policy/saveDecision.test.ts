import * as assert from 'node:assert/strict';
import { addRoleMember, removeStatement } from '../../../src/core/policy/policyForm';
import { checkPolicyForSave, decideSave, type SaveContext, type SaveDecision } from '../../../src/core/policy/saveDecision';
import { ACCOUNT, API_DEFAULT, CONSOLE_POLICY, KEY_ARN, USER_ROLE } from './fixtures';

const ctx: SaveContext = {
  label: 'alias/app',
  accountId: ACCOUNT,
  partition: 'aws',
  keyArn: KEY_ARN,
  keyKind: { keyUsage: 'ENCRYPT_DECRYPT', keySpec: 'SYMMETRIC_DEFAULT' },
};

function decide(text: string, base: string, server: string): SaveDecision {
  return decideSave(checkPolicyForSave(text, ctx), base, server, ctx);
}

function ready(d: SaveDecision): Extract<SaveDecision, { kind: 'ready' }> {
  assert.equal(d.kind, 'ready', JSON.stringify(d));
  return d;
}

const withUser = (() => {
  const r = addRoleMember(JSON.parse(API_DEFAULT), 'users', USER_ROLE, ctx);
  assert.ok('value' in r);
  return JSON.stringify(r.value, null, 2);
})();

describe('the policy save decision', () => {
  it('refuses a policy with errors before KMS is asked, naming the first error and its line', () => {
    const checked = checkPolicyForSave('{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow" } ] }', ctx);
    assert.equal(checked.kind, 'invalid');
    assert.match(checked.kind === 'invalid' ? checked.message : '', /^Not saved: the policy has \d+ errors?\. Line 1: /);
    const notJson = checkPolicyForSave('{ "Version": ', ctx);
    assert.equal(notJson.kind, 'invalid');
    assert.equal(decideSave(notJson, API_DEFAULT, API_DEFAULT, ctx).kind, 'invalid');
  });

  it('is a conflict when the policy on KMS is no longer the one the edits started from', () => {
    const d = decide(withUser, API_DEFAULT, CONSOLE_POLICY);
    assert.equal(d.kind, 'conflict');
    assert.match(d.kind === 'conflict' ? d.message : '', /the key policy of alias\/app was changed on KMS since you opened it/);
    assert.equal(d.kind === 'conflict' ? d.serverText : '', CONSOLE_POLICY);
  });

  it('is no conflict when the server only laid the same policy out differently', () => {
    const relaid = JSON.stringify(JSON.parse(API_DEFAULT));
    assert.equal(decide(withUser, API_DEFAULT, relaid).kind, 'ready');
  });

  it('is unchanged when the policy as edited means what KMS has (layout and key order aside)', () => {
    const same = JSON.stringify(JSON.parse(API_DEFAULT), null, 4);
    const d = decide(same, API_DEFAULT, API_DEFAULT);
    assert.deepEqual(d, { kind: 'unchanged', message: 'No changes to save: the policy on KMS is the same.' });
  });

  it('is ready with the changes in sentences and a question naming the key', () => {
    const d = ready(decide(withUser, API_DEFAULT, API_DEFAULT));
    assert.ok(
      d.changes.some((c) => /Key users: adds role AppRole/.test(c)),
      d.changes.join(' | '),
    );
    assert.equal(d.confirm.message, 'Save the key policy of alias/app to KMS?');
    assert.equal(d.confirm.confirmLabel, 'Save');
    assert.match(d.confirm.detail, /• Key users: adds/);
    assert.equal(d.lockout?.level, 'safe');
    assert.equal(d.confirmLockout, undefined, 'no second question when nobody is locked out');
  });

  it('asks again, after the save question, when the change would lock the account out', () => {
    const locked = JSON.stringify(removeStatement(JSON.parse(CONSOLE_POLICY), 0), null, 2);
    const d = ready(decide(locked, CONSOLE_POLICY, CONSOLE_POLICY));
    assert.ok(d.lockout?.needsConfirmation);
    assert.equal(d.confirmLockout?.confirmLabel, 'Save Anyway');
    assert.equal(d.confirmLockout?.message, d.lockout?.headline);
  });

  it('puts the first warning into the question', () => {
    const warned = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        ...(JSON.parse(API_DEFAULT) as { Statement: unknown[] }).Statement,
        { Sid: 'Everyone', Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' },
      ],
    });
    const checked = checkPolicyForSave(warned, ctx);
    assert.equal(checked.kind, 'valid');
    const d = ready(decideSave(checked, API_DEFAULT, API_DEFAULT, ctx));
    assert.ok(checked.kind === 'valid' && checked.validation.warningCount > 0, 'the fixture has a warning');
    assert.match(d.confirm.detail, /\n\d+ warnings?: /);
  });

  it('compares texts that are not JSON as text', () => {
    const d = decide(withUser, 'not json', 'not json');
    assert.equal(d.kind, 'ready');
    assert.equal(decide(withUser, 'not json', 'other text').kind, 'conflict');
  });
});
