import * as assert from 'node:assert/strict';
import { describeClause } from '../../../src/core/access/conditionWords';
import { type AccessEntry, analyzeKeyAccess, type GrantInput } from '../../../src/core/access/effectiveAccess';
import { ACCOUNT, fixtureGrants, OTHER_ACCOUNT, openPolicy, reviewedPolicy } from './accessFixtures';

const keyArn = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const grants: GrantInput[] = fixtureGrants.map((g, i) => ({
  GrantId: `g${i}`,
  Name: g.name,
  GranteePrincipal: g.granteePrincipal,
  RetiringPrincipal: g.retiringPrincipal,
  Operations: g.operations,
  Constraints: g.constraints,
}));

function entry(entries: readonly AccessEntry[], principal: string, source: 'policy' | 'grant' = 'policy'): AccessEntry {
  const found = entries.find((e) => e.principal === principal && e.source === source);
  assert.ok(found, `no ${source} entry for ${principal}: ${entries.map((e) => e.principal).join(', ')}`);
  return found;
}

describe('effective access of a key (policy and grants)', () => {
  const access = analyzeKeyAccess({ keyArn, policy: JSON.stringify(reviewedPolicy), grants });

  // principal, source, group, actions, conditions (as words), statement or grant
  const expected: [string, 'policy' | 'grant', string, string[], RegExp[], string][] = [
    [`arn:aws:iam::${ACCOUNT}:root`, 'policy', 'administrators', ['kms:*'], [], 'EnableRoot'],
    [`arn:aws:iam::${ACCOUNT}:role/KeyAdmin`, 'policy', 'administrators', ['kms:Create*', 'kms:Describe*'], [], 'KeyAdmins'],
    [
      `arn:aws:iam::${ACCOUNT}:role/App`,
      'policy',
      'users',
      ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      [],
      'KeyUsers',
    ],
    [`arn:aws:iam::${ACCOUNT}:user/batch`, 'policy', 'users', ['kms:Encrypt'], [], 'KeyUsers'],
    [
      '*',
      'policy',
      'everyone',
      ['kms:Decrypt', 'kms:DescribeKey'],
      [/only principals in AWS organization "o-a1b2c3d4e5" \(aws:PrincipalOrgID\)/],
      'OrgRead',
    ],
    [`arn:aws:iam::${OTHER_ACCOUNT}:user/partner`, 'policy', 'otherAccounts', ['kms:Decrypt'], [], 'PartnerDecrypt'],
    [
      `arn:aws:iam::${ACCOUNT}:role/Reports`,
      'policy',
      'users',
      ['kms:Decrypt'],
      [/only with encryption context Department is "finance" \(the key name matches in any case\)/],
      'ContextRule',
    ],
    [
      `arn:aws:iam::${ACCOUNT}:role/App`,
      'grant',
      'users',
      ['kms:Decrypt', 'kms:GenerateDataKey'],
      [
        /only when the encryption context includes department=Finance \(keys and values case-sensitive\)/,
        /can be retired by arn:aws:iam::111122223333:role\/KeyAdmin/,
      ],
      'g0',
    ],
    [`arn:aws:iam::${ACCOUNT}:role/Worker`, 'grant', 'users', ['kms:Encrypt', 'kms:Decrypt'], [], 'g1'],
  ];
  for (const [principal, source, group, actions, conditions, where] of expected) {
    it(`${source} ${where}: ${principal} is in ${group}`, () => {
      const e = access.principals.find(
        (p) => p.principal === principal && p.source === source && (p.statementSid === where || p.grantId === where),
      );
      assert.ok(e, `missing ${principal} from ${where}`);
      assert.equal(e.group, group);
      for (const a of actions) assert.ok(e.actions.includes(a), `${a} in ${e.actions.join(', ')}`);
      if (!conditions.length) assert.deepEqual(e.conditions, []);
      for (const c of conditions)
        assert.ok(
          e.conditions.some((t) => c.test(t)),
          `${String(c)} in ${e.conditions.join(' | ')}`,
        );
    });
  }

  it('names the account root as "any principal of the account whose IAM policy allows it", and the ViaService "*" as a service', () => {
    assert.match(
      entry(access.principals, `arn:aws:iam::${ACCOUNT}:root`).description,
      /any principal of this account 111122223333 whose IAM policy allows it/,
    );
    const via = access.principals.find((p) => p.statementSid === 'ViaS3');
    assert.equal(via?.group, 'services');
    assert.deepEqual(via?.conditions, [
      'only through "s3.us-east-1.amazonaws.com" (kms:ViaService)',
      'only callers of account "111122223333" (kms:CallerAccount)',
    ]);
  });

  it('flags cross-account decrypt, the grant without constraints and the context case mismatch, but not the org-limited "*"', () => {
    const codes = access.findings.map((f) => `${f.code}@${f.where}`);
    assert.deepEqual(
      codes.sort(),
      [
        'CrossAccountDecrypt@statement PartnerDecrypt',
        'GrantContextCase@grant constrained (g0)',
        'GrantWithoutConstraints@grant open-ended (g1)',
      ].sort(),
    );
    assert.match(
      access.findings.find((f) => f.code === 'GrantContextCase')!.detail,
      /requires department=Finance exactly.*statement ContextRule tests kms:EncryptionContext:Department "finance"/,
    );
  });

  it('flags "*" whose only condition does not limit who (aws:SecureTransport), and Allow with NotPrincipal', () => {
    const open = analyzeKeyAccess({ keyArn, policy: JSON.stringify(openPolicy), grants: [] });
    assert.deepEqual(
      open.findings.map((f) => f.code),
      ['PublicAccess'],
    );
    assert.match(open.findings[0].detail, /allows "\*" to kms:\* \(only over TLS\)/);
    const notPrincipal = analyzeKeyAccess({
      keyArn,
      policy: JSON.stringify({
        Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:role/X` }, Action: 'kms:Decrypt', Resource: '*' }],
      }),
      grants: [],
    });
    assert.equal(notPrincipal.findings[0]?.code, 'AllowWithNotPrincipal');
    assert.equal(notPrincipal.principals[0]?.group, 'everyone');
  });

  it('reads NotAction, Deny statements, grants to services and other accounts, keys differing in case', () => {
    const result = analyzeKeyAccess({
      keyArn,
      policy: JSON.stringify({
        Statement: [
          { Sid: 'NoDelete', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:ScheduleKeyDeletion', Resource: '*' },
          { Sid: 'AllButDelete', Effect: 'Allow', Principal: { AWS: ACCOUNT }, NotAction: 'kms:ScheduleKeyDeletion', Resource: '*' },
        ],
      }),
      grants: [
        {
          GrantId: 'svc',
          GranteePrincipal: 'dynamodb.us-east-1.amazonaws.com',
          Operations: ['Decrypt'],
          Constraints: { EncryptionContextSubset: { 'aws:dynamodb:tableName': 'Books' } },
        },
        {
          GrantId: 'xacct',
          GranteePrincipal: `arn:aws:iam::${OTHER_ACCOUNT}:role/Reader`,
          Operations: ['Decrypt'],
          Constraints: { EncryptionContextEquals: { App: 'a', app: 'b' } },
        },
      ],
    });
    const deny = result.principals.find((p) => p.statementSid === 'NoDelete');
    assert.equal(deny?.effect, 'Deny');
    assert.deepEqual(result.principals.find((p) => p.statementSid === 'AllButDelete')?.actions, [
      'every action except kms:ScheduleKeyDeletion',
    ]);
    assert.equal(result.principals.find((p) => p.grantId === 'svc')?.group, 'services');
    assert.equal(result.principals.find((p) => p.grantId === 'xacct')?.group, 'otherAccounts');
    assert.deepEqual(result.findings.map((f) => f.code).sort(), ['CrossAccountDecrypt', 'GrantContextCase']);
    assert.ok(!result.findings.some((f) => f.code === 'PublicAccess'), 'a Deny for "*" is not public access');
  });

  it('says what a condition means in words', () => {
    assert.equal(
      describeClause({ operator: 'ForAnyValue:StringEquals', key: 'kms:EncryptionContextKeys', values: ['a', 'b'] }),
      'only when the encryption context has any of the keys "a", "b"',
    );
    assert.equal(
      describeClause({ operator: 'Bool', key: 'kms:GrantIsForAWSResource', values: ['true'] }),
      'only grants made by an AWS service for an AWS resource (kms:GrantIsForAWSResource)',
    );
    assert.equal(describeClause({ operator: 'StringNotEquals', key: 'kms:ViaService', values: ['x'] }), 'kms:ViaService is not "x"');
    assert.equal(describeClause({ operator: 'Null', key: 'aws:PrincipalTag/team', values: ['false'] }), 'aws:PrincipalTag/team is present');
  });

  it('reports a policy that is not JSON instead of throwing', () => {
    const bad = analyzeKeyAccess({ keyArn, policy: '{', grants: [] });
    assert.equal(bad.findings[0]?.code, 'UnparsablePolicy');
    assert.throws(() => analyzeKeyAccess({ keyArn: 'key/1', policy: '{}', grants: [] }), /not a KMS key ARN/);
  });
});
