import * as assert from 'node:assert/strict';
import { formatPolicy, minimalEdit } from '../../../src/core/policy/formatPolicy';
import { KEY_ADMIN_ACTIONS, KEY_DELETION_ACTIONS } from '../../../src/core/policy/consolePolicy';
import { policyValueOf } from '../../../src/core/policy/policyDiff';
import {
  addRoleMember,
  addStatement,
  moveStatement,
  newStatement,
  readPolicyForm,
  removeRoleMember,
  removeStatement,
  setAdminCanDelete,
  updateStatement,
} from '../../../src/core/policy/policyForm';
import { statementsOf } from '../../../src/core/policy/policyModel';
import { type StatementFields, readStatementFields, writeStatementFields } from '../../../src/core/policy/statementFields';
import { validatePolicy } from '../../../src/core/policy/validatePolicy';
import { ACCOUNT, ADMIN_ROLE, API_DEFAULT, CONSOLE_POLICY, ODD_POLICY, OTHER_ACCOUNT, ROOT, USER_ROLE } from './fixtures';

const ctx = { accountId: ACCOUNT, keyKind: { keyUsage: 'ENCRYPT_DECRYPT', keySpec: 'SYMMETRIC_DEFAULT' } };

function value(text: string): Record<string, unknown> {
  const v = policyValueOf(text);
  assert.ok(v && typeof v === 'object', 'not JSON');
  return v as Record<string, unknown>;
}

function fieldsOf(statement: unknown): StatementFields {
  const read = readStatementFields(statement);
  assert.ok('fields' in read, 'reason' in read ? read.reason : '');
  return read.fields;
}

/** Reads every statement into form fields and writes them back: the form round trip. */
function roundTrip(text: string): string {
  let v: unknown = value(text);
  const form = readPolicyForm(v, ctx);
  for (const s of form.statements) {
    if (!s.fields) continue;
    const updated = updateStatement(v, s.index, s.fields);
    assert.ok('value' in updated);
    v = updated.value;
  }
  return formatPolicy(v, text);
}

