// The KMS view in the real workbench (code-server + Chromium): expand the connection, the
// customer managed keys and a key, check what a person reads there, and save screenshots
// (test-output/screenshots/tree.png, tree-tooltip.png); and, with no credentials and nothing
// configured, the welcome view (tree-welcome.png).
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { awsEnvironment } from '../harness/awsEnvironment';
import { launchBrowser, type LaunchedBrowser } from '../harness/browser';
import { type CodeServer, repoRoot, startCodeServer } from '../harness/codeServer';
import { ids, richSeed } from '../integration/tree/treeSeeds';
import { defaultSettings, startE2eEnvironment, type E2eEnvironment } from './support/environment';
import { collapseView, openActivity, openWorkbench, screenshot, viewPane, waitForSideBarIdle } from './support/workbench';

/** A tree row whose text contains every one of `texts` (label and description). */
function row(page: Page, ...texts: (string | RegExp)[]): Locator {
  let locator = page.locator('.part.sidebar').getByRole('treeitem');
  for (const text of texts) locator = locator.filter({ hasText: text });
  return locator.first();
}

async function expand(item: Locator): Promise<void> {
  await item.waitFor({ state: 'visible', timeout: 30_000 });
  if ((await item.getAttribute('aria-expanded')) === 'false') {
    await item.click();
    if ((await item.getAttribute('aria-expanded')) === 'false') await item.press('ArrowRight');
  }
  await waitForSideBarIdle(item.page());
}

/** Widens the side bar so labels and descriptions are not cut off. */
async function widenSideBar(page: Page, to: number): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box || box.width >= to) return;
  const x = box.x + box.width;
  const y = box.y + box.height / 2;
  await page.mouse.move(x - 1, y);
  await page.mouse.down();
  await page.mouse.move(box.x + to, y, { steps: 8 });
  await page.mouse.up();
}

describe('KMS tree in the workbench', function () {
  this.timeout(240_000);
  let env: E2eEnvironment | undefined;

  before(async () => {
    env = await startE2eEnvironment({ seed: richSeed('us-east-1'), settings: defaultSettings });
  });

  after(async () => {
    await env?.close();
  });

  it('expands a connection and a key: aliases name keys, descriptions show spec and state, children are there', async () => {
    const { page } = env!;
    await openActivity(page, 'KMS');
    // The Workspace Secrets view shares the container: collapsed, the keys get the whole height.
    await collapseView(page, 'Workspace Secrets');
    await widenSideBar(page, 560);
    const connection = row(page, /^Local KMS emulator/);
    await expand(connection);
    await expand(row(page, 'Customer managed keys'));

    // Described lazily after first paint: wait for the descriptions to arrive.
    await row(page, 'payments/api', 'Enabled · symmetric').waitFor({ state: 'visible', timeout: 30_000 });
    await row(page, 'to-delete', 'Deletes 2031-03-01 · symmetric').waitFor({ state: 'visible', timeout: 30_000 });
    await row(page, 'old-disabled', 'Disabled · symmetric').waitFor({ state: 'visible', timeout: 30_000 });
    await row(page, 'release-signing', 'Enabled · P-256').waitFor({ state: 'visible', timeout: 30_000 });
    await row(page, /^Local KMS emulator/, '111122223333').waitFor({ state: 'visible', timeout: 30_000 });

    await expand(row(page, 'payments/api'));
    for (const child of ['Grants', 'Key policy', 'Tags', 'Rotation']) await row(page, child).waitFor({ state: 'visible', timeout: 15_000 });
    await expand(row(page, /^Rotation/));
    await row(page, 'Automatic rotation', 'on').waitFor({ state: 'visible', timeout: 15_000 });
    await row(page, 'Rotated 2024-06-01', 'on demand').waitFor({ state: 'visible', timeout: 15_000 });

    // The key icons differ by state (codicon classes on the rows).
    const iconOf = async (label: string): Promise<string> =>
      (await row(page, label).locator('.custom-view-tree-node-item-icon').first().getAttribute('class')) ?? '';
    assert.match(await iconOf('to-delete'), /codicon-trash/);
    assert.match(await iconOf('old-disabled'), /codicon-circle-slash/);
    assert.match(await iconOf('release-signing'), /codicon-verified/);

    // Looked for after first paint, so it appears a moment later.
    await row(page, 'Custom key stores', '1').waitFor({ state: 'visible', timeout: 30_000 });
    await page.mouse.move(5, 5);
    await waitForSideBarIdle(page);
    const path = await screenshot(page, 'tree');
    console.log(`      screenshot: ${path}`);
  });

  it('offers copy, policy and refresh in a key’s context menu (no AWS console for an emulator-only setup)', async () => {
    const { page } = env!;
    await row(page, 'release-signing').click({ button: 'right' });
    const menu = page.locator('.context-view .monaco-menu').first();
    await menu.waitFor({ state: 'visible', timeout: 15_000 });
    const entries = (await menu.locator('.action-item .action-label').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
    for (const entry of ['Edit Key Policy', 'Copy ARN', 'Copy Key ID', 'Copy Alias', 'Refresh']) {
      assert.ok(entries.includes(entry), `context menu lacks ${entry}: ${entries.join(' | ')}`);
    }
    assert.ok(!entries.includes('Open in AWS Console'), 'the only connection is the emulator: the AWS console does not apply');
    assert.ok(!entries.includes('Show Key Policy (Read-Only)'), 'a customer managed key offers Edit Key Policy, not both');
    const path = await screenshot(page, 'tree-context-menu');
    console.log(`      screenshot: ${path}`);
    await page.keyboard.press('Escape');
    await row(page, ids.bare).click({ button: 'right' });
    await menu.waitFor({ state: 'visible', timeout: 15_000 });
    const bare = (await menu.locator('.action-item .action-label').allInnerTexts()).map((t) => t.trim());
    assert.ok(!bare.includes('Copy Alias'), 'no Copy Alias for a key without an alias');
    await page.keyboard.press('Escape');
  });

  it('shows a key’s tooltip with ARN, aliases, spec, usage, origin and rotation', async () => {
    const { page } = env!;
    const key = row(page, 'payments/api');
    await key.locator('.monaco-icon-label').first().hover();
    const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'Key id' }).first();
    await hover.waitFor({ state: 'visible', timeout: 20_000 });
    const text = await hover.innerText();
    for (const expected of [
      'arn:aws:kms:us-east-1:111122223333:key/',
      'alias/payments/legacy',
      'SYMMETRIC_DEFAULT',
      'ENCRYPT_DECRYPT',
      'AWS_KMS',
      'on, every 180 days',
    ]) {
      assert.ok(text.includes(expected), `tooltip lacks ${expected}:\n${text}`);
    }
    const path = await screenshot(page, 'tree-tooltip');
    console.log(`      screenshot: ${path}`);
  });
});

