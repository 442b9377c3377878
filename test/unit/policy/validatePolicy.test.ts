import * as assert from 'node:assert/strict';
import { parseJson, positionAt } from '../../../src/core/policy/jsonDocument';
import { POLICY_SIZE_LIMIT } from '../../../src/core/policy/policyModel';
import { sidScope } from '../../../src/core/policy/sidIntent';
import { type PolicyIssue, validatePolicy } from '../../../src/core/policy/validatePolicy';
import { ACCOUNT, API_DEFAULT, CONSOLE_POLICY, KEY_ARN } from './fixtures';

const ctx = { accountId: ACCOUNT, keyArn: KEY_ARN };

function policy(...statements: unknown[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 2);
}
const allowRoot = {
  Sid: 'Enable IAM User Permissions',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  Action: 'kms:*',
  Resource: '*',
};

function codes(issues: readonly PolicyIssue[], severity?: string): string[] {
  return issues.filter((i) => !severity || i.severity === severity).map((i) => i.code);
}
function only(text: string, code: string): PolicyIssue {
  const found = validatePolicy(text, ctx).issues.filter((i) => i.code === code);
  assert.equal(
    found.length,
    1,
    `expected one ${code}, got ${JSON.stringify(
      validatePolicy(text, ctx).issues.map((i) => `${i.code}: ${i.message}`),
      null,
      1,
    )}`,
  );
  return found[0];
}