describe('policy form ↔ JSON', () => {
  describe('round trips', () => {
    for (const [name, text] of [
      ['the API default (KMS layout)', API_DEFAULT],
      ['the console default (4-space indent, trailing newline)', CONSOLE_POLICY],
      ['a compact policy with statements the form cannot show', ODD_POLICY],
    ] as const) {
      it(`${name} comes back byte for byte`, () => {
        assert.equal(roundTrip(text), text);
      });
    }

    it('keeps strings as strings and lists as lists when a statement is written back', () => {
      const s = {
        Sid: 'A',
        Effect: 'Allow',
        Principal: { AWS: ROOT },
        Action: 'kms:*',
        Resource: ['*'],
        Condition: { Bool: { 'aws:SecureTransport': true } },
      };
      const written = writeStatementFields(s, fieldsOf(s));
      assert.ok('value' in written);
      assert.deepEqual(written.value, s);
      assert.deepEqual(Object.keys(written.value), Object.keys(s));
    });
  });

  describe('reading the form', () => {
    it('finds administrators, key users and other accounts as the console does', () => {
      const form = readPolicyForm(value(CONSOLE_POLICY), ctx);
      assert.equal(form.ok, true);
      assert.deepEqual(form.admins, [{ principal: ADMIN_ROLE, canDelete: true }]);
      assert.deepEqual(form.users, [USER_ROLE]);
      assert.deepEqual(form.accounts, [OTHER_ACCOUNT]);
      assert.deepEqual(
        form.statements.map((s) => s.role),
        ['account', 'admins-delete', 'users', 'grants'],
      );
      assert.equal(form.statements[1].title, 'Allow access for Key Administrators');
    });

    it('shows statements it cannot represent as JSON, with the reason, and keeps them', () => {
      const form = readPolicyForm(value(ODD_POLICY), ctx);
      assert.equal(form.statements.length, 3);
      assert.ok(form.statements[0].fields);
      assert.equal(form.statements[1].fields, undefined);
      assert.match(form.statements[1].reason ?? '', /both Action and NotAction/);
      assert.match(form.statements[2].reason ?? '', /Effect is "allow"|"Extra"/);
      // An edit elsewhere keeps them exactly.
      const added = addRoleMember(value(ODD_POLICY), 'users', USER_ROLE, ctx);
      assert.ok('value' in added);
      const after = statementsOf(added.value) as { Sid: string }[];
      assert.deepEqual(
        after.map((s) => s.Sid),
        ['Root', 'Allow use of the key', 'Allow attachment of persistent resources', 'Weird', 'Lower'],
      );
      assert.deepEqual(after[3], statementsOf(value(ODD_POLICY))[1]);
      assert.deepEqual(after[4], statementsOf(value(ODD_POLICY))[2]);
      const text = formatPolicy(added.value, ODD_POLICY);
      assert.ok(
        text.includes('{"Sid":"Weird","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","NotAction":"kms:Encrypt","Resource":"*"}'),
        text,
      );
    });

    it('says why when the policy itself is not a form', () => {
      assert.equal(readPolicyForm([], ctx).ok, false);
      assert.match(readPolicyForm({ Statement: 'x' }, ctx).reason ?? '', /not a list/);
    });
  });

  describe('role edits', () => {
    it('adding a key user to the API default creates the console’s users and grants statements', () => {
      const added = addRoleMember(value(API_DEFAULT), 'users', USER_ROLE, ctx);
      assert.ok('value' in added);
      const statements = statementsOf(added.value) as Record<string, unknown>[];
      assert.deepEqual(
        statements.map((s) => s.Sid),
        ['Enable IAM User Permissions', 'Allow use of the key', 'Allow attachment of persistent resources'],
      );
      assert.deepEqual(statements[1].Principal, { AWS: USER_ROLE });
      assert.deepEqual(readPolicyForm(added.value, ctx).users, [USER_ROLE]);
      const text = formatPolicy(added.value, API_DEFAULT);
      assert.equal(validatePolicy(text, { accountId: ACCOUNT }).issues.length, 0, text);
      // The original statement keeps its text, and the new ones use the policy's " : " layout.
      assert.ok(
        text.startsWith(
          '{\n  "Version" : "2012-10-17",\n  "Id" : "key-default-1",\n  "Statement" : [ {\n    "Sid" : "Enable IAM User Permissions",',
        ),
        text,
      );
      assert.ok(text.includes('"Sid" : "Allow use of the key"'), text);
    });

    it('adding a second key user turns the principal into a list in both statements', () => {
      const second = `arn:aws:iam::${ACCOUNT}:user/alice`;
      const added = addRoleMember(value(CONSOLE_POLICY), 'users', second, ctx);
      assert.ok('value' in added);
      const statements = statementsOf(added.value) as { Principal: { AWS: string[] } }[];
      assert.deepEqual(statements[2].Principal.AWS, [USER_ROLE, `arn:aws:iam::${OTHER_ACCOUNT}:root`, second]);
      assert.deepEqual(statements[3].Principal.AWS, [USER_ROLE, `arn:aws:iam::${OTHER_ACCOUNT}:root`, second]);
      // Only the two principal lists changed in the text.
      const text = formatPolicy(added.value, CONSOLE_POLICY);
      const edit = minimalEdit(CONSOLE_POLICY, text);
      assert.ok(edit.insert.includes(second));
      assert.ok(!edit.insert.includes('Enable IAM User Permissions'));
    });

    it('refuses duplicates and bad principals with a sentence', () => {
      const dup = addRoleMember(value(CONSOLE_POLICY), 'users', USER_ROLE, ctx);
      assert.ok('error' in dup && /already a key user/.test(dup.error));
      const bad = addRoleMember(value(CONSOLE_POLICY), 'admins', `arn:aws:iam::${ACCOUNT}:group/Admins`, ctx);
      assert.ok('error' in bad && /group cannot be a principal/.test(bad.error));
      const own = addRoleMember(value(CONSOLE_POLICY), 'accounts', ACCOUNT, ctx);
      assert.ok('error' in own && /own account/.test(own.error));
      const star = addRoleMember(value(CONSOLE_POLICY), 'users', '*', ctx);
      assert.ok('error' in star && /everyone/.test(star.error));
    });

    it('adds another account by id as its root ARN, to the users and grants statements', () => {
      const added = addRoleMember(value(API_DEFAULT), 'accounts', '999988887777', ctx);
      assert.ok('value' in added);
      assert.equal(added.principal, 'arn:aws:iam::999988887777:root');
      assert.deepEqual(readPolicyForm(added.value, ctx).accounts, ['999988887777']);
      assert.equal(statementsOf(added.value).length, 3);
    });

    it('removing the last member removes the statement; removing an account works by id', () => {
      let v: unknown = value(CONSOLE_POLICY);
      v = removeRoleMember(v, 'users', USER_ROLE, ctx);
      v = removeRoleMember(v, 'accounts', OTHER_ACCOUNT, ctx);
      v = removeRoleMember(v, 'admins', ADMIN_ROLE, ctx);
      assert.deepEqual(
        (statementsOf(v) as { Sid: string }[]).map((s) => s.Sid),
        ['Enable IAM User Permissions'],
      );
    });

    it('administrators with and without deletion live in two statements; toggling moves them', () => {
      let v: unknown = value(CONSOLE_POLICY);
      const second = `arn:aws:iam::${ACCOUNT}:role/Ops`;
      const added = addRoleMember(v, 'admins', second, ctx, { canDelete: false });
      assert.ok('value' in added);
      v = added.value;
      let form = readPolicyForm(v, ctx);
      assert.deepEqual(form.admins, [
        { principal: ADMIN_ROLE, canDelete: true },
        { principal: second, canDelete: false },
      ]);
      const noDelete = statementsOf(v)[2] as { Action: string[]; Principal: unknown };
      assert.deepEqual(noDelete.Action, KEY_ADMIN_ACTIONS);
      v = setAdminCanDelete(v, ADMIN_ROLE, false, ctx);
      form = readPolicyForm(v, ctx);
      assert.deepEqual(form.admins, [
        { principal: second, canDelete: false },
        { principal: ADMIN_ROLE, canDelete: false },
      ]);
      assert.equal(statementsOf(v).length, 4, 'the empty with-deletion statement is removed');
      v = setAdminCanDelete(v, second, true, ctx);
      const withDelete = statementsOf(v).find((s) => (s as { Action: string[] }).Action.includes(KEY_DELETION_ACTIONS[0])) as {
        Principal: { AWS: string };
      };
      assert.equal(withDelete.Principal.AWS, second);
    });
  });

  describe('AWS services as key users', () => {
    const withService = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' },
        {
          Sid: 'Allow use of the key',
          Effect: 'Allow',
          Principal: { AWS: [USER_ROLE], Service: ['lambda.amazonaws.com'] },
          Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
          Resource: '*',
        },
      ],
    });

    it('reads a users statement with IAM and service principals', () => {
      assert.deepEqual(readPolicyForm(value(withService), ctx).users, [USER_ROLE, 'lambda.amazonaws.com']);
    });

    it('removing the last IAM principal keeps the service, and vice versa', () => {
      const v = removeRoleMember(value(withService), 'users', USER_ROLE, ctx);
      assert.deepEqual((statementsOf(v)[1] as { Principal: unknown }).Principal, { Service: ['lambda.amazonaws.com'] });
      const w = removeRoleMember(value(withService), 'users', 'lambda.amazonaws.com', ctx);
      assert.deepEqual((statementsOf(w)[1] as { Principal: unknown }).Principal, { AWS: [USER_ROLE] });
    });

    it('adds a service as a key user without a grants statement for it', () => {
      const added = addRoleMember(value(API_DEFAULT), 'users', 'logs.amazonaws.com', ctx);
      assert.ok('value' in added);
      const statements = statementsOf(added.value) as { Sid: string; Principal: unknown }[];
      assert.deepEqual(
        statements.map((s) => s.Sid),
        ['Enable IAM User Permissions', 'Allow use of the key'],
      );
      assert.deepEqual(statements[1].Principal, { Service: 'logs.amazonaws.com' });
      const bad = addRoleMember(value(API_DEFAULT), 'users', 'lambda', ctx);
      assert.ok('error' in bad && /AWS service such as lambda\.amazonaws\.com/.test(bad.error));
    });
  });

  describe('statement edits', () => {
    it('adds, moves and removes statements; a single statement object becomes a list', () => {
      const single = {
        Version: '2012-10-17',
        Statement: { Sid: 'Only', Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' },
      };
      const two = addStatement(single, newStatement(ctx));
      assert.ok(Array.isArray(two.Statement));
      const moved = moveStatement(two, 1, 0);
      assert.equal((statementsOf(moved)[1] as { Sid: string }).Sid, 'Only');
      const back = removeStatement(moved, 0);
      assert.deepEqual(back.Statement, [single.Statement]);
      assert.throws(() => removeStatement(back, 5), /no statement 6/);
    });

    it('edits fields: Sid, effect, principals, actions, condition; renames Action to NotAction in place', () => {
      const v = value(API_DEFAULT);
      const f = fieldsOf(statementsOf(v)[0]);
      const edited = updateStatement(v, 0, {
        ...f,
        sid: 'Root',
        actionKey: 'NotAction',
        actions: ['kms:Decrypt', 'kms:Encrypt'],
        principals: [...f.principals, { type: 'Service', value: 'logs.amazonaws.com' }],
        condition: '{"Bool": {"aws:SecureTransport": "true"}}',
      });
      assert.ok('value' in edited);
      const s = statementsOf(edited.value)[0] as Record<string, unknown>;
      assert.deepEqual(Object.keys(s), ['Sid', 'Effect', 'Principal', 'NotAction', 'Resource', 'Condition']);
      assert.deepEqual(s.Principal, { AWS: ROOT, Service: 'logs.amazonaws.com' });
      assert.deepEqual(s.NotAction, ['kms:Decrypt', 'kms:Encrypt']);
      assert.deepEqual(s.Condition, { Bool: { 'aws:SecureTransport': 'true' } });
      // The unchanged "Principal"… "AWS" line keeps the original " : " layout.
      const text = formatPolicy(edited.value, API_DEFAULT);
      assert.ok(text.includes('"Resource" : "*"'), text);
    });

    it('refuses a Condition that is not a JSON object, and changes nothing', () => {
      const v = value(API_DEFAULT);
      const f = fieldsOf(statementsOf(v)[0]);
      const bad = updateStatement(v, 0, { ...f, condition: '{"Bool": ' });
      assert.ok('error' in bad && /not valid JSON/.test(bad.error));
      const notObject = updateStatement(v, 0, { ...f, condition: '[1]' });
      assert.ok('error' in notObject && /must be a JSON object/.test(notObject.error));
    });

    it('"Everyone" is written as "Principal": "*"', () => {
      const v = value(API_DEFAULT);
      const f = fieldsOf(statementsOf(v)[0]);
      const edited = updateStatement(v, 0, { ...f, principals: [{ type: '*', value: '*' }] });
      assert.ok('value' in edited);
      assert.equal((statementsOf(edited.value)[0] as { Principal: unknown }).Principal, '*');
    });
  });

  describe('text helpers', () => {
    it('formats a value with no previous text in the default style', () => {
      assert.equal(formatPolicy({ a: [1, { b: 2 }], c: {} }), '{\n  "a": [\n    1,\n    {\n      "b": 2\n    }\n  ],\n  "c": {}\n}');
    });

    it('minimalEdit finds the smallest replacement', () => {
      assert.deepEqual(minimalEdit('abcXdef', 'abcYYdef'), { offset: 3, deleteCount: 1, insert: 'YY' });
      assert.deepEqual(minimalEdit('same', 'same'), { offset: 4, deleteCount: 0, insert: '' });
    });
  });
});
