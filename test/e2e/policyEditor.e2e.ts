// The key-policy editor end to end in the real workbench (code-server + Chromium): open it
// from the KMS view's "Key policy" node, add a statement in the form, save through VS Code's
// diff and confirmation dialog, and check the emulator holds it; screenshots of the form, and of
// IAM Access Analyzer's findings at their statement, in the Default Light Modern and Default Dark
// Modern themes.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import type { Connection } from '../../src/core/aws/connection';
import { KmsClientFactory } from '../../src/core/kms/client';
import { policyValueOf } from '../../src/core/policy/policyDiff';
import { statementsOf } from '../../src/core/policy/policyModel';
import { CONSOLE_POLICY } from '../unit/policy/fixtures';
import { defaultSettings, startE2eEnvironment, type E2eEnvironment } from './support/environment';
import { openActivity, runCommand, screenshot, waitForSideBarIdle, webviewFrame } from './support/workbench';

const KEY_ALIAS = 'alias/orders';

/** A gateway of our own to the emulator, to read what the editor saved. */
function emulatorGateway(emulatorUrl: string): { getKeyPolicy(keyId: string): Promise<string>; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'kms-e2e-aws-'));
  writeFileSync(join(dir, 'config'), '[profile e2e]\nregion = us-east-1\n');
  writeFileSync(join(dir, 'credentials'), '[e2e]\naws_access_key_id = test\naws_secret_access_key = test\n');
  const env = {
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    HOME: dir,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const factory = new KmsClientFactory({ env });
  const connection: Connection = {
    id: 'e2e',
    label: 'e2e',
    profile: 'e2e',
    region: 'us-east-1',
    endpoint: emulatorUrl,
    endpointSource: 'connection',
  };
  const gateway = factory.gateway(connection);
  return {
    getKeyPolicy: (keyId) => gateway.getKeyPolicy(keyId),
    dispose: () => {
      factory.forget();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Switches the color theme the way a person does: Preferences: Color Theme. */
async function setColorTheme(page: Page, theme: string): Promise<void> {
  await runCommand(page, 'Preferences: Color Theme');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(theme);
  const item = page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: theme }).filter({ hasNotText: 'Browse' }).first();
  await item.waitFor({ state: 'visible', timeout: 15_000 });
  await item.click();
}

async function themeIs(page: Page, kind: 'vs' | 'vs-dark'): Promise<void> {
  await page.locator(`.monaco-workbench.${kind}`).waitFor({ state: 'attached', timeout: 30_000 });
}

describe('key-policy editor in the workbench', function () {
  this.timeout(240_000);
  let env: E2eEnvironment | undefined;
  let frame: Frame;
  let keyId: string;

  before(async () => {
    env = await startE2eEnvironment({
      // The console's policy: administrators, key users, another account, a grants statement.
      seed: { keys: [{ ref: 'orders', region: 'us-east-1', description: 'orders service', aliases: [KEY_ALIAS], policy: CONSOLE_POLICY }] },
      settings: (url) => ({ ...defaultSettings(url), 'workbench.colorTheme': 'Default Light Modern' }),
    });
  });

  after(async () => {
    await env?.close();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && env)
      console.log(`      failure screenshot: ${await screenshot(env.page, 'policy-editor-failure')}`);
  });

  it('opens from the "Key policy" node of the KMS view', async () => {
    const { page } = env!;
    await themeIs(page, 'vs');
    await openActivity(page, 'KMS');
    await waitForSideBarIdle(page);
    // Tree items are named by their tooltips; find them by their visible label.
    const row = (label: RegExp) => page.getByRole('treeitem').filter({ hasText: label }).first();
    const expand = async (label: RegExp): Promise<void> => {
      const item = row(label);
      await item.waitFor({ state: 'visible', timeout: 60_000 });
      if ((await item.getAttribute('aria-expanded')) === 'true') return;
      await item.click();
      if ((await item.getAttribute('aria-expanded')) === 'false') await item.press('ArrowRight');
    };
    await expand(/^Local KMS emulator/);
    if (
      !(await row(/^Customer managed keys/)
        .waitFor({ state: 'visible', timeout: 15_000 })
        .then(
          () => true,
          () => false,
        ))
    ) {
      // Seen now and then: the connection is drawn open but its folders never arrive. Refresh the view.
      console.log('      (the KMS view showed the connection open without its folders; refreshing the view)');
      await page
        .locator('.part.sidebar .pane-header .actions, .part.sidebar .title-actions')
        .getByRole('button', { name: /^Refresh/ })
        .first()
        .click();
    }
    await expand(/^Customer managed keys/);
    await expand(/^orders/);
    await row(/^Key policy/).waitFor({ state: 'visible', timeout: 30_000 });
    await row(/^Key policy/).click();

    frame = await webviewFrame(page, '#section-statements', 60_000);
    await frame.getByRole('heading', { name: `Key policy — ${KEY_ALIAS}` }).waitFor({ timeout: 30_000 });
    const subtitle = await frame.locator('.subtitle').innerText();
    keyId = /^([0-9a-f-]{36})/.exec(subtitle)?.[1] ?? '';
    assert.match(keyId, /^[0-9a-f-]{36}$/, `no key id in "${subtitle}"`);
    const tab = page.locator('.tabs-container .tab').filter({ hasText: 'Key policy: orders' });
    assert.equal(await tab.count(), 1, 'one editor tab for the key');
  });

  it('adds a statement in the form and saves it through the diff and the confirmation', async () => {
    const { page } = env!;
    assert.equal(await frame.locator('#section-admins').getByText('role KeyAdmin (111122223333)').count(), 1);
    const n = await frame.locator('article.card').count();
    await frame.getByRole('button', { name: 'Add statement' }).click();
    const sid = frame.locator(`#s${n}-sid`);
    await sid.waitFor();
    await sid.fill('AllowAuditorsToReadThePolicy');
    await sid.press('Tab');
    await frame.locator(`#s${n}-p0-value`).fill('arn:aws:iam::111122223333:role/Auditor');
    await frame.locator(`#s${n}-p0-value`).press('Tab');
    await frame.locator(`#s${n}-actions-add`).click();
    await frame.locator(`#s${n}-actions-new0`).fill('kms:GetKeyPolicy');
    await frame.locator(`#s${n}-actions-new0`).press('Tab');
    await frame.getByText('Unsaved changes.').waitFor();
    assert.equal(await frame.locator('#error-count').innerText(), '0 errors');

    await frame.getByRole('button', { name: 'Save' }).click();
    // VS Code shows the diff of the server's policy against the new one, and asks.
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await dialog.innerText(), /Save the key policy of alias\/orders to KMS\?/);
    assert.match(await dialog.innerText(), /Adds statement "AllowAuditorsToReadThePolicy"/);
    await page.locator('.tabs-container .tab').filter({ hasText: /↔/ }).first().waitFor({ timeout: 15_000 });
    await dialog
      .locator('.dialog-buttons a.monaco-button, .dialog-buttons button')
      .filter({ hasText: /^Save$/ })
      .click();

    frame = await webviewFrame(page, '#section-statements');
    await frame.getByText(/Saved to KMS at/).waitFor({ timeout: 30_000 });
    const gateway = emulatorGateway(env!.emulatorUrl);
    try {
      const saved = statementsOf(policyValueOf(await gateway.getKeyPolicy(keyId))) as {
        Sid?: string;
        Principal?: unknown;
        Action?: unknown;
      }[];
      const added = saved.find((s) => s.Sid === 'AllowAuditorsToReadThePolicy');
      assert.ok(added, 'the emulator does not hold the new statement');
      assert.deepEqual(added.Principal, { AWS: 'arn:aws:iam::111122223333:role/Auditor' });
      assert.deepEqual(added.Action, ['kms:DescribeKey', 'kms:GetKeyPolicy']);
    } finally {
      gateway.dispose();
    }
  });

  it('screenshots the form in Default Light Modern and Default Dark Modern', async () => {
    const { page } = env!;
    // Show the editor alone and large enough to see the form.
    await page.keyboard.press('Escape');
    await page.locator('.tabs-container .tab').filter({ hasText: 'Key policy: orders' }).click();
    frame = await webviewFrame(page, '#section-statements');
    await frame.evaluate(() => window.scrollTo(0, 0));
    console.log(`      screenshot: ${await screenshot(page, 'policy-editor-light')}`);

    await setColorTheme(page, 'Default Dark Modern');
    await themeIs(page, 'vs-dark');
    frame = await webviewFrame(page, '#section-statements');
    await frame.locator('body.vscode-dark').waitFor({ state: 'attached', timeout: 30_000 });
    await frame.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(500);
    console.log(`      screenshot: ${await screenshot(page, 'policy-editor-dark')}`);
  });

  it("shows IAM Access Analyzer's findings at their statement, in Default Dark Modern and Default Light Modern", async () => {
    const { page } = env!;
    frame = await webviewFrame(page, '#section-statements');
    // An Allow to everyone without a condition: the emulator's Access Analyzer reports
    // PUBLIC_PRINCIPAL_WITHOUT_CONDITION as a security warning at that statement.
    const n = await frame.locator('article.card').count();
    await frame.getByRole('button', { name: 'Add statement' }).click();
    const sid = frame.locator(`#s${n}-sid`);
    await sid.waitFor();
    await sid.fill('AllowEveryoneToDecrypt');
    await sid.press('Tab');
    await frame.locator(`#s${n}-p0-type`).selectOption('*');
    await frame.locator(`#s${n}-actions-add`).click();
    await frame.locator(`#s${n}-actions-new0`).fill('kms:Decrypt');
    await frame.locator(`#s${n}-actions-new0`).press('Tab');
    const card = frame.locator('article.card').nth(n);
    const finding = card.locator('[data-finding="PUBLIC_PRINCIPAL_WITHOUT_CONDITION"]');
    await finding.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await finding.innerText(), /Access Analyzer · Security warning/);
    assert.match(await frame.locator('#analyzer-state').innerText(), /IAM Access Analyzer: 1 security warning/);

    const shoot = async (name: string): Promise<void> => {
      const at = frame.locator('article.card').nth(n).locator('[data-finding="PUBLIC_PRINCIPAL_WITHOUT_CONDITION"]');
      await at.evaluate((el) => el.scrollIntoView({ block: 'center' }));
      await page.waitForTimeout(500);
      console.log(`      screenshot: ${await screenshot(page, name)}`);
    };
    await shoot('policy-editor-findings-dark');

    await setColorTheme(page, 'Default Light Modern');
    await themeIs(page, 'vs');
    frame = await webviewFrame(page, '#section-statements');
    await frame.locator('body.vscode-light').waitFor({ state: 'attached', timeout: 30_000 });
    await shoot('policy-editor-findings-light');
  });
});
