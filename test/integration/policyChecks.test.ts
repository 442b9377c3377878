// The key-policy editor with the checks of AWS (issue 16), in the real extension host against the
// emulator: IAM Access Analyzer's ValidatePolicy findings posted to the webview at their
// statements, the lockout question naming the caller that sts:GetCallerIdentity reported, and
// what the editor says when the endpoint has neither Access Analyzer nor STS.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Connection } from '../../src/core/aws/connection';
import type { KmsGateway } from '../../src/core/kms/gateway';
import type { KmsWorkbenchApi } from '../../src/extension';
import type { EditKeyPolicyResult } from '../../src/host/policyEditor/registerPolicyEditor';
import type { UserInput } from '../../src/host/ui/userInput';
import type { HostMessage, SaveResult, ServiceChecksMessage } from '../../src/shared/policyProtocol';
import { EmulatorControl } from '../emulator/control';
import { type ScriptedAnswer, ScriptedUserInput } from '../support/scriptedUserInput';
import { activeExtension, emulatorUrl } from './util/env';
import { type PolicyEditorDriver, PolicyEditorRecorder } from './util/policyEditorDriver';

const ACCOUNT = '111122223333';
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
/** The emulator's STS names the caller of access key `test` so. */
const CALLER = `arn:aws:iam::${ACCOUNT}:user/test`;
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/Admin`;

type Testing = NonNullable<KmsWorkbenchApi['testing']>;

const policy = (statements: unknown[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 2);

/** The first checks of `text` the editor posted (from its opening on) that satisfy `done`. */
async function checksOf(
  session: PolicyEditorDriver,
  text: string,
  done: (m: ServiceChecksMessage) => boolean,
  timeoutMs = 60_000,
): Promise<ServiceChecksMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = session
      .posted()
      .find((m: HostMessage): m is ServiceChecksMessage => m.type === 'serviceChecks' && m.text === text && done(m));
    if (found) return found;
    if (Date.now() > deadline)
      throw new Error(
        `Timed out waiting for the checks of the policy (${JSON.stringify(
          session
            .posted()
            .filter((m) => m.type === 'serviceChecks')
            .slice(-1),
        )})`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
const finished = (m: ServiceChecksMessage): boolean => m.analyzer.state !== 'checking' && m.caller.state !== 'checking';

describe('key-policy editor: the checks of AWS', function () {
  this.timeout(90_000);
  let testing: Testing;
  let editors: PolicyEditorRecorder;
  let connection: Connection;
  let gateway: KmsGateway;
  let previousUi: UserInput | undefined;
  const control = new EmulatorControl(emulatorUrl());

  before(async function () {
    const ext = (await activeExtension()) as vscode.Extension<KmsWorkbenchApi>;
    if (!ext.exports.testing) {
      console.log('      (skipped: the extension exposes no testing API in this run)');
      this.skip();
    }
    testing = ext.exports.testing;
    editors = new PolicyEditorRecorder(testing.policyEditor);
    connection = await testing.services.connections.find(undefined);
    gateway = testing.services.kms.gateway(connection);
  });

  after(async () => {
    await control.setServices({ sts: true, accessAnalyzer: true }).catch(() => undefined);
    editors?.dispose();
    if (previousUi) testing.setUserInput(previousUi);
    // As a person would after their endpoint changed: the editors' checks start over.
    await vscode.commands.executeCommand('kmsWorkbench.refreshView');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  function answer(...answers: ScriptedAnswer[]): ScriptedUserInput {
    const ui = new ScriptedUserInput(answers);
    const previous = testing.setUserInput(ui);
    previousUi ??= previous;
    return ui;
  }

  async function open(description: string, policyText?: string): Promise<{ keyId: string; session: PolicyEditorDriver }> {
    const keyId = (await gateway.createKey({ Description: description })).KeyId!;
    if (policyText) await gateway.putKeyPolicy(keyId, policyText);
    const result = await vscode.commands.executeCommand<EditKeyPolicyResult>('kmsWorkbench.editKeyPolicy', { keyId });
    const session = editors.session(result.keyId);
    assert.ok(session, 'no editor session after editKeyPolicy');
    return { keyId, session };
  }

  async function save(session: PolicyEditorDriver, text: string): Promise<SaveResult> {
    const reply = await session.request({ kind: 'save', text });
    assert.ok(reply.ok, reply.ok ? '' : reply.error);
    return reply.result as SaveResult;
  }

  it('without Access Analyzer or STS on the endpoint, the editor says what it could not check, and so does the save question', async () => {
    await control.setServices({ sts: false, accessAnalyzer: false });
    await vscode.commands.executeCommand('kmsWorkbench.refreshView');
    try {
      const { keyId, session } = await open('policy checks: not checked');
      const text = session.text();
      const checks = await checksOf(session, text, finished);
      assert.equal(checks.analyzer.state, 'unavailable');
      assert.match(checks.analyzer.state === 'unavailable' ? checks.analyzer.reason : '', /does not offer IAM Access Analyzer/);
      assert.equal(checks.caller.state, 'unavailable');
      assert.match(checks.caller.state === 'unavailable' ? checks.caller.reason : '', /STS/);

      const edited = policy([
        { Sid: 'Root', Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' },
        { Sid: 'Use', Effect: 'Allow', Principal: { AWS: ADMIN }, Action: 'kms:Decrypt', Resource: '*' },
      ]);
      const ui = answer(false);
      const result = await save(session, edited);
      assert.equal(result.saved, false);
      assert.equal(ui.asked.length, 1);
      assert.match(ui.asked[0].detail ?? '', /Not checked by IAM Access Analyzer: the endpoint does not offer IAM Access Analyzer/);
      assert.match(
        ui.asked[0].detail ?? '',
        /Your own identity is not known \(.*STS.*\): the lockout check assumed you act through the account 111122223333/,
      );
      assert.notEqual(await gateway.getKeyPolicy(keyId), edited, 'nothing was written');
    } finally {
      await control.setServices({ sts: true, accessAnalyzer: true });
      await vscode.commands.executeCommand('kmsWorkbench.refreshView');
    }
  });

  it('with Access Analyzer turned off in the user settings, the policy is not sent and the editor says so; on again, it is checked', async () => {
    const settings = () => vscode.workspace.getConfiguration('kmsWorkbench');
    await settings().update('policyEditor.accessAnalyzer', false, vscode.ConfigurationTarget.Global);
    try {
      const calls = await control.callCount('AccessAnalyzer.ValidatePolicy');
      const { session } = await open('policy checks: Access Analyzer off');
      const text = session.text();
      const checks = await checksOf(session, text, finished);
      assert.equal(checks.analyzer.state, 'unavailable');
      assert.match(
        checks.analyzer.state === 'unavailable' ? checks.analyzer.reason : '',
        /turned off in your user settings \(kmsWorkbench\.policyEditor\.accessAnalyzer\)/,
      );
      assert.deepEqual(checks.caller, { state: 'done', arn: CALLER }, 'the caller is still asked: no policy goes to STS');
      const edited = policy([{ Sid: 'Everyone', Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }]);
      await session.receive({ type: 'edit', text: edited });
      const afterEdit = await checksOf(session, edited, finished);
      assert.equal(afterEdit.analyzer.state, 'unavailable');
      assert.equal(await control.callCount('AccessAnalyzer.ValidatePolicy'), calls, 'nothing was sent to Access Analyzer');

      // Turned on again, the open editor checks its text at once.
      await settings().update('policyEditor.accessAnalyzer', undefined, vscode.ConfigurationTarget.Global);
      const on = await checksOf(session, edited, (m) => m.analyzer.state === 'done');
      assert.deepEqual(on.analyzer.state === 'done' ? on.analyzer.findings.map((f) => f.issueCode) : [], [
        'PUBLIC_PRINCIPAL_WITHOUT_CONDITION',
      ]);
      assert.ok((await control.callCount('AccessAnalyzer.ValidatePolicy')) > calls);
    } finally {
      await settings().update('policyEditor.accessAnalyzer', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it("shows Access Analyzer's findings at their statements, and follows the text as it is edited", async () => {
    const { session } = await open('policy checks: findings');
    const calls = await control.callCount('AccessAnalyzer.ValidatePolicy');
    const text = policy([
      { Sid: 'Root', Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' },
      { Sid: 'Everyone', Effect: 'Allow', Principal: '*', Action: ['kms:Decrypt', 'kms:Decrpyt'], Resource: '*' },
      { Sid: 'Arn', Effect: 'Allow', Principal: { AWS: ADMIN }, Action: 'kms:Encrypt', Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/*` },
    ]);
    await session.receive({ type: 'edit', text });
    const checks = await checksOf(session, text, (m) => m.analyzer.state === 'done');
    assert.ok(checks.analyzer.state === 'done');
    const findings = checks.analyzer.findings;
    assert.deepEqual(
      findings.map((f) => [f.findingType, f.issueCode, f.statementIndex, f.where]),
      [
        ['ERROR', 'INVALID_ACTION', 1, 'Statement[1].Action[1]'],
        ['SECURITY_WARNING', 'PUBLIC_PRINCIPAL_WITHOUT_CONDITION', 1, 'Statement[1].Principal'],
        ['SUGGESTION', 'KEY_POLICY_RESOURCE', 2, 'Statement[2].Resource'],
      ],
    );
    assert.equal(text.slice(findings[0].offset, findings[0].offset + findings[0].length), '"kms:Decrpyt"');
    assert.equal(text.split('\n')[findings[0].line - 1].trim(), '"kms:Decrpyt"');
    assert.ok((await control.callCount('AccessAnalyzer.ValidatePolicy')) > calls);
    assert.deepEqual(checks.caller, { state: 'done', arn: CALLER });

    // Fixed in the JSON: the findings of the new text replace the old ones.
    const fixed = policy([
      { Sid: 'Root', Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' },
      {
        Sid: 'Org',
        Effect: 'Allow',
        Principal: '*',
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } },
      },
    ]);
    await session.receive({ type: 'edit', text: fixed });
    const after = await checksOf(session, fixed, (m) => m.analyzer.state === 'done');
    assert.deepEqual(after.analyzer.state === 'done' ? after.analyzer.findings : undefined, []);
  });

  it('the lockout question names the caller: this change removes your own permission to change the policy', async () => {
    const mine = policy([{ Sid: 'Me', Effect: 'Allow', Principal: { AWS: CALLER }, Action: 'kms:*', Resource: '*' }]);
    const { keyId, session } = await open('policy checks: lockout of the caller', mine);
    await checksOf(session, session.text(), finished);
    const theirs = policy([{ Sid: 'Admin', Effect: 'Allow', Principal: { AWS: ADMIN }, Action: 'kms:*', Resource: '*' }]);

    const ui = answer(true, false);
    const result = await save(session, theirs);
    assert.equal(result.saved, false);
    assert.equal(ui.asked.length, 2, JSON.stringify(ui.asked));
    assert.match(
      ui.asked[1].message ?? '',
      /^This change removes your own permission to change the policy: .*arn:aws:iam::111122223333:user\/test/,
    );
    assert.match(ui.asked[1].detail ?? '', /You are arn:aws:iam::111122223333:user\/test \(the identity this connection signs in as\)/);
    assert.match(ui.asked[1].detail ?? '', /Role Admin .*could still change it/);
    assert.equal(JSON.parse(await gateway.getKeyPolicy(keyId)).Statement[0].Sid, 'Me', 'nothing was written');
  });
});
