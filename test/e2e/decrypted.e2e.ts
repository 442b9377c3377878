// Editing an encrypted .env decrypted in the real workbench (code-server + Chromium): open it
// from the Explorer's context menu, edit a value, save (the file on disk is encrypted again
// under the same key and context), compare with the committed version, close it and open it
// again from the Explorer (the "ask" notification and the CodeLens), and reload the window
// (the restored editor decrypts again). Screenshots in test-output/screenshots/decrypted-*.png.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildClient, CommitmentPolicy, KmsKeyringNode } from '@aws-crypto/client-node';
import { KMS } from '@aws-sdk/client-kms';
import type { Locator, Page } from 'playwright-core';
import { defaultSettings, startE2eEnvironment, type E2eEnvironment } from './support/environment';
import { activeEditorText, runCommand, screenshot, waitForNotification, waitForWorkbench } from './support/workbench';

const CONTEXT = { app: 'e2e', stage: 'demo' };
const esdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);

function explorerRow(page: Page, name: string): Locator {
  return page.locator(`.part.sidebar .monaco-list-row[role="treeitem"][aria-label^="${name}"]`).first();
}

/** The active editor's tab. */
function activeTab(page: Page): Locator {
  return page.locator('.editor-group-container.active .tabs-container .tab.active').first();
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('editing an encrypted .env decrypted', function () {
  this.timeout(300_000);
  let env: E2eEnvironment | undefined;
  let kms: KMS;
  let keyArn: string;
  let envFile: string;

  const decrypt = async (): Promise<{ text: string; keys: string[]; context: Record<string, string> }> => {
    const bytes = Buffer.from(readFileSync(envFile, 'latin1').replace(/\s+/g, ''), 'base64');
    const { plaintext, messageHeader } = await esdk.decrypt(new KmsKeyringNode({ discovery: true, clientProvider: () => kms }), bytes);
    return {
      text: plaintext.toString('utf8'),
      keys: messageHeader.encryptedDataKeys.map((k) => k.providerInfo),
      context: { ...messageHeader.encryptionContext },
    };
  };
  const git = (...args: string[]): string =>
    execFileSync('git', ['-c', 'user.name=E2E', '-c', 'user.email=e2e@example.invalid', '-c', 'commit.gpgsign=false', ...args], {
      cwd: env!.workspace,
      encoding: 'utf8',
    });

  before(async () => {
    // The desktop default (code-server's own default saves a second after each change).
    env = await startE2eEnvironment({ settings: (url) => ({ ...defaultSettings(url), 'files.autoSave': 'off' }) });
    kms = new KMS({ region: 'us-east-1', endpoint: env.emulatorUrl, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    keyArn = (await kms.createKey({ Description: 'e2e decrypted editing' })).KeyMetadata!.Arn!;
    // The workspace's .env (made-up values), encrypted in memory: the ciphertext replaces it.
    envFile = join(env.workspace, '.env');
    const keyring = new KmsKeyringNode({ generatorKeyId: keyArn, clientProvider: () => kms });
    const { result } = await esdk.encrypt(keyring, readFileSync(envFile), { encryptionContext: CONTEXT });
    writeFileSync(envFile, `${result.toString('base64').replace(/(.{76})/g, '$1\n')}\n`);
    git('init', '-q', '-b', 'main');
    git('add', '.env');
    git('commit', '-q', '-m', 'encrypted .env');
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && env)
      console.log(
        `      failure screenshot: ${await screenshot(env.page, `decrypted-failed-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 40)}`)}`,
      );
  });

  after(async () => {
    kms?.destroy();
    await env?.close();
  });

  it('opens the encrypted .env decrypted from the Explorer', async () => {
    const { page } = env!;
    await page.keyboard.press('Control+Shift+E');
    const row = explorerRow(page, '.env');
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    // The entry shows once the extension has seen the file is encrypted (its lock badge): retry until it does.
    const menu = page.locator('.context-view .monaco-menu').first();
    let entries: string[] = [];
    for (let attempt = 0; attempt < 30 && !entries.includes('Open Decrypted'); attempt++) {
      await row.click({ button: 'right' });
      await menu.waitFor({ state: 'visible', timeout: 15_000 });
      entries = (await menu.locator('.action-item .action-label').allInnerTexts()).map((t) => t.trim());
      if (!entries.includes('Open Decrypted')) {
        await page.keyboard.press('Escape');
        await page.waitForTimeout(500);
      }
    }
    assert.ok(entries.includes('Open Decrypted'), `Open Decrypted is offered on the encrypted .env: ${entries.join(' | ')}`);
    assert.ok(entries.includes('Compare Decrypted with HEAD'), entries.join(' | '));
    await menu
      .locator('.action-item')
      .filter({ has: page.locator('.action-label', { hasText: /^Open Decrypted$/ }) })
      .first()
      .hover();
    await page.waitForTimeout(200);
    console.log(`      screenshot: ${await screenshot(page, 'decrypted-explorer-menu')}`);
    await page.keyboard.press('Enter');
    await until('the decrypted text', async () =>
      (await activeEditorText(page).catch(() => '')).includes('SESSION_SECRET=demo-session-secret-not-real'),
    );
    assert.match(await activeTab(page).innerText(), /\.env/);
    // The one-time notice about what VS Code itself may persist.
    await waitForNotification(page, /Decrypted editors keep the plaintext in memory only/);
    console.log(`      screenshot: ${await screenshot(page, 'decrypted-editor')}`);
    await page
      .locator('.notification-toast .codicon-notifications-clear')
      .first()
      .click()
      .catch(() => undefined);
  });

  it('saves an edited value encrypted again, under the same key and context', async () => {
    const { page } = env!;
    const line = page.locator('.editor-group-container.active .view-line').filter({ hasText: 'SESSION_SECRET=' }).first();
    await line.click();
    await page.keyboard.press('End');
    await page.keyboard.press('Home');
    for (let i = 0; i < 'SESSION_SECRET='.length; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Shift+End');
    await page.keyboard.type('rotated-by-the-e2e-test');
    await until('the tab to show unsaved changes', async () => /dirty/.test((await activeTab(page).getAttribute('class')) ?? ''));
    const before = readFileSync(envFile);
    await page.keyboard.press('Control+S');
    await until('the tab to be saved', async () => !/dirty/.test((await activeTab(page).getAttribute('class')) ?? ''));
    await until('the file to change on disk', () => !readFileSync(envFile).equals(before));
    const back = await decrypt();
    assert.match(back.text, /^SESSION_SECRET=rotated-by-the-e2e-test$/m);
    assert.match(back.text, /^DATABASE_URL=postgres:/m, 'the other lines are kept');
    assert.deepEqual(back.keys, [keyArn]);
    assert.deepEqual(back.context, CONTEXT);
    assert.match(readFileSync(envFile, 'latin1'), /^([A-Za-z0-9+/=]{1,76}\n)+$/, 'still base64 lines');
    console.log(`      screenshot: ${await screenshot(page, 'decrypted-saved')}`);
  });

  it('compares the decrypted HEAD with the decrypted working copy', async () => {
    const { page } = env!;
    await page
      .locator('.editor-group-container.active .editor-actions .action-label[aria-label^="Compare Decrypted with HEAD"]')
      .first()
      .click();
    const diff = page.locator('.editor-group-container.active .monaco-diff-editor').first();
    await diff.waitFor({ state: 'visible', timeout: 30_000 });
    await until('both sides', async () => {
      const text = await diff.innerText().catch(() => '');
      return text.includes('demo-session-secret-not-real') && text.includes('rotated-by-the-e2e-test');
    });
    assert.match(await activeTab(page).innerText(), /HEAD ↔ Working Tree, decrypted/);
    console.log(`      screenshot: ${await screenshot(page, 'decrypted-compare-head')}`);
    await runCommand(page, 'View: Close All Editors');
  });

  it('reopens it from the Explorer: the notification offers Open Decrypted, and the new value is there', async () => {
    const { page } = env!;
    await explorerRow(page, '.env').click();
    const toast = await waitForNotification(page, /\.env is encrypted with AWS KMS/);
    // The raw file shows its CodeLens too.
    await page
      .locator('.editor-group-container.active .codelens-decoration')
      .filter({ hasText: 'Open Decrypted' })
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    console.log(`      screenshot: ${await screenshot(page, 'decrypted-ask')}`);
    await toast
      .locator('.monaco-button')
      .filter({ hasText: /^Open Decrypted$/ })
      .first()
      .click();
    await until('the decrypted text', async () =>
      (await activeEditorText(page).catch(() => '')).includes('SESSION_SECRET=rotated-by-the-e2e-test'),
    );
    console.log(`      screenshot: ${await screenshot(page, 'decrypted-reopened')}`);
  });

  it('decrypts the restored editor again after the window reloads (memory starts empty)', async () => {
    const { page } = env!;
    // Developer: Reload Window, as a person does: VS Code stores the layout before it reloads (a
    // browser reload does not wait for that, and sometimes restored an older layout: the raw file).
    const navigated = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame(), timeout: 60_000 });
    await runCommand(page, 'Developer: Reload Window');
    await navigated;
    await page.waitForLoadState('domcontentloaded');
    await waitForWorkbench(page);
    // The restored editor is the decrypted one: its text is decrypted again from the file.
    const shown = page.locator('.editor-group-container.active .monaco-editor .view-lines');
    await until(
      'the restored decrypted text',
      async () => (await shown.allInnerTexts().catch(() => [] as string[])).join('\n').includes('SESSION_SECRET=rotated-by-the-e2e-test'),
      60_000,
    );
    console.log(`      screenshot: ${await screenshot(page, 'decrypted-restored')}`);
  });
});
