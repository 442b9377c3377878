// The KMS view in the real workbench (code-server + Chromium): expand the connection, the
// customer managed keys and a key, check what a person reads there, and save screenshots
// (test-output/screenshots/tree.png, tree-tooltip.png).
import * as assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { richSeed } from '../integration/tree/treeSeeds';
import { defaultSettings, startE2eEnvironment, type E2eEnvironment } from './support/environment';
import { openActivity, screenshot, waitForSideBarIdle } from './support/workbench';

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
    await widenSideBar(page, 560);
    const connection = row(page, /^Local KMS emulator/);
    await expand(connection);
    await expand(row(page, 'Customer managed keys'));

    // Described lazily after first paint: wait for the descriptions to arrive.
    await row(page, 'payments/api', 'SYMMETRIC_DEFAULT · Enabled').waitFor({ state: 'visible', timeout: 30_000 });
    await row(page, 'to-delete', 'Pending deletion (2031-03-01)').waitFor({ state: 'visible', timeout: 30_000 });
    await row(page, 'old-disabled', 'SYMMETRIC_DEFAULT · Disabled').waitFor({ state: 'visible', timeout: 30_000 });
    await row(page, 'release-signing', 'ECC_NIST_P256 · Enabled').waitFor({ state: 'visible', timeout: 30_000 });
    await row(page, /^Local KMS emulator/, '111122223333').waitFor({ state: 'visible', timeout: 30_000 });

    await expand(row(page, 'payments/api'));
    for (const child of ['Grants', 'Key policy', 'Tags', 'Rotation']) await row(page, child).waitFor({ state: 'visible', timeout: 15_000 });
    await expand(row(page, /^Rotation/));
    await row(page, 'Automatic rotation', 'on').waitFor({ state: 'visible', timeout: 15_000 });
    await row(page, 'Rotated 2024-06-01', 'on demand').waitFor({ state: 'visible', timeout: 15_000 });

    // The key icons differ by state (codicon classes on the rows).
    const iconOf = async (label: string): Promise<string> => (await row(page, label).locator('.custom-view-tree-node-item-icon').first().getAttribute('class')) ?? '';
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

  it('shows a key’s tooltip with ARN, aliases, spec, usage, origin and rotation', async () => {
    const { page } = env!;
    const key = row(page, 'payments/api');
    await key.locator('.monaco-icon-label').first().hover();
    const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'Key id' }).first();
    await hover.waitFor({ state: 'visible', timeout: 20_000 });
    const text = await hover.innerText();
    for (const expected of ['arn:aws:kms:us-east-1:111122223333:key/', 'alias/payments/legacy', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'AWS_KMS', 'on, every 180 days']) {
      assert.ok(text.includes(expected), `tooltip lacks ${expected}:\n${text}`);
    }
    const path = await screenshot(page, 'tree-tooltip');
    console.log(`      screenshot: ${path}`);
  });
});
