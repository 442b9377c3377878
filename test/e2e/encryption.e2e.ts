// Encrypting a secrets file in the real workbench (code-server + Chromium): right-click the
// workspace's .env in the Explorer → Encrypt File → pick the key → the file on disk is an
// Encryption SDK message and carries a lock badge; Decrypt File restores it byte for byte.
// Then a value in the editor: the hover on its ciphertext offers Decrypt to Peek.
// Screenshots in test-output/screenshots/encryption-*.png.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { Locator, Page } from 'playwright-core';
import { startE2eEnvironment, type E2eEnvironment } from './support/environment';
import { openFile, screenshot } from './support/workbench';

const ALIAS = `alias/e2e-secrets-${Date.now().toString(36)}`;

/** The Explorer's row of a file by its name. */
function explorerRow(page: Page, name: string): Locator {
  return page.locator(`.part.sidebar .monaco-list-row[role="treeitem"][aria-label^="${name}"]`).first();
}

/** Opens a row's context menu and chooses an entry (hover focuses it, Enter runs it). */
async function contextMenu(page: Page, row: Locator, entry: string, screenshotName?: string): Promise<string[]> {
  await row.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu').first();
  await menu.waitFor({ state: 'visible', timeout: 15_000 });
  const entries = (await menu.locator('.action-item .action-label').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
  const item = menu
    .locator('.action-item')
    .filter({ has: page.locator('.action-label', { hasText: new RegExp(`^${entry}$`) }) })
    .first();
  await item.hover();
  await page.waitForTimeout(150);
  if (screenshotName) console.log(`      screenshot: ${await screenshot(page, screenshotName)}`);
  await page.keyboard.press('Enter');
  await menu.waitFor({ state: 'hidden', timeout: 10_000 });
  return entries;
}

/** The text of the badge VS Code draws for a row's file decoration (a CSS ::after). */
async function badgeOf(row: Locator): Promise<string> {
  return row.evaluate((el: Element) =>
    Array.from(el.querySelectorAll<Element>('*'))
      .map((e: Element) => getComputedStyle(e, '::after').content)
      .filter((c) => c && c !== 'none' && c !== 'normal')
      .join(' '),
  );
}

/** Answers the encryption-context step with nothing: Enter in its input, until the step closes. */
async function noEncryptionContext(page: Page, title: RegExp): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title').filter({ hasText: title }).waitFor({ state: 'visible', timeout: 15_000 });
  const input = widget.locator('input.input[placeholder^="e.g. app=web"]');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  for (let attempt = 0; attempt < 5 && (await widget.isVisible()); attempt++) {
    await input.press('Enter');
    await widget.waitFor({ state: 'hidden', timeout: 3_000 }).catch(() => undefined);
  }
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('encrypting a secrets file from the Explorer', function () {
  this.timeout(240_000);
  let env: E2eEnvironment | undefined;
  let envFile: string;
  let original: Buffer;

  before(async () => {
    env = await startE2eEnvironment();
    const kms = new KMSClient({
      region: 'us-east-1',
      endpoint: env.emulatorUrl,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const key = await kms.send(new CreateKeyCommand({ Description: 'Secrets of the e2e workspace' }));
    await kms.send(new CreateAliasCommand({ AliasName: ALIAS, TargetKeyId: key.KeyMetadata!.KeyId! }));
    kms.destroy();
    envFile = join(env.workspace, '.env');
    original = readFileSync(envFile);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && env) {
      console.log(
        `      screenshot of the failure: ${await screenshot(env.page, `encryption-failed-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 40)}`)}`,
      );
    }
  });

  after(async () => {
    await env?.close();
  });

  it('encrypts .env from its context menu after the key is picked, and shows a lock badge', async () => {
    const { page } = env!;
    await page.keyboard.press('Control+Shift+E');
    const row = explorerRow(page, '.env');
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    // The menu entries depend on the secrets-file scan of the activated extension: retry until they show.
    let entries: string[] = [];
    for (let attempt = 0; attempt < 20 && !entries.includes('Encrypt File'); attempt++) {
      await row.click({ button: 'right' });
      const menu = page.locator('.context-view .monaco-menu').first();
      await menu.waitFor({ state: 'visible', timeout: 15_000 });
      entries = (await menu.locator('.action-item .action-label').allInnerTexts()).map((t) => t.trim());
      await page.keyboard.press('Escape');
      if (!entries.includes('Encrypt File')) await page.waitForTimeout(500);
    }
    assert.ok(entries.includes('Encrypt File'), `Encrypt File is offered on .env: ${entries.join(' | ')}`);
    assert.ok(!entries.includes('Decrypt File'), 'Decrypt File is not offered on a plaintext file');

    await contextMenu(page, row, 'Encrypt File', 'encryption-explorer-menu');
    const widget = page.locator('.quick-input-widget');
    await widget
      .locator('.quick-input-title')
      .filter({ hasText: /Encrypt \.env with/ })
      .waitFor({ state: 'visible', timeout: 30_000 });
    const keyRow = widget.locator('.monaco-list-row').filter({ hasText: ALIAS }).first();
    await keyRow.waitFor({ state: 'visible', timeout: 30_000 });
    console.log(`      screenshot: ${await screenshot(page, 'encryption-key-picker')}`);
    await keyRow.click();
    await noEncryptionContext(page, new RegExp(`Encrypt with ${ALIAS}`));

    await waitFor(() => readFileSync(envFile, 'latin1').startsWith('AgR4'), '.env to be encrypted');
    const text = readFileSync(envFile, 'latin1');
    assert.match(text, /^([A-Za-z0-9+/=]{1,76}\n)+$/, 'base64 lines: the file stays text');
    assert.ok(!text.includes('correct-horse'), 'no plaintext left');
    const deadline = Date.now() + 15_000;
    let badge = '';
    while (!badge.includes('🔒') && Date.now() < deadline) {
      badge = await badgeOf(explorerRow(page, '.env'));
      if (!badge.includes('🔒')) await page.waitForTimeout(250);
    }
    assert.match(badge, /🔒/, 'the lock badge is drawn on .env');
    await explorerRow(page, '.env').hover();
    await page.waitForTimeout(600);
    console.log(`      screenshot: ${await screenshot(page, 'encryption-explorer-encrypted')}`);
  });

  it('decrypts it again from the context menu, byte for byte, and drops the badge', async () => {
    const { page } = env!;
    const row = explorerRow(page, '.env');
    let entries: string[] = [];
    for (let attempt = 0; attempt < 20 && !entries.includes('Decrypt File'); attempt++) {
      await row.click({ button: 'right' });
      const menu = page.locator('.context-view .monaco-menu').first();
      await menu.waitFor({ state: 'visible', timeout: 15_000 });
      entries = (await menu.locator('.action-item .action-label').allInnerTexts()).map((t) => t.trim());
      await page.keyboard.press('Escape');
      if (!entries.includes('Decrypt File')) await page.waitForTimeout(500);
    }
    assert.ok(entries.includes('Decrypt File') && entries.includes('Re-encrypt File…'), entries.join(' | '));
    assert.ok(!entries.includes('Encrypt File'), 'Encrypt File is not offered on an encrypted file');
    await contextMenu(page, row, 'Decrypt File');
    await waitFor(() => readFileSync(envFile).equals(original), '.env to be decrypted byte for byte');
    const deadline = Date.now() + 15_000;
    while ((await badgeOf(explorerRow(page, '.env'))).includes('🔒') && Date.now() < deadline) await page.waitForTimeout(250);
    assert.doesNotMatch(await badgeOf(explorerRow(page, '.env')), /🔒/);
    console.log(`      screenshot: ${await screenshot(page, 'encryption-explorer-decrypted')}`);
  });

  it('encrypts a value in the editor and offers Decrypt to Peek on hover', async () => {
    const { page } = env!;
    await openFile(page, '.env');
    const editor = page.locator('.editor-group-container.active .monaco-editor').first();
    // Select the value of SESSION_SECRET (line 4) with the keyboard.
    await editor.click();
    await page.keyboard.press('Control+Home');
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Home');
    for (let i = 0; i < 'SESSION_SECRET='.length; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Shift+End');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input.input');
    await input.fill('>KMS: Encrypt Selection');
    await page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: 'KMS: Encrypt Selection' }).first().click();
    const widget = page.locator('.quick-input-widget');
    const keyRow = widget.locator('.monaco-list-row').filter({ hasText: ALIAS }).first();
    await keyRow.waitFor({ state: 'visible', timeout: 30_000 });
    await keyRow.click();
    await noEncryptionContext(page, /Encrypt selection with/);
    const line = page
      .locator('.editor-group-container.active .view-line')
      .filter({ hasText: /SESSION_SECRET=AQICAHh/ })
      .first();
    await line.waitFor({ state: 'visible', timeout: 30_000 });

    // Hover the ciphertext: what it is, and the peek link.
    const token = line
      .locator('span span')
      .filter({ hasText: /AQICAHh/ })
      .first();
    await token.hover({ position: { x: 60, y: 5 } });
    const hover = page.locator('.monaco-hover').filter({ hasText: 'KMS ciphertext blob' }).first();
    await hover.waitFor({ state: 'visible', timeout: 20_000 });
    assert.match(await hover.innerText(), /Decrypt to peek/);
    console.log(`      screenshot: ${await screenshot(page, 'encryption-hover')}`);
    await hover.locator('a').filter({ hasText: 'Decrypt to peek' }).click();
    const dialog = page.locator('.monaco-dialog-box').filter({ hasText: /Shown here only/ });
    await dialog.waitFor({ state: 'visible', timeout: 20_000 });
    assert.match(await dialog.innerText(), /demo-session-secret-not-real/);
    console.log(`      screenshot: ${await screenshot(page, 'encryption-peek')}`);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    // The document still holds the ciphertext.
    assert.match(await line.innerText(), /SESSION_SECRET=AQICAHh/);
  });
});
