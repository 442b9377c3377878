// The policy editor's webview bundle in real Chromium, driven only through its message
// protocol (a stand-in acquireVsCodeApi records what it posts; host messages are posted
// into the page), under the host's Content Security Policy.
//
// Run: npm run build && node scripts/test.mjs --only webview
import * as assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { policyValueOf } from '../../src/core/policy/policyDiff';
import { statementsOf } from '../../src/core/policy/policyModel';
import { placeServiceFindings } from '../../src/core/policy/serviceFindings';
import type { InitMessage, PolicyKeyInfo, ServiceChecksMessage, WebviewMessage } from '../../src/shared/policyProtocol';
import { validatePolicyDocument } from '../emulator/accessAnalyzer/validatePolicy';
import { API_DEFAULT, CONSOLE_POLICY, ODD_POLICY } from '../unit/policy/fixtures';
import { openWebviewPage, repoRoot, type WebviewPage } from './support/webviewPage';

const key: PolicyKeyInfo = {
  keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
  keyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  aliases: ['alias/orders'],
  accountId: '111122223333',
  partition: 'aws',
  region: 'us-east-1',
  connectionLabel: 'Local KMS emulator',
  keyUsage: 'ENCRYPT_DECRYPT',
  keySpec: 'SYMMETRIC_DEFAULT',
  keyState: 'Enabled',
  keyManager: 'CUSTOMER',
};
const init = (text: string, extra: Partial<InitMessage> = {}): InitMessage => ({
  type: 'init',
  key,
  text,
  serverText: text,
  status: 'idle',
  ...extra,
});

const isEdit = (m: WebviewMessage): m is Extract<WebviewMessage, { type: 'edit' }> => m.type === 'edit';
const isRequest = (m: WebviewMessage): m is Extract<WebviewMessage, { type: 'request' }> => m.type === 'request';
const lastEdit = async (w: WebviewPage): Promise<string> => {
  const edits = (await w.posted()).filter(isEdit);
  assert.ok(edits.length, 'the webview posted no edit');
  return edits[edits.length - 1].text;
};
const screenshots = join(repoRoot, 'test-output', 'screenshots');

