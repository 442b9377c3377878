import * as assert from 'node:assert/strict';
import { parsePrincipals } from '../../../src/core/keyOps/principals';
import {
  type KeyKind,
  consoleKeyPolicy,
  defaultKeyPolicy,
  keyUserActions,
  policySizeProblem,
} from '../../../src/core/policy/consolePolicy';
import { addRoleMember, readPolicyForm } from '../../../src/core/policy/policyForm';
import { statementsOf } from '../../../src/core/policy/policyModel';
import { validatePolicy } from '../../../src/core/policy/validatePolicy';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';

function values(...inputs: string[]): string[] {
  const p = parsePrincipals(inputs, { partition: 'aws' });
  if (!p.ok) throw new Error(p.problem);
  return p.value.map((x) => x.value);
}

interface Statement {
  Sid: string;
  Principal: { AWS?: string[]; Service?: string[] };
  Action: string | string[];
  Condition?: unknown;
}

/** Every kind of key Create Key makes (and key agreement, which the editor meets), single- and multi-Region. */
const KINDS: ReadonlyArray<{ name: string; kind: KeyKind }> = [
  { name: 'symmetric', kind: { keyUsage: 'ENCRYPT_DECRYPT', keySpec: 'SYMMETRIC_DEFAULT' } },
  { name: 'asymmetric encrypt (RSA)', kind: { keyUsage: 'ENCRYPT_DECRYPT', keySpec: 'RSA_3072' } },
  { name: 'asymmetric encrypt (SM2)', kind: { keyUsage: 'ENCRYPT_DECRYPT', keySpec: 'SM2' } },
  { name: 'sign and verify', kind: { keyUsage: 'SIGN_VERIFY', keySpec: 'ECC_NIST_P256' } },
  { name: 'HMAC', kind: { keyUsage: 'GENERATE_VERIFY_MAC', keySpec: 'HMAC_256' } },
  { name: 'key agreement', kind: { keyUsage: 'KEY_AGREEMENT', keySpec: 'ECC_NIST_P384' } },
].flatMap(({ name, kind }) => [
  { name, kind },
  { name: `multi-Region ${name}`, kind: { ...kind, multiRegion: true } },
]);

/** The principal lists Create Key takes: none, one, several; services and other accounts among the users. */
const PEOPLE: ReadonlyArray<{ administrators: string[]; users: string[] }> = [
  { administrators: [], users: [] },
  { administrators: values(`arn:aws:iam::${ACCOUNT}:role/Admin`), users: [] },
  { administrators: [], users: values(`arn:aws:iam::${ACCOUNT}:role/App`) },
  {
    administrators: values(`arn:aws:iam::${ACCOUNT}:role/Admin`, `arn:aws:iam::${ACCOUNT}:user/ops/alice`),
    users: values(`arn:aws:iam::${ACCOUNT}:role/App`, 'lambda.amazonaws.com', OTHER, `arn:aws:sts::${ACCOUNT}:assumed-role/Ci/run-1`),
  },
  { administrators: values(ACCOUNT), users: values('logs.amazonaws.com') },
];

