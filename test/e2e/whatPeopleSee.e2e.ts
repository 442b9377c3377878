// What a person sees (issue 14), in the real workbench (code-server + Chromium) with code-server's
// own Auto Save (afterDelay) left on: the decrypted .env beside the raw one (tab label, lock
// badge, workspace-relative breadcrumb), typing with Auto Save on (nothing written), the peek
// dialog (the plaintext as its text, Copy, the key by alias), and an AWS managed key's policy,
// whose JSON tab is read-only. Screenshots in test-output/screenshots/seen-*.png.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildClient, CommitmentPolicy, KmsKeyringNode } from '@aws-crypto/client-node';
import { KMS } from '@aws-sdk/client-kms';
import type { Locator, Page } from 'playwright-core';
import { defaultSettings, startE2eEnvironment, type E2eEnvironment } from './support/environment';
import { activeEditorText, openFile, pickQuickItem, runCommand, screenshot, webviewFrame } from './support/workbench';

const esdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const ALIAS = 'alias/app-secrets';

function activeTab(page: Page): Locator {
  return page.locator('.editor-group-container.active .tabs-container .tab.active').first();
}

/** Clears notifications and closes suggestion widgets, so a screenshot shows the editor. */
async function tidy(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await runCommand(page, 'Notifications: Clear All Notifications');
  await page.keyboard.press('Escape');
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('what a person sees (issue 14)', function () {
  this.timeout(300_000);
  let env: E2eEnvironment | undefined;
  let kms: KMS;
  let envFile: string;

  before(async () => {
    // code-server's default Auto Save (afterDelay) stays on; encrypted files open raw, so both tabs can be shown.
    env = await startE2eEnvironment({
      settings: (url) => ({
        ...defaultSettings(url),
        'kmsWorkbench.openEncryptedFiles': 'raw',
        'workbench.editor.decorations.badges': true,
      }),
      seed: {
        keys: [
          { ref: 'app', description: 'Application secrets' },
          { ref: 's3', manager: 'AWS', aliases: ['alias/aws/s3'] },
        ],
        aliases: [{ name: ALIAS, targetKeyId: 'app' }],
      },
    });
    kms = new KMS({ region: 'us-east-1', endpoint: env.emulatorUrl, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    envFile = join(env.workspace, '.env');
    const keyArn = (await kms.describeKey({ KeyId: ALIAS })).KeyMetadata!.Arn!;
    const keyring = new KmsKeyringNode({ generatorKeyId: keyArn, clientProvider: () => kms });
    const { result } = await esdk.encrypt(keyring, readFileSync(envFile), { encryptionContext: { app: 'demo' } });
    writeFileSync(envFile, `${result.toString('base64').replace(/(.{76})/g, '$1\n')}\n`);
    const { CiphertextBlob } = await kms.encrypt({ KeyId: ALIAS, Plaintext: Buffer.from('sk_live_demo_not_real_4242') });
    writeFileSync(
      join(env.workspace, 'config', 'peek.env'),
      `# A value encrypted in place\nAPI_TOKEN=${Buffer.from(CiphertextBlob!).toString('base64')}\n`,
    );
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && env)
      console.log(
        `      failure screenshot: ${await screenshot(env.page, `seen-failed-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 40)}`)}`,
      );
  });

  after(async () => {
    kms?.destroy();
    await env?.close();
  });

  it('shows the decrypted .env beside the raw one: its own label, badge and workspace-relative breadcrumb', async () => {
    const { page } = env!;
    await openFile(page, '.env');
    await runCommand(page, 'KMS: Open Decrypted');
    await until('the decrypted text', async () =>
      (await activeEditorText(page).catch(() => '')).includes('SESSION_SECRET=demo-session-secret-not-real'),
    );
    assert.match(await activeTab(page).innerText(), /\.env \(decrypted\)/);
    const tabs = await page.locator('.editor-group-container.active .tabs-container .tab').allInnerTexts();
    assert.ok(
      tabs.some((t) => /^\.env\b(?! \(decrypted\))/.test(t.trim())),
      `the raw tab is still open: ${tabs.join(' | ')}`,
    );
    const crumbs = (await page.locator('.editor-group-container.active .breadcrumbs-control .monaco-breadcrumb-item').allInnerTexts())
      .map((t) => t.trim())
      .filter(Boolean);
    assert.ok(!crumbs.some((c) => /kms-e2e|tmp/.test(c)), `no absolute temp path in the breadcrumb: ${crumbs.join(' › ')}`);
    await tidy(page);
    await activeTab(page).hover();
    await page.waitForTimeout(1500);
    console.log(`      screenshot: ${await screenshot(page, 'seen-decrypted-beside-raw')}`);
  });

  it('with Auto Save on, typing in the decrypted editor writes nothing until Ctrl+S', async () => {
    const { page } = env!;
    const before = readFileSync(envFile);
    const line = page.locator('.editor-group-container.active .view-line').filter({ hasText: 'SESSION_SECRET=' }).first();
    await line.click();
    await page.keyboard.press('End');
    await page.keyboard.type('-typed', { delay: 120 });
    // Auto Save after a delay (1 s) ran: the tab is saved to VS Code, the text held in memory.
    await until('Auto Save', async () => !/dirty/.test((await activeTab(page).getAttribute('class')) ?? ''));
    await page.waitForTimeout(1500);
    assert.ok(readFileSync(envFile).equals(before), 'nothing written to disk by Auto Save');
    await page.keyboard.press('Escape');
    await activeTab(page).hover();
    await page.waitForTimeout(1500);
    console.log(`      screenshot: ${await screenshot(page, 'seen-autosave-held')}`);
    await page.locator('.editor-group-container.active .view-lines').first().click();
    await page.keyboard.press('Control+S');
    await until('the file to change on disk', () => !readFileSync(envFile).equals(before));
    await runCommand(page, 'View: Close All Editors');
  });

  it('the peek dialog shows the plaintext as its text with Copy, and the key by its alias', async () => {
    const { page } = env!;
    await openFile(page, 'config/peek.env');
    const line = page.locator('.editor-group-container.active .view-line').filter({ hasText: 'API_TOKEN=' }).first();
    await line.click();
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await runCommand(page, 'KMS: Decrypt to Peek');
    const dialog = page.locator('.monaco-dialog-box').first();
    await dialog.waitFor({ state: 'visible', timeout: 30_000 });
    const text = await dialog.innerText();
    assert.match(text, /sk_live_demo_not_real_4242/);
    assert.match(text, new RegExp(`Decrypted with ${ALIAS}`));
    assert.ok(!/arn:aws:kms/.test(text), text);
    assert.ok(
      await dialog
        .locator('.monaco-button')
        .filter({ hasText: /^Copy$/ })
        .count(),
    );
    console.log(`      screenshot: ${await screenshot(page, 'seen-peek-dialog')}`);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
    await runCommand(page, 'View: Close All Editors');
  });

  it('an AWS managed key’s policy opens read-only: the JSON tab refuses typing, nothing unsaved', async () => {
    const { page } = env!;
    await runCommand(page, 'KMS: Edit Key Policy');
    await pickQuickItem(page, /aws\/s3/);
    const frame = await webviewFrame(page, '#openJson', 60_000);
    await frame.locator('#save-state').filter({ hasText: 'Read-only.' }).waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await frame.locator('#openJson').innerText(), /Show as JSON/);
    await frame.locator('#openJson').click();
    await until('the JSON tab', async () =>
      /key-policy\.json/.test(
        await activeTab(page)
          .innerText()
          .catch(() => ''),
      ),
    );
    const before = await activeEditorText(page);
    await page.locator('.editor-group-container.active .view-lines').first().click();
    await page.keyboard.type('x');
    await page.waitForTimeout(800);
    assert.equal(await activeEditorText(page), before, 'typing changes nothing');
    assert.ok(!/dirty/.test((await activeTab(page).getAttribute('class')) ?? ''), 'no unsaved changes');
    console.log(`      screenshot: ${await screenshot(page, 'seen-managed-key-json')}`);
  });
});