describe('policy editor webview (Chromium, message protocol)', function () {
  this.timeout(60_000);
  let w: WebviewPage;

  before(async () => {
    w = await openWebviewPage();
  });
  after(async () => {
    await w?.close();
  });
  beforeEach(async () => {
    await w.open();
  });
  afterEach(async () => {
    assert.deepEqual(await w.cspViolations(), [], 'the page broke its Content Security Policy');
  });

  it('says ready first and shows nothing of a policy before init', async () => {
    const posted = await w.posted();
    assert.deepEqual(posted, [{ type: 'ready' }]);
    await w.page.getByText('Loading the key policy…').waitFor();
    await w.fromHost(init(API_DEFAULT));
    await w.page.getByRole('heading', { name: 'Key policy — alias/orders' }).waitFor();
    assert.equal(await w.page.locator('#error-count').innerText(), '0 errors');
    assert.match(await w.page.locator('#size-label').innerText(), /^\d{3} of 32,768 bytes \(1%\)$/);
    assert.equal(await w.page.locator('#size-meter').getAttribute('aria-valuenow'), String(Buffer.byteLength(API_DEFAULT)));
  });

  it('adding a key user changes the JSON: the console’s users and grants statements appear', async () => {
    await w.fromHost(init(API_DEFAULT));
    const input = w.page.getByRole('textbox', { name: 'IAM user or role ARN to add as key user' });
    await input.fill('arn:aws:iam::111122223333:role/AppRole');
    await input.press('Enter');
    const text = (await w.waitForPosted(isEdit)).text;
    const statements = statementsOf(policyValueOf(text)) as { Sid: string; Principal: { AWS: string } }[];
    assert.deepEqual(
      statements.map((s) => s.Sid),
      ['Enable IAM User Permissions', 'Allow use of the key', 'Allow attachment of persistent resources'],
    );
    assert.equal(statements[1].Principal.AWS, 'arn:aws:iam::111122223333:role/AppRole');
    // The unchanged statement keeps KMS's own layout.
    assert.ok(text.includes('"Statement" : [ {\n    "Sid" : "Enable IAM User Permissions",'), text);
    // The form shows it, and so does the JSON tab.
    await w.page.locator('#section-users').getByText('role AppRole (111122223333)').waitFor();
    await w.page.getByRole('tab', { name: 'JSON' }).click();
    assert.ok((await w.page.locator('#json-text').innerText()).includes('"Sid" : "Allow use of the key"'));
    assert.match(await w.page.locator('#save-state').innerText(), /Unsaved changes/);
  });

  it('refuses a bad principal in the add box with a sentence, and posts nothing', async () => {
    await w.fromHost(init(API_DEFAULT));
    const input = w.page.getByRole('textbox', { name: 'IAM user or role ARN to add as administrator' });
    await input.fill('arn:aws:iam::111122223333:group/Admins');
    await w.page.getByRole('button', { name: 'Add administrator' }).click();
    await w.page
      .getByText(/an IAM group cannot be a principal/)
      .first()
      .waitFor();
    assert.equal(await input.getAttribute('aria-invalid'), 'true');
    assert.equal((await w.posted()).filter(isEdit).length, 0);
  });

  it('invalid JSON from the JSON tab shows the error with its position; the form waits and Save is off', async () => {
    await w.fromHost(init(API_DEFAULT));
    const broken = API_DEFAULT.replace('"Effect" : "Allow",', '"Effect" : "Allow"');
    await w.fromHost({ type: 'text', text: broken, source: 'jsonEditor' });
    assert.equal(await w.page.locator('#error-count').innerText(), '1 error');
    const problem = w.page.locator('#problems .issue.error');
    assert.match(await problem.innerText(), /Missing comma before the property "Principal"/);
    assert.match(await problem.innerText(), /Ln 7, Col 5/);
    await w.page.getByRole('alert').filter({ hasText: 'syntax error at line 7, column 5' }).waitFor();
    assert.equal(await w.page.locator('#section-admins').count(), 0, 'the form is not shown over broken JSON');
    assert.equal(await w.page.getByRole('button', { name: 'Save' }).isDisabled(), true);
    // A click on the position asks the host to reveal it in the JSON editor.
    await w.page.getByRole('button', { name: 'Show line 7, column 5 in the JSON editor' }).click();
    const reveal = await w.waitForPosted(isRequest);
    assert.deepEqual(reveal.request, { kind: 'reveal', offset: broken.indexOf('"Principal"'), length: 1 });
    await w.clearPosted();
    await w.page.getByRole('button', { name: 'Show the error in the JSON editor' }).click();
    assert.deepEqual((await w.waitForPosted(isRequest)).request, { kind: 'reveal', offset: broken.indexOf('"Principal"'), length: 1 });
    // Fixed in the JSON tab: the form is back.
    await w.fromHost({ type: 'text', text: API_DEFAULT, source: 'jsonEditor' });
    await w.page.locator('#section-admins').waitFor();
    assert.equal(await w.page.locator('#error-count').innerText(), '0 errors');
  });

  it('shows grammar errors and warnings in the problems list and on their statement', async () => {
    const risky = JSON.stringify(
      {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'Enable IAM User Permissions',
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::111122223333:root' },
            Action: 'kms:*',
            Resource: '*',
          },
          { Sid: 'Public', Effect: 'Allow', Principal: '*', Action: ['kms:Decrpyt'], Resource: '*' },
        ],
      },
      null,
      2,
    );
    await w.fromHost(init(risky));
    assert.equal(await w.page.locator('#warning-count').innerText(), '2 warnings');
    const card = w.page.locator('#s1');
    assert.match(await card.innerText(), /any principal in any AWS account act on this key/);
    assert.match(await card.innerText(), /Did you mean "kms:Decrypt"/);
    assert.equal(await w.page.getByRole('button', { name: 'Save' }).isDisabled(), true, 'nothing changed yet');
  });

  it("shows IAM Access Analyzer's findings in the problems list and at their statements, only for the text they were made for", async () => {
    const text = JSON.stringify(
      {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'Enable IAM User Permissions',
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::111122223333:root' },
            Action: 'kms:*',
            Resource: '*',
          },
          { Sid: 'Org', Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: 'arn:aws:kms:us-east-1:111122223333:key/*' },
        ],
      },
      null,
      2,
    );
    await w.fromHost(init(text));
    assert.match(await w.page.locator('#analyzer-state').innerText(), /checking this policy/);
    const findings = placeServiceFindings(validatePolicyDocument(text), text);
    const checks: ServiceChecksMessage = {
      type: 'serviceChecks',
      text,
      analyzer: { state: 'done', findings },
      caller: { state: 'done', arn: 'arn:aws:iam::111122223333:user/alice' },
    };
    await w.fromHost(checks);
    assert.match(await w.page.locator('#analyzer-state').innerText(), /IAM Access Analyzer: 1 security warning, 1 suggestion/);
    assert.match(await w.page.locator('#caller-state').innerText(), /you \(arn:aws:iam::111122223333:user\/alice\)/);
    const problems = await w.page.locator('#problems').innerText();
    assert.match(problems, /Access Analyzer · Security warning/);
    assert.match(problems, /Access Analyzer · Suggestion/);
    const card = await w.page.locator('#s1').innerText();
    assert.match(card, /This statement allows any principal \(\*\) without a condition/);
    assert.match(card, /"Resource": "\*" means the key the policy is attached to/);
    assert.doesNotMatch(await w.page.locator('#s0').innerText(), /Access Analyzer/);

    // Checks of another text (the policy changed since) are not shown as this text's.
    await w.fromHost({ ...checks, text: `${text}\n` });
    assert.doesNotMatch(await w.page.locator('#problems').innerText(), /Access Analyzer/);
  });

  it('says what AWS could not check: Access Analyzer unreachable, no STS (the lockout check assumes the account)', async () => {
    await w.fromHost(init(API_DEFAULT));
    await w.fromHost({
      type: 'serviceChecks',
      text: API_DEFAULT,
      analyzer: { state: 'unavailable', reason: 'the endpoint does not offer IAM Access Analyzer (HTTP 404).' },
      caller: { state: 'unavailable', reason: 'STS did not answer in time.' },
    });
    assert.equal(
      await w.page.locator('#analyzer-state').innerText(),
      'Not checked by IAM Access Analyzer: the endpoint does not offer IAM Access Analyzer (HTTP 404).',
    );
    assert.match(
      await w.page.locator('#caller-state').innerText(),
      /Your identity could not be read from STS \(STS did not answer in time\.\): the lockout check assumes you act through the account 111122223333/,
    );
  });

  it('reorders statements with the keyboard, keeping focus on the moved statement', async () => {
    await w.fromHost(init(CONSOLE_POLICY));
    const down = w.page.getByRole('button', { name: 'Move statement 1 "Enable IAM User Permissions" down' });
    await down.focus();
    await w.page.keyboard.press('Enter');
    const text = (await w.waitForPosted(isEdit)).text;
    assert.deepEqual(
      (statementsOf(policyValueOf(text)) as { Sid: string }[]).map((s) => s.Sid),
      [
        'Allow access for Key Administrators',
        'Enable IAM User Permissions',
        'Allow use of the key',
        'Allow attachment of persistent resources',
      ],
    );
    assert.equal(
      await w.page.evaluate(() => document.activeElement?.getAttribute('aria-label')),
      'Move statement 2 "Enable IAM User Permissions" down',
    );
    await w.page.keyboard.press('Space');
    await w.page.waitForFunction(
      () => (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === 'edit').length === 2,
    );
    assert.equal((statementsOf(policyValueOf(await lastEdit(w)))[2] as { Sid: string }).Sid, 'Enable IAM User Permissions');
  });

  it('edits a statement card: effect, an action from the list, and a condition that must be JSON', async () => {
    await w.fromHost(init(API_DEFAULT));
    await w.page.getByRole('button', { name: 'Add statement' }).click();
    let text = await lastEdit(w);
    assert.equal(statementsOf(policyValueOf(text)).length, 2);
    assert.equal(await w.page.evaluate(() => document.activeElement?.id), 's1-sid', 'focus goes to the new statement');
    await w.page.keyboard.type('AllowAuditors');
    await w.page.keyboard.press('Tab');
    await w.page.locator('#s1-effect').selectOption('Deny');
    await w.page.locator('#s1-actions-add').click();
    await w.page.keyboard.type('kms:GetKeyPolicy');
    await w.page.keyboard.press('Tab');
    const condition = w.page.locator('#s1-condition');
    await condition.fill('{"Bool": ');
    await w.page.getByText(/Not valid JSON/).waitFor();
    await condition.fill('{"Bool": {"aws:SecureTransport": "false"}}');
    await condition.blur();
    await w.page.waitForFunction(() => !document.body.innerText.includes('Not valid JSON'));
    text = await lastEdit(w);
    const s = statementsOf(policyValueOf(text))[1];
    assert.deepEqual(s, {
      Sid: 'AllowAuditors',
      Effect: 'Deny',
      Principal: { AWS: 'arn:aws:iam::111122223333:root' },
      Action: ['kms:DescribeKey', 'kms:GetKeyPolicy'],
      Resource: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  it('keeps statements the form cannot show, as JSON with the reason', async () => {
    await w.fromHost(init(ODD_POLICY));
    const weird = w.page.locator('#s1');
    assert.match(await weird.innerText(), /The form cannot show this statement: It has both Action and NotAction/);
    await w.page.getByRole('textbox', { name: 'IAM user or role ARN to add as key user' }).fill('arn:aws:iam::111122223333:role/AppRole');
    await w.page.getByRole('button', { name: 'Add key user' }).click();
    const text = await lastEdit(w);
    assert.ok(
      text.includes('{"Sid":"Weird","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","NotAction":"kms:Encrypt","Resource":"*"}'),
    );
    assert.ok(text.includes('"Extra":1'));
  });

  it('matches replies to requests: Save posts the text, the reply with its id shows its message', async () => {
    await w.fromHost(init(API_DEFAULT, { serverText: API_DEFAULT.replace('key-default-1', 'key-default-0') }));
    await w.page.getByRole('button', { name: 'Save' }).click();
    const save = await w.waitForPosted(isRequest);
    assert.deepEqual(save.request, { kind: 'save', text: API_DEFAULT });
    await w.page.getByText('Saving…').first().waitFor();
    // A reply to another request changes nothing.
    await w.fromHost({ type: 'reply', requestId: save.requestId + 100, ok: true, result: { saved: true, message: 'Wrong reply.' } });
    assert.equal(await w.page.getByText('Wrong reply.').count(), 0);
    await w.fromHost({ type: 'reply', requestId: save.requestId, ok: false, error: 'KMS said no.' });
    await w.page.getByRole('alert').filter({ hasText: 'KMS said no.' }).waitFor();
  });

  it('ignores host messages that do not follow the protocol', async () => {
    await w.fromHost(init(API_DEFAULT));
    await w.fromHost({ type: 'init', text: '{}' });
    await w.fromHost({ type: 'text', text: 42, source: 'jsonEditor' });
    await w.fromHost({ type: 'nonsense' });
    await w.page.getByRole('heading', { name: 'Key policy — alias/orders' }).waitFor();
    assert.equal(await w.page.locator('#error-count').innerText(), '0 errors');
  });

  it('is read-only for an AWS managed key', async () => {
    await w.fromHost(
      init(API_DEFAULT, {
        key: { ...key, keyManager: 'AWS' },
        readOnly: 'This is an AWS managed key: AWS manages it, so it cannot be changed. Its policy is shown read-only.',
      }),
    );
    await w.page
      .getByText(/AWS managed key/)
      .first()
      .waitFor();
    assert.equal(await w.page.getByRole('button', { name: 'Save' }).isDisabled(), true);
    assert.equal(await w.page.getByRole('button', { name: 'Add statement' }).count(), 0);
    // Nothing here can be changed: no "Unsaved changes", and JSON is to look at, not to edit.
    assert.equal(await w.page.locator('#save-state').innerText(), 'Read-only.');
    assert.equal((await w.page.locator('#openJson').innerText()).trim(), 'Show as JSON');
  });

  it('fits a narrow panel without horizontal scrolling', async () => {
    await w.open({ width: 360, height: 800 });
    await w.fromHost(init(CONSOLE_POLICY));
    const overflow = await w.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 360px`);
    mkdirSync(screenshots, { recursive: true });
    await w.page.screenshot({ path: join(screenshots, 'webview-policy-editor-narrow.png'), fullPage: false });
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`renders in a ${theme} theme (screenshot)`, async () => {
      await w.open({ theme, width: 1000, height: 1100 });
      const withWarning = CONSOLE_POLICY.replace(
        '"Sid": "Allow use of the key",',
        '"Sid": "Allow use of the key",\n            "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}},',
      );
      await w.fromHost(
        init(withWarning.replace('"kms:DescribeKey"\n', '"kms:DescribeKey",\n                "kms:PutKeyPolicy"\n'), {
          serverText: CONSOLE_POLICY,
        }),
      );
      mkdirSync(screenshots, { recursive: true });
      await w.page.screenshot({ path: join(screenshots, `webview-policy-editor-${theme}.png`), fullPage: false });
    });
  }
});
