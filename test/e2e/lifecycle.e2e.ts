// Key lifecycle in the real workbench (code-server + Chromium): create a key from the tree
// through the create-key wizard, schedule its deletion from its context menu (typing its
// alias), cancel it and enable it again. Screenshots of the context menu of an enabled key
// and of a key pending deletion.
import * as assert from 'node:assert/strict';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { Locator, Page } from 'playwright-core';
import { startE2eEnvironment, type E2eEnvironment } from './support/environment';
import { openActivity, screenshot, treeItem, viewPane, waitForSideBarIdle } from './support/workbench';

const CONNECTION = /^Local KMS emulator/;
const ALIAS = `e2e-lifecycle-${Date.now().toString(36)}`;
/** A key pending deletion reads its deletion date first in the tree (the state word fits at 300 px). */
const PENDING_DELETION = /Deletes \d{4}-\d{2}-\d{2}/;

/** The quick input once its title matches (each wizard step replaces the previous one). */
async function quickInputStep(page: Page, title: RegExp): Promise<Locator> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title').filter({ hasText: title }).waitFor({ state: 'visible', timeout: 20_000 });
  return widget;
}

async function pickStep(page: Page, title: RegExp, item: string | RegExp): Promise<void> {
  const widget = await quickInputStep(page, title);
  const row = widget.locator('.monaco-list-row').filter({ hasText: item }).first();
  await row.waitFor({ state: 'visible', timeout: 20_000 });
  await row.click();
}

async function typeStep(page: Page, title: RegExp, text: string): Promise<void> {
  const widget = await quickInputStep(page, title);
  const input = widget.locator('input.input');
  await input.fill(text);
  await page.keyboard.press('Enter');
}

/** Clicks a button of the modal dialog showing `message`. */
async function dialogButton(page: Page, message: RegExp, button: string): Promise<void> {
  const dialog = page.locator('.monaco-dialog-box').filter({ hasText: message });
  await dialog.waitFor({ state: 'visible', timeout: 20_000 });
  await dialog.locator('.dialog-buttons .monaco-button').filter({ hasText: button }).first().click();
  await dialog.waitFor({ state: 'hidden', timeout: 20_000 });
}

/** Opens the context menu of a tree item; returns the menu. */
async function openContextMenu(page: Page, item: Locator): Promise<Locator> {
  await item.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu').first();
  await menu.waitFor({ state: 'visible', timeout: 15_000 });
  // The menu fades in: let it finish, so screenshots show it as a person sees it.
  await page.waitForTimeout(300);
  return menu;
}