describe('KMS welcome view in the workbench', function () {
  this.timeout(240_000);
  let scratch: string | undefined;
  let server: CodeServer | undefined;
  let browser: LaunchedBrowser | undefined;

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'kms-e2e-welcome-'));
    const workspace = join(scratch, 'workspace');
    mkdirSync(workspace);
    // Empty AWS config files and no credentials in the environment: nothing to connect with.
    const env = {
      ...awsEnvironment({ emulatorUrl: 'http://127.0.0.1:9', dir: join(scratch, 'aws') }),
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_ENDPOINT_URL_KMS: undefined,
    };
    server = await startCodeServer({ env, settings: { 'workbench.startupEditor': 'none', 'workbench.tips.enabled': false } });
    browser = await launchBrowser();
    await openWorkbench(browser.page, server, workspace, { extensionDevelopmentPath: repoRoot });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('offers to open the AWS config file, add a connection or choose a profile', async () => {
    const page = browser!.page;
    await openActivity(page, 'KMS');
    const welcome = viewPane(page, 'Keys').locator('.welcome-view');
    await welcome.filter({ hasText: 'No AWS profiles or credentials were found' }).waitFor({ state: 'visible', timeout: 30_000 });
    const buttons = (await welcome.locator('.monaco-button').allInnerTexts()).map((b) => b.trim());
    assert.deepEqual(buttons, ['Open AWS Config File', 'Add a Connection', 'Choose a Profile']);
    await page.locator('.part.statusbar').getByText('KMS: no connection').waitFor({ state: 'visible', timeout: 30_000 });
    await page.mouse.move(700, 600);
    const path = await screenshot(page, 'tree-welcome');
    console.log(`      screenshot: ${path}`);

    // A button runs its command: "Open AWS Config File" opens the (missing) file as an unsaved editor with an example.
    await welcome.locator('.monaco-button').filter({ hasText: 'Open AWS Config File' }).click();
    await page.locator('.tabs-container .tab').filter({ hasText: 'aws-config' }).waitFor({ state: 'visible', timeout: 20_000 });
  });
});