describe('policy validation', () => {
  describe('JSON syntax, with line and column', () => {
    it('accepts the default policies without a single issue', () => {
      for (const text of [API_DEFAULT, CONSOLE_POLICY]) {
        const v = validatePolicy(text, ctx);
        assert.deepEqual(v.issues, [], JSON.stringify(v.issues));
        assert.equal(v.syntaxOk, true);
      }
    });

    it('points at a missing comma', () => {
      const text = '{\n  "Version": "2012-10-17"\n  "Statement": []\n}';
      const v = validatePolicy(text);
      assert.equal(v.syntaxOk, false);
      assert.equal(v.errorCount, 1);
      const [e] = v.issues;
      assert.equal(e.code, 'json-syntax');
      assert.match(e.message, /Missing comma before the property "Statement"/);
      assert.deepEqual([e.line, e.column], [3, 3]);
    });

    it('names trailing commas, comments, single quotes and unterminated strings', () => {
      assert.match(validatePolicy('{"Version": "2012-10-17",}').issues[0].message, /Trailing comma/);
      assert.match(validatePolicy('{"Version": "2012-10-17" // why\n}').issues[0].message, /Comments are not allowed/);
      assert.match(validatePolicy("{'Version': 1}").issues[0].message, /double quote/);
      const e = validatePolicy('{\n "Sid": "abc\n}').issues[0];
      assert.match(e.message, /Unterminated string/);
      assert.deepEqual([e.line, e.column], [2, 9]);
      assert.match(validatePolicy('').issues[0].message, /The text is empty/);
      assert.match(validatePolicy('{"a": tru}').issues[0].message, /Unexpected word "tru"/);
      assert.match(validatePolicy('{} x').issues[0].message, /after the end of the policy/);
    });

    it('reports a key given twice in one object', () => {
      const text =
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}';
      const e = only(text, 'duplicate-key');
      assert.equal(e.severity, 'error');
      assert.equal(e.statementIndex, 0);
      assert.equal(text.slice(e.offset, e.offset + e.length), '"Effect"');
      assert.equal(e.offset, text.lastIndexOf('"Effect"'));
    });

    it('keeps positions in UTF-16 columns and lines', () => {
      assert.deepEqual(positionAt('ab\ncd', 4), { line: 2, column: 2 });
      const parsed = parseJson('{"a": [1, {"b": null}]}');
      assert.ok(parsed.root);
      assert.equal(parsed.errors.length, 0);
    });
  });

  describe('grammar', () => {
    it('requires Effect, Principal, Action and Resource in every statement', () => {
      const v = validatePolicy(policy({ Sid: 'Bare' }), ctx);
      assert.deepEqual(codes(v.issues, 'error').sort(), ['no-action', 'no-effect', 'no-principal', 'no-resource']);
      for (const i of v.issues) assert.equal(i.statementIndex, 0);
      assert.match(v.issues.find((i) => i.code === 'no-resource')?.message ?? '', /"Resource": "\*"/);
    });

    it('refuses unknown elements and names the right spelling', () => {
      assert.match(only(policy({ ...allowRoot, action: 'kms:Decrypt' }), 'unknown-element').message, /must be written "Action"/);
      assert.match(
        only(JSON.stringify({ Version: '2012-10-17', Statement: [allowRoot], Foo: 1 }), 'unknown-element').message,
        /Version, Id and Statement/,
      );
    });

    it('checks Version and Statement', () => {
      assert.match(only(JSON.stringify({ Version: '2024-01-01', Statement: [allowRoot] }), 'version').message, /2012-10-17/);
      assert.equal(only(JSON.stringify({ Statement: [allowRoot] }), 'no-version').severity, 'warning');
      assert.equal(only(JSON.stringify({ Version: '2012-10-17' }), 'no-statement').severity, 'error');
      assert.equal(only(JSON.stringify({ Version: '2012-10-17', Statement: [] }), 'no-statement').severity, 'error');
      assert.deepEqual(
        validatePolicy(JSON.stringify({ Version: '2012-10-17', Statement: allowRoot }), ctx).issues,
        [],
        'a single statement object is allowed',
      );
      assert.equal(only('[]', 'not-object').severity, 'error');
    });

    it('checks Effect values and suggests the capitalised form', () => {
      assert.match(only(policy({ ...allowRoot, Effect: 'allow' }), 'effect').message, /Write "Allow"/);
    });

    it('checks both-of-a-pair and empty lists', () => {
      assert.ok(codes(validatePolicy(policy({ ...allowRoot, NotAction: 'kms:Decrypt' }), ctx).issues).includes('action-both'));
      assert.ok(codes(validatePolicy(policy({ ...allowRoot, Action: [] }), ctx).issues).includes('action-empty'));
      assert.ok(codes(validatePolicy(policy({ ...allowRoot, Principal: { AWS: [] } }), ctx).issues).includes('principal-empty'));
    });

    it('checks conditions: operators, blocks and values', () => {
      assert.match(
        only(policy({ ...allowRoot, Condition: { StringEqual: { 'kms:CallerAccount': ACCOUNT } } }), 'condition-operator').message,
        /did you mean "StringEquals"/,
      );
      assert.match(
        only(policy({ ...allowRoot, Condition: { stringequals: { 'kms:CallerAccount': ACCOUNT } } }), 'condition-operator').message,
        /case-sensitive/,
      );
      assert.equal(
        validatePolicy(
          policy({ ...allowRoot, Condition: { 'ForAnyValue:StringLikeIfExists': { 'kms:EncryptionContextKeys': ['a*'] } } }),
          ctx,
        ).errorCount,
        0,
      );
      assert.ok(codes(validatePolicy(policy({ ...allowRoot, Condition: { StringEquals: 'x' } }), ctx).issues).includes('condition-block'));
      assert.ok(
        codes(validatePolicy(policy({ ...allowRoot, Condition: { Bool: { 'aws:SecureTransport': 'yes' } } }), ctx).issues).includes(
          'condition-value',
        ),
      );
      assert.ok(
        codes(
          validatePolicy(policy({ ...allowRoot, Condition: { StringEquals: { 'kms:CallerAccount': { a: 1 } } } }), ctx).issues,
        ).includes('condition-value'),
      );
    });
  });

  describe('actions', () => {
    it('flags unknown kms actions with a suggestion', () => {
      const e = only(policy({ ...allowRoot, Sid: 'Use', Action: ['kms:Decrpyt'] }), 'unknown-action');
      assert.equal(e.severity, 'warning');
      assert.match(e.message, /Did you mean "kms:Decrypt"/);
      assert.deepEqual(e.path, ['Statement', 0, 'Action', 0]);
    });

    it('accepts every known action and wildcards that match', () => {
      const v = validatePolicy(
        policy({ ...allowRoot, Action: ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:decrypt', 'kms:Get*', '*'] }),
        ctx,
      );
      assert.deepEqual(v.issues, []);
    });

    it('warns about actions with no effect in a key policy', () => {
      assert.match(only(policy({ ...allowRoot, Action: 'kms:CreateKey' }), 'action-not-key').message, /IAM policy/);
      assert.match(only(policy({ ...allowRoot, Action: 's3:GetObject' }), 'action-service').message, /not a KMS action/);
      assert.match(only(policy({ ...allowRoot, Action: 'kms:Frob*' }), 'action-matches-nothing').message, /matches no KMS action/);
      assert.equal(only(policy({ ...allowRoot, Action: 'Decrypt' }), 'action-form').severity, 'error');
    });
  });

  describe('principals', () => {
    const withAws = (aws: unknown): string => policy({ ...allowRoot, Sid: 'P', Principal: { AWS: aws } });

    it('accepts account ids, root, users, roles with paths and assumed roles', () => {
      for (const p of [
        ACCOUNT,
        `arn:aws:iam::${ACCOUNT}:root`,
        `arn:aws:iam::${ACCOUNT}:user/alice`,
        `arn:aws:iam::${ACCOUNT}:role/path/to/Admin`,
        `arn:aws-cn:iam::${ACCOUNT}:role/X`,
      ]) {
        assert.equal(validatePolicy(withAws(p), ctx).errorCount, 0, p);
      }
      assert.equal(only(withAws(`arn:aws:sts::${ACCOUNT}:assumed-role/Admin/alice`), 'principal-session').severity, 'warning');
    });

    it('refuses groups, wildcards in ARNs, short account ids and other strings', () => {
      assert.match(only(withAws(`arn:aws:iam::${ACCOUNT}:group/Admins`), 'principal-arn').message, /IAM group cannot be a principal/);
      assert.match(only(withAws(`arn:aws:iam::${ACCOUNT}:role/*`), 'principal-arn').message, /wildcards are not allowed.*aws:PrincipalArn/);
      assert.match(only(withAws('12345'), 'principal-arn').message, /exactly 12 digits/);
      assert.match(only(withAws('alice'), 'principal-arn').message, /not a principal/);
      assert.match(only(withAws(`arn:aws:iam:us-east-1:${ACCOUNT}:role/X`), 'principal-arn').message, /no Region/);
      assert.match(
        only(policy({ ...allowRoot, Principal: { IAM: 'x' } }), 'principal-type').message,
        /AWS, Service, Federated or CanonicalUser/,
      );
      assert.match(
        only(policy({ ...allowRoot, Principal: `arn:aws:iam::${ACCOUNT}:root` }), 'principal-form').message,
        /\{"AWS": "arn:aws:iam::111122223333:root"\}/,
      );
    });

    it('warns about deleted principals (unique ids) and odd service names', () => {
      assert.match(only(withAws('AROAEXAMPLEID1234567'), 'principal-deleted').message, /deleted IAM role/);
      assert.equal(only(policy({ ...allowRoot, Principal: { Service: 'logs' } }), 'principal-service').severity, 'warning');
      assert.equal(validatePolicy(policy({ ...allowRoot, Principal: { Service: 'logs.us-east-1.amazonaws.com' } }), ctx).issues.length, 0);
    });
  });

  describe('warnings for policies that give away more than they seem to', () => {
    it('warns about "Principal": "*" without a Condition, not with one', () => {
      const open = { Sid: 'Public', Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' };
      const w = only(policy(allowRoot, open), 'public-principal');
      assert.equal(w.severity, 'warning');
      assert.match(w.message, /any principal in any AWS account use this key/);
      assert.equal(w.statementIndex, 1);
      assert.equal(
        codes(validatePolicy(policy(allowRoot, { ...open, Principal: { AWS: '*' } }), ctx).issues).includes('public-principal'),
        true,
      );
      const conditioned = { ...open, Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT } } };
      assert.equal(codes(validatePolicy(policy(allowRoot, conditioned), ctx).issues).includes('public-principal'), false);
    });

    it('warns when the actions are broader than the Sid suggests', () => {
      const w = only(
        policy(allowRoot, {
          Sid: 'Allow use of the key',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/App` },
          Action: ['kms:Decrypt', 'kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion'],
          Resource: '*',
        }),
        'broader-than-sid',
      );
      assert.match(
        w.message,
        /suggests using the key, but the actions also allow administering it and deleting it \(kms:PutKeyPolicy, kms:ScheduleKeyDeletion\)/,
      );
      const ro = only(
        policy(allowRoot, {
          Sid: 'ReadOnlyAccess',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/Auditor` },
          Action: 'kms:*',
          Resource: '*',
        }),
        'broader-than-sid',
      );
      assert.match(ro.message, /suggests reading the key’s metadata/);
      assert.match(ro.message, /and \d+ more/);
      assert.equal(
        only(
          policy(allowRoot, {
            Sid: 'KeyAdmins',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/A` },
            Action: ['kms:Put*', 'kms:Decrypt'],
            Resource: '*',
          }),
          'broader-than-sid',
        ).severity,
        'warning',
      );
    });

    it('does not flag the root statement, Deny statements, or Sids that say nothing', () => {
      for (const s of [
        allowRoot,
        {
          Sid: 'DenyEverythingOutsideOrg',
          Effect: 'Deny',
          Principal: '*',
          Action: 'kms:*',
          Resource: '*',
          Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc' } },
        },
        { Sid: 'Statement1', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/A` }, Action: 'kms:*', Resource: '*' },
      ]) {
        assert.equal(codes(validatePolicy(policy(allowRoot, s), ctx).issues).includes('broader-than-sid'), false, JSON.stringify(s));
      }
      assert.equal(sidScope('Enable IAM User Permissions'), undefined);
      assert.equal(sidScope('AllowKeyUsers'), 'use');
      assert.equal(sidScope('Allow attachment of persistent resources'), 'grant');
      assert.equal(sidScope('Allow access for Key Administrators'), 'admin');
    });

    it('warns about Allow with NotAction or NotPrincipal, and a Deny of everyone', () => {
      assert.ok(
        codes(
          validatePolicy(policy(allowRoot, { Effect: 'Allow', Principal: { AWS: ACCOUNT }, NotAction: 'kms:Decrypt', Resource: '*' }), ctx)
            .issues,
        ).includes('allow-not-action'),
      );
      assert.ok(
        codes(
          validatePolicy(policy(allowRoot, { Effect: 'Allow', NotPrincipal: { AWS: ACCOUNT }, Action: 'kms:Decrypt', Resource: '*' }), ctx)
            .issues,
        ).includes('allow-not-principal'),
      );
      assert.ok(
        codes(validatePolicy(policy(allowRoot, { Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*' }), ctx).issues).includes(
          'deny-everyone',
        ),
      );
    });

    it('warns about a Resource that is not this key', () => {
      assert.match(only(policy({ ...allowRoot, Resource: 'arn:aws:s3:::bucket' }), 'resource-other').message, /does not name it/);
      assert.equal(validatePolicy(policy({ ...allowRoot, Resource: KEY_ARN }), ctx).issues.length, 0);
    });
  });

  describe('size and characters', () => {
    it('counts UTF-8 bytes and refuses more than 32,768', () => {
      const v = validatePolicy(API_DEFAULT, ctx);
      assert.equal(v.byteLength, Buffer.byteLength(API_DEFAULT, 'utf8'));
      assert.equal(v.byteLimit, POLICY_SIZE_LIMIT);
      const principals = Array.from({ length: 700 }, (_, i) => `arn:aws:iam::${ACCOUNT}:role/application-role-number-${i}`);
      const big = policy(allowRoot, {
        Sid: 'Allow use of the key',
        Effect: 'Allow',
        Principal: { AWS: principals },
        Action: 'kms:Decrypt',
        Resource: '*',
      });
      assert.ok(Buffer.byteLength(big) > POLICY_SIZE_LIMIT);
      const e = only(big, 'too-large');
      assert.equal(e.severity, 'error');
      assert.match(e.message, /accepts at most 32,768/);
    });

    it('refuses characters KMS does not accept, and accepts Latin-1', () => {
      assert.equal(validatePolicy(policy({ ...allowRoot, Sid: 'Schlüssel' }), ctx).errorCount, 0);
      const e = only(policy({ ...allowRoot, Sid: 'Key → users' }), 'character');
      assert.match(e.message, /"→"/);
      assert.equal(only(policy({ ...allowRoot, Sid: 'emoji 🔑' }), 'character').length, 2);
    });
  });
});