async function menuEntries(menu: Locator): Promise<string[]> {
  return (await menu.locator('.action-item .action-label').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
}

/**
 * Chooses a menu entry: hover focuses it, Enter runs it (a click right after the menu
 * opened is ignored by VS Code's menu, which waits for the right button's release).
 */
async function chooseInMenu(menu: Locator, entry: string): Promise<void> {
  const item = menu
    .locator('.action-item')
    .filter({ has: menu.page().locator('.action-label', { hasText: new RegExp(`^${entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) })
    .first();
  await item.hover();
  await menu.page().waitForTimeout(150);
  await menu.page().keyboard.press('Enter');
  await menu.waitFor({ state: 'hidden', timeout: 10_000 });
}

/**
 * Expands a tree item (found by its text) unless it is expanded already. The item is looked up
 * again each time: the extension may expand it too (Create Key reveals the new key), and the
 * tree re-renders its rows as it does.
 */
async function expand(page: Page, text: string | RegExp): Promise<void> {
  const item = page.getByRole('treeitem').filter({ hasText: text }).first();
  await item.waitFor({ state: 'visible', timeout: 30_000 });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const expanded = await item.getAttribute('aria-expanded', { timeout: 5_000 }).catch(() => undefined);
    if (expanded === 'true') return;
    if (Date.now() > deadline) throw new Error(`the tree item ${String(text)} did not expand (aria-expanded: ${String(expanded)})`);
    if (expanded === 'false')
      await item
        .locator('.monaco-tl-twistie')
        .click()
        .catch(() => undefined);
    await page.waitForTimeout(500);
  }
}

/** Waits until the key's tree item shows `text` in its description (the tree refreshed it). */
async function waitForKeyItem(page: Page, text: RegExp): Promise<Locator> {
  const item = page.getByRole('treeitem').filter({ hasText: ALIAS }).filter({ hasText: text }).first();
  await item.waitFor({ state: 'visible', timeout: 30_000 });
  return item;
}

describe('key lifecycle in the workbench', function () {
  this.timeout(240_000);
  let env: E2eEnvironment | undefined;
  let kms: KMSClient | undefined;

  before(async () => {
    env = await startE2eEnvironment();
    kms = new KMSClient({ region: 'us-east-1', endpoint: env.emulatorUrl, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && env) {
      console.log(
        `      screenshot of the failure: ${await screenshot(env.page, `lifecycle-failed-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 40)}`)}`,
      );
    }
  });

  after(async () => {
    kms?.destroy();
    await env?.close();
  });

  const state = async (): Promise<string | undefined> =>
    (await kms!.send(new DescribeKeyCommand({ KeyId: `alias/${ALIAS}` }))).KeyMetadata?.KeyState;

  it('creates a key from the tree through the wizard', async () => {
    const { page } = env!;
    await openActivity(page, 'KMS');
    await viewPane(page, 'Keys').locator('.pane-body').waitFor({ state: 'visible', timeout: 30_000 });
    await waitForSideBarIdle(page);
    const connection = treeItem(page, CONNECTION);
    await connection.waitFor({ state: 'visible', timeout: 30_000 });

    const menu = await openContextMenu(page, connection);
    await chooseInMenu(menu, 'Create Key…');
    await pickStep(page, /Create key .*key type/, 'Symmetric: encrypt and decrypt');
    await pickStep(page, /Regionality/, 'Single-Region key');
    await typeStep(page, /alias \(optional\)/, ALIAS);
    await typeStep(page, /description \(optional\)/, 'Made by the e2e test');
    await typeStep(page, /tags \(optional\)/, 'env=e2e');
    await quickInputStep(page, /key policy/);
    console.log(`      screenshot: ${await screenshot(page, 'lifecycle-create-key-policy-step')}`);
    await pickStep(page, /key policy/, "KMS's default key policy");
    await dialogButton(page, new RegExp(`Create a single-Region SYMMETRIC_DEFAULT ENCRYPT_DECRYPT key named alias/${ALIAS}`), 'Create Key');

    await expand(page, CONNECTION);
    await expand(page, 'Customer managed keys');
    await waitForKeyItem(page, /Enabled/);
    assert.equal(await state(), 'Enabled', 'the key exists in KMS');
  });

  it('shows the actions of an enabled key in its context menu', async () => {
    const { page } = env!;
    const item = await waitForKeyItem(page, /Enabled/);
    const menu = await openContextMenu(page, item);
    const entries = await menuEntries(menu);
    console.log(`      screenshot: ${await screenshot(page, 'lifecycle-context-menu-enabled')}`);
    for (const expected of [
      'Disable Key…',
      'Update Key Description…',
      'Add or Change Tags…',
      'Create Alias…',
      'Create Grant…',
      'Cryptographic Operations',
      'Rotation',
      'Schedule Key Deletion…',
    ]) {
      assert.ok(entries.includes(expected), `"${expected}" is offered: ${entries.join(' | ')}`);
    }
    for (const absent of ['Enable Key', 'Cancel Key Deletion…', 'Multi-Region'])
      assert.ok(!entries.includes(absent), `"${absent}" is not offered`);
    await page.keyboard.press('Escape');
  });

  it('schedules the deletion from the context menu, typing the alias', async () => {
    const { page } = env!;
    const menu = await openContextMenu(page, await waitForKeyItem(page, /Enabled/));
    await chooseInMenu(menu, 'Schedule Key Deletion…');
    const confirm = page.locator('.monaco-dialog-box').filter({ hasText: `Schedule deletion of alias/${ALIAS}?` });
    await confirm.waitFor({ state: 'visible', timeout: 20_000 });
    assert.match(await confirm.innerText(), /Aliases that will be deleted with it: alias\//);
    console.log(`      screenshot: ${await screenshot(page, 'lifecycle-schedule-deletion-confirm')}`);
    await dialogButton(page, /Schedule deletion of/, 'Continue…');
    await typeStep(page, /Waiting period/, '7');
    await typeStep(page, new RegExp(`Type alias/${ALIAS} to schedule its deletion`), `alias/${ALIAS}`);
    await waitForKeyItem(page, PENDING_DELETION);
    assert.equal(await state(), 'PendingDeletion');
  });

  it('offers cancelling, not disabling, for a key pending deletion; cancelling offers to enable it', async () => {
    const { page } = env!;
    const menu = await openContextMenu(page, await waitForKeyItem(page, PENDING_DELETION));
    const entries = await menuEntries(menu);
    console.log(`      screenshot: ${await screenshot(page, 'lifecycle-context-menu-pending-deletion')}`);
    assert.ok(entries.includes('Cancel Key Deletion…'), entries.join(' | '));
    for (const absent of [
      'Disable Key…',
      'Enable Key',
      'Schedule Key Deletion…',
      'Add or Change Tags…',
      'Create Grant…',
      'Cryptographic Operations',
    ]) {
      assert.ok(!entries.includes(absent), `"${absent}" is not offered for a key pending deletion`);
    }
    await chooseInMenu(menu, 'Cancel Key Deletion…');
    const toast = page.locator('.notification-toast').filter({ hasText: /The key is disabled now: enable it\?/ });
    await toast.waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await state(), 'Disabled', 'a cancelled deletion leaves the key disabled');
    await toast.locator('.monaco-button').filter({ hasText: 'Enable Key' }).click();
    await waitForKeyItem(page, /Enabled/);
    assert.equal(await state(), 'Enabled');
  });
});
