// The key-policy editor's checks by AWS: IAM Access Analyzer's ValidatePolicy (the emulator's
// subset, through the real SDK and the connection's endpoint resolution), findings placed at
// their statements, the caller's identity from STS, and the lockout check naming the caller.
import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '../../../src/core/aws/connection';
import { KmsClientFactory } from '../../../src/core/kms/client';
import { checkLockout } from '../../../src/core/policy/lockoutCheck';
import { PolicyServiceChecks } from '../../../src/core/analyzer/policyServiceChecks';
import { checkPolicyForSave, decideSave } from '../../../src/core/policy/saveDecision';
import { countFindings, placeServiceFindings } from '../../../src/core/policy/serviceFindings';
import { parseHostMessage } from '../../../src/shared/policyProtocol';
import { validatePolicyDocument } from '../../emulator/accessAnalyzer/validatePolicy';
import { EmulatorControl } from '../../emulator/control';
import { type Emulator, startEmulator } from '../../emulator/server';

const ACCOUNT = '111122223333';
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const ME = `arn:aws:iam::${ACCOUNT}:user/test`;
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

const policy = (statements: unknown[], version = true): string =>
  JSON.stringify({ ...(version ? { Version: '2012-10-17' } : {}), Statement: statements }, null, 2);

/** Three statements: a fine one, a `*` principal with an unknown action, and one naming a key ARN as Resource. */
const MIXED = policy([
  { Sid: 'Root', Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' },
  { Sid: 'Everyone', Effect: 'Allow', Principal: '*', Action: ['kms:Decrypt', 'kms:Decrpyt'], Resource: '*' },
  { Sid: 'Arn', Effect: 'Allow', Principal: { AWS: ME }, Action: 'kms:Encrypt', Resource: KEY_ARN },
]);

describe('policy checks by AWS', () => {
  describe("the emulator's ValidatePolicy subset", () => {
    it('finds an unknown action, a * principal without a condition and a Resource other than *, located in the text', () => {
      const findings = validatePolicyDocument(MIXED);
      assert.deepEqual(
        findings.map((f) => [f.findingType, f.issueCode, JSON.stringify(f.locations[0].path)]),
        [
          ['ERROR', 'INVALID_ACTION', '[{"value":"Statement"},{"index":1},{"value":"Action"},{"index":1}]'],
          ['SECURITY_WARNING', 'PUBLIC_PRINCIPAL_WITHOUT_CONDITION', '[{"value":"Statement"},{"index":1},{"value":"Principal"}]'],
          ['SUGGESTION', 'KEY_POLICY_RESOURCE', '[{"value":"Statement"},{"index":2},{"value":"Resource"}]'],
        ],
      );
      const span = findings[0].locations[0].span;
      assert.equal(MIXED.slice(span.start.offset, span.end.offset), '"kms:Decrpyt"');
      assert.equal(span.start.line, MIXED.slice(0, span.start.offset).split('\n').length);
    });

    it('a condition on the * principal, wildcards that match KMS actions, other services: nothing; no Version: a suggestion', () => {
      const text = policy(
        [
          {
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: ['kms:Re*', 'kms:GenerateDataKey*', 's3:GetObject'],
            Resource: '*',
            Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc' } },
          },
        ],
        false,
      );
      assert.deepEqual(
        validatePolicyDocument(text).map((f) => f.issueCode),
        ['MISSING_VERSION'],
      );
      assert.deepEqual(
        validatePolicyDocument('{"Version": "2012-10-17", "Statement": [').map((f) => f.issueCode),
        ['JSON_SYNTAX_ERROR'],
      );
    });
  });

  describe('placing findings', () => {
    it('maps each finding to its statement, offset, line and column (1-based), most serious first', () => {
      const placed = placeServiceFindings([...validatePolicyDocument(MIXED)].reverse(), MIXED);
      assert.deepEqual(
        placed.map((f) => [f.findingType, f.statementIndex, f.where]),
        [
          ['ERROR', 1, 'Statement[1].Action[1]'],
          ['SECURITY_WARNING', 1, 'Statement[1].Principal'],
          ['SUGGESTION', 2, 'Statement[2].Resource'],
        ],
      );
      const error = placed[0];
      assert.equal(MIXED.slice(error.offset, error.offset + error.length), '"kms:Decrpyt"');
      const lineText = MIXED.split('\n')[error.line - 1];
      assert.equal(lineText.slice(error.column - 1, error.column - 1 + error.length), '"kms:Decrpyt"');
      assert.equal(countFindings(placed), '1 error, 1 security warning, 1 suggestion');
    });

    it('without a span, finds the path in the text; a single Statement object is statement 0; bad links are dropped', () => {
      const text = JSON.stringify({
        Version: '2012-10-17',
        Statement: { Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' },
      });
      const [f] = placeServiceFindings(
        [
          {
            findingType: 'SECURITY_WARNING',
            issueCode: 'X',
            findingDetails: 'd',
            learnMoreLink: 'javascript:alert(1)',
            locations: [{ path: [{ value: 'Statement' }, { value: 'Principal' }] }],
          },
        ],
        text,
      );
      assert.equal(f.statementIndex, 0);
      assert.equal(text.slice(f.offset, f.offset + f.length), '"*"');
      assert.equal(f.learnMoreLink, undefined);
      const [unknown] = placeServiceFindings([{ findingType: 'NEW_KIND', findingDetails: '' }], text);
      assert.deepEqual(
        [unknown.findingType, unknown.statementIndex, unknown.offset, unknown.message],
        ['WARNING', undefined, 0, 'The service gave no details.'],
      );
    });

    it('the webview accepts the checks message and refuses a malformed finding', () => {
      const findings = placeServiceFindings(validatePolicyDocument(MIXED), MIXED);
      const message = {
        type: 'serviceChecks',
        text: MIXED,
        analyzer: { state: 'done', findings },
        caller: { state: 'unavailable', reason: 'no STS' },
      };
      assert.equal(parseHostMessage(message).ok, true);
      assert.equal(
        parseHostMessage({ ...message, analyzer: { state: 'done', findings: [{ ...findings[0], findingType: 'BAD' }] } }).ok,
        false,
      );
      assert.equal(parseHostMessage({ ...message, caller: { state: 'done' } }).ok, false);
    });
  });

  describe('the lockout check with the caller', () => {
    const before = policy([{ Sid: 'Me', Effect: 'Allow', Principal: { AWS: ME }, Action: 'kms:*', Resource: '*' }]);
    const after = policy([
      { Sid: 'Other', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/Admin` }, Action: 'kms:*', Resource: '*' },
    ]);

    it('says the change removes your own permission, naming you, when STS named the caller', () => {
      const report = checkLockout(JSON.parse(after), { accountId: ACCOUNT, keyArn: KEY_ARN, callerArn: ME }, JSON.parse(before));
      assert.equal(report.removesCallersPermission, true);
      assert.equal(report.needsConfirmation, true);
      assert.match(
        report.headline,
        /^This change removes your own permission to change the policy: .*arn:aws:iam::111122223333:user\/test/,
      );
      assert.match(report.details.join(' '), /Role Admin .*could still change it/);
    });

    it('keeps the permission when the account (through IAM) still has it, and asks nothing about the caller without STS', () => {
      const withRoot = policy([{ Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' }]);
      assert.equal(
        checkLockout(JSON.parse(withRoot), { accountId: ACCOUNT, keyArn: KEY_ARN, callerArn: ME }, JSON.parse(before))
          .removesCallersPermission,
        false,
      );
      const unknown = checkLockout(JSON.parse(after), { accountId: ACCOUNT, keyArn: KEY_ARN }, JSON.parse(before));
      assert.equal(unknown.removesCallersPermission, false);
      assert.doesNotMatch(unknown.headline, /your own permission/);
    });

    it('the save decision asks with the caller, lists the findings, and says what could not be checked', () => {
      const ctx = {
        label: 'alias/app',
        accountId: ACCOUNT,
        keyArn: KEY_ARN,
        callerArn: ME,
        serviceFindings: placeServiceFindings(validatePolicyDocument(after), after),
      };
      const decision = decideSave(checkPolicyForSave(after, ctx), before, before, ctx);
      assert.equal(decision.kind, 'ready');
      if (decision.kind !== 'ready') return;
      assert.match(decision.confirmLockout?.message ?? '', /removes your own permission.*user\/test/);
      assert.match(decision.confirm.detail, /IAM Access Analyzer found nothing to report/);
      const unchecked = decideSave(checkPolicyForSave(after, ctx), before, before, {
        ...ctx,
        callerArn: undefined,
        callerUnknown: 'STS did not answer in time.',
        serviceFindings: undefined,
        analyzerUnavailable: 'the endpoint does not offer IAM Access Analyzer',
      });
      assert.equal(unchecked.kind, 'ready');
      if (unchecked.kind !== 'ready') return;
      assert.match(unchecked.confirm.detail, /Not checked by IAM Access Analyzer: the endpoint does not offer IAM Access Analyzer/);
      assert.match(
        unchecked.confirm.detail,
        /Your own identity is not known \(STS did not answer in time\.\): the lockout check assumed you act through the account 111122223333/,
      );
    });
  });

  describe('through the SDK against the emulator', () => {
    let emulator: Emulator;
    let dir: string;
    before(async () => {
      emulator = await startEmulator({ port: 0 });
      dir = mkdtempSync(join(tmpdir(), 'kmswb-analyzer-'));
      // Access Analyzer's endpoint from the profile's services section, as the SDK reads it.
      writeFileSync(
        join(dir, 'config'),
        `[profile emu]\nregion = us-east-1\nservices = emu\n[services emu]\naccessanalyzer =\n  endpoint_url = ${emulator.url}\nsts =\n  endpoint_url = ${emulator.url}\n`,
      );
      writeFileSync(join(dir, 'credentials'), '[emu]\naws_access_key_id = test\naws_secret_access_key = test\n');
    });
    after(() => emulator.close());

    function checker(): { checks: PolicyServiceChecks; kms: KmsClientFactory; connection: Connection } {
      const env = {
        AWS_CONFIG_FILE: join(dir, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
        HOME: dir,
        AWS_EC2_METADATA_DISABLED: 'true',
      };
      const kms = new KmsClientFactory({ env, maxAttempts: 1 });
      const checks = new PolicyServiceChecks({ env, credentials: async (c) => (await kms.client(c)).config.credentials });
      return { checks, kms, connection: { id: 'emu', label: 'emu', profile: 'emu', region: 'us-east-1' } };
    }

    it('ValidatePolicy answers the findings, and GetCallerIdentity the caller', async () => {
      const { checks, kms, connection } = checker();
      try {
        const raw = await checks.validateKeyPolicy(connection, MIXED);
        assert.deepEqual(
          raw.map((f) => f.issueCode),
          ['INVALID_ACTION', 'PUBLIC_PRINCIPAL_WITHOUT_CONDITION', 'KEY_POLICY_RESOURCE'],
        );
        assert.equal(emulator.callCount('AccessAnalyzer.ValidatePolicy'), 1);
        assert.equal(await checks.callerArn(connection), ME);
      } finally {
        checks.forget();
        kms.forget();
      }
    });

    it('says what it could not check when the emulator serves neither Access Analyzer nor STS', async () => {
      const { checks, kms, connection } = checker();
      await new EmulatorControl(emulator.url).setServices({ sts: false, accessAnalyzer: false });
      try {
        await assert.rejects(checks.validateKeyPolicy(connection, MIXED), /does not offer IAM Access Analyzer/);
        await assert.rejects(checks.callerArn(connection), (e: Error) => e.name === 'ServiceCheckError' && /STS/.test(e.message));
      } finally {
        await new EmulatorControl(emulator.url).setServices({ sts: true, accessAnalyzer: true });
        checks.forget();
        kms.forget();
      }
    });
  });
});