describe('the console key policy', () => {
  it("makes KMS's default policy: the account root may do everything", () => {
    assert.deepEqual(defaultKeyPolicy(ACCOUNT), {
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [
        {
          Sid: 'Enable IAM User Permissions',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    });
    assert.deepEqual(defaultKeyPolicy(ACCOUNT, 'aws-cn').Statement, [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws-cn:iam::${ACCOUNT}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ]);
  });

  it('makes the console-style policy with administrators, users and grants for AWS resources (symmetric keys)', () => {
    const policy = consoleKeyPolicy({
      accountId: ACCOUNT,
      partition: 'aws',
      kind: KINDS[0].kind,
      administrators: values(`arn:aws:iam::${ACCOUNT}:role/Admin`),
      allowAdministratorsToDelete: true,
      users: values(`arn:aws:iam::${ACCOUNT}:role/App`, 'lambda.amazonaws.com'),
    });
    const statements = statementsOf(policy) as unknown as Statement[];
    assert.deepEqual(
      statements.map((s) => s.Sid),
      [
        'Enable IAM User Permissions',
        'Allow access for Key Administrators',
        'Allow use of the key',
        'Allow attachment of persistent resources',
      ],
    );
    const [root, admins, use, grants] = statements;
    assert.deepEqual(root.Principal, { AWS: `arn:aws:iam::${ACCOUNT}:root` });
    assert.deepEqual(admins.Principal, { AWS: [`arn:aws:iam::${ACCOUNT}:role/Admin`] });
    assert.ok(admins.Action.includes('kms:ScheduleKeyDeletion'));
    assert.ok(admins.Action.includes('kms:CancelKeyDeletion'));
    assert.ok(!admins.Action.includes('kms:Decrypt'), 'administrators cannot use the key');
    assert.deepEqual(use.Principal, { AWS: [`arn:aws:iam::${ACCOUNT}:role/App`], Service: ['lambda.amazonaws.com'] });
    assert.deepEqual(use.Action, ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey']);
    assert.deepEqual(grants.Principal, { AWS: [`arn:aws:iam::${ACCOUNT}:role/App`] }, 'services get no grant statement');
    assert.deepEqual(grants.Condition, { Bool: { 'kms:GrantIsForAWSResource': 'true' } });
  });

  it('leaves out deletion when not allowed, adds ReplicateKey for multi-Region keys, and grants only for symmetric encryption keys', () => {
    const policy = consoleKeyPolicy({
      accountId: ACCOUNT,
      partition: 'aws',
      kind: { keyUsage: 'SIGN_VERIFY', keySpec: 'RSA_2048', multiRegion: true },
      administrators: values(ACCOUNT),
      allowAdministratorsToDelete: false,
      users: values(`arn:aws:iam::${ACCOUNT}:role/App`),
    });
    const statements = statementsOf(policy) as unknown as Statement[];
    assert.deepEqual(
      statements.map((s) => s.Sid),
      ['Enable IAM User Permissions', 'Allow access for Key Administrators', 'Allow use of the key'],
      'the console gives signing keys no grants statement',
    );
    assert.ok(!statements[1].Action.includes('kms:ScheduleKeyDeletion'));
    assert.ok(statements[1].Action.includes('kms:ReplicateKey'));
  });

  it('gives users the actions of the key type', () => {
    assert.deepEqual(keyUserActions({ keyUsage: 'SIGN_VERIFY' }), ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Sign', 'kms:Verify']);
    assert.deepEqual(keyUserActions({ keyUsage: 'GENERATE_VERIFY_MAC' }), ['kms:DescribeKey', 'kms:GenerateMac', 'kms:VerifyMac']);
    assert.deepEqual(keyUserActions({ keyUsage: 'KEY_AGREEMENT' }), ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:DeriveSharedSecret']);
    assert.ok(keyUserActions({ keyUsage: 'ENCRYPT_DECRYPT', keySpec: 'RSA_2048' }).includes('kms:GetPublicKey'));
  });

  it('says when a policy grows past 32,768 bytes (counting UTF-8 bytes)', () => {
    assert.equal(policySizeProblem(JSON.stringify(defaultKeyPolicy(ACCOUNT), null, 2)), undefined);
    assert.match(policySizeProblem('x'.repeat(32_769)) ?? '', /32769 bytes; KMS allows at most 32768/);
    assert.match(policySizeProblem('é'.repeat(16_385)) ?? '', /32770 bytes/);
  });

  describe('round trip: every policy Create Key makes reads back in the editor form', () => {
    for (const { name, kind } of KINDS) {
      for (const allowAdministratorsToDelete of [true, false]) {
        it(`${name} key, administrators ${allowAdministratorsToDelete ? 'may' : 'may not'} delete`, () => {
          for (const people of PEOPLE) {
            const input = { accountId: ACCOUNT, partition: 'aws', kind, allowAdministratorsToDelete, ...people };
            const policy = consoleKeyPolicy(input);
            const what = `${JSON.stringify(people)}`;
            const ctx = { accountId: ACCOUNT, partition: 'aws', keyKind: kind };
            const form = readPolicyForm(policy, ctx);
            assert.ok(form.ok, form.reason);
            assert.deepEqual(
              form.admins,
              people.administrators.map((principal) => ({ principal, canDelete: allowAdministratorsToDelete })),
              `administrators of ${what}`,
            );
            const otherAccountRoot = `arn:aws:iam::${OTHER}:root`;
            // The policy keeps AWS principals under "AWS" and services under "Service", and the form lists them in that order.
            const isService = (u: string): boolean => u.endsWith('.amazonaws.com');
            const ownUsers = people.users.filter((u) => u !== otherAccountRoot);
            assert.deepEqual(form.users, [...ownUsers.filter((u) => !isService(u)), ...ownUsers.filter(isService)], `users of ${what}`);
            assert.deepEqual(form.accounts, people.users.includes(otherAccountRoot) ? [OTHER] : [], `accounts of ${what}`);
            for (const s of form.statements) assert.ok(s.role, `${s.title} of ${what} is read as a custom statement`);
            assert.deepEqual(
              validatePolicy(JSON.stringify(policy, null, 2))
                .issues.filter((i) => i.severity === 'error')
                .map((i) => i.message),
              [],
              `${what} is valid`,
            );

            // The same people added through the form to KMS's default policy make the same policy.
            let edited: unknown = { ...defaultKeyPolicy(ACCOUNT), Id: 'key-consolepolicy-3' };
            for (const a of people.administrators) {
              const r = addRoleMember(edited, 'admins', a, ctx, { canDelete: allowAdministratorsToDelete });
              assert.ok('value' in r, 'error' in r ? r.error : '');
              edited = r.value;
            }
            for (const u of people.users) {
              const r = addRoleMember(edited, u === otherAccountRoot ? 'accounts' : 'users', u, ctx);
              assert.ok('value' in r, 'error' in r ? r.error : '');
              edited = r.value;
            }
            const again = readPolicyForm(edited, ctx);
            assert.deepEqual(
              [again.admins, again.users, again.accounts],
              [form.admins, form.users, form.accounts],
              `the form's edits of ${what}`,
            );
            assert.deepEqual(
              statementsOf(edited).map((s) => (s as Statement).Action),
              statementsOf(policy).map((s) => (s as Statement).Action),
              `the form writes the statements Create Key writes for ${what}`,
            );
          }
        });
      }
    }
  });
});
