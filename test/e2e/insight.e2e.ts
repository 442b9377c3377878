// Key usage and effective access end to end in the real workbench (code-server + Chromium):
// "Show Key Usage" and "Who Can Use This Key" from a key's context menu in the KMS view, and
// screenshots of the usage chart and the effective-access view in the Default Light Modern and
// Default Dark Modern themes. The emulator holds 30 days of CloudTrail events of three principals.
import * as assert from 'node:assert/strict';
import type { Frame, Page } from 'playwright-core';
import { EmulatorControl } from '../emulator/control';
import { fixtureGrants, reviewedPolicy } from '../unit/access/accessFixtures';
import { defaultSettings, startE2eEnvironment, type E2eEnvironment } from './support/environment';
import { openActivity, runCommand, screenshot, waitForSideBarIdle, webviewFrame } from './support/workbench';

const KEY_ALIAS = 'alias/billing';
const KEY_ID = '0b5e7c1e-3f2a-4d6b-9c8d-1a2b3c4d5e6f';
const KEY_ARN = `arn:aws:kms:us-east-1:111122223333:key/${KEY_ID}`;
const day = 24 * 60 * 60 * 1000;

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

/** A month of calls: an app encrypting and decrypting daily, a nightly report, a few failures. */
function history(): Parameters<EmulatorControl['addCloudTrailEvents']>[0] {
  const events: Parameters<EmulatorControl['addCloudTrailEvents']>[0] = [];
  const now = Date.now();
  for (let d = 29; d >= 1; d--) {
    const base = now - d * day;
    const weekday = new Date(base).getUTCDay() % 6 !== 0;
    const calls = weekday ? 6 + ((d * 7) % 5) : 2;
    for (let i = 0; i < calls; i++)
      events.push({
        eventName: i % 3 === 0 ? 'GenerateDataKey' : 'Decrypt',
        time: base + i * 600_000,
        keyArn: KEY_ARN,
        principal: 'arn:aws:sts::111122223333:assumed-role/App/i-0abc',
        sourceIPAddress: '10.0.1.17',
      });
    if (d % 7 === 3)
      events.push({
        eventName: 'Decrypt',
        time: base + 3_600_000,
        keyArn: KEY_ARN,
        principal: 'reporting-job',
        sourceIPAddress: '10.0.2.40',
      });
    if (d % 10 === 5)
      events.push({ eventName: 'Encrypt', time: base + 7_200_000, keyArn: KEY_ARN, principal: 'batch', sourceIPAddress: '192.0.2.10' });
  }
  return events;
}

describe('key usage and effective access in the workbench', function () {
  this.timeout(240_000);
  let env: E2eEnvironment | undefined;

  before(async () => {
    env = await startE2eEnvironment({
      seed: {
        keys: [
          {
            id: KEY_ID,
            region: 'us-east-1',
            description: 'billing data',
            aliases: [KEY_ALIAS],
            policy: reviewedPolicy,
            grants: fixtureGrants,
          },
        ],
      },
      settings: (url) => ({ ...defaultSettings(url), 'workbench.colorTheme': 'Default Light Modern' }),
    });
    await new EmulatorControl(env.emulatorUrl).addCloudTrailEvents(history());
  });

  after(async () => {
    await env?.close();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && env)
      console.log(
        `      failure screenshot: ${await screenshot(env.page, `insight-failure-${this.currentTest.title.slice(0, 20).replace(/\W+/g, '-')}`)}`,
      );
  });

  async function openFromMenu(page: Page, entry: string): Promise<void> {
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
      // Seen now and then (as in the policy editor's e2e): the connection drawn open without its folders.
      await page
        .locator('.part.sidebar .pane-header .actions, .part.sidebar .title-actions')
        .getByRole('button', { name: /^Refresh/ })
        .first()
        .click();
    }
    await expand(/^Customer managed keys/);
    const key = row(/^billing/);
    await key.waitFor({ state: 'visible', timeout: 30_000 });
    await key.click({ button: 'right' });
    const item = page.locator('.context-view .action-item').filter({ hasText: entry }).first();
    await item.waitFor({ state: 'visible', timeout: 15_000 });
    // The menu fades in; a click during the fade can be lost, so hover first and check it closed.
    await page.waitForTimeout(300);
    await item.hover();
    await item.click();
    const menu = page.locator('.context-view .monaco-menu');
    if (
      !(await menu.waitFor({ state: 'hidden', timeout: 2_000 }).then(
        () => true,
        () => false,
      ))
    )
      await page.keyboard.press('Enter');
  }

  async function shoot(page: Page, frame: Frame, name: string): Promise<void> {
    await frame.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(500);
    console.log(`      screenshot: ${await screenshot(page, name)}`);
  }

  it('shows the usage chart, principals, sources and events of the key', async () => {
    const { page } = env!;
    await themeIs(page, 'vs');
    await openActivity(page, 'KMS');
    await waitForSideBarIdle(page);
    await openFromMenu(page, 'Show Key Usage');
    const frame = await webviewFrame(page, 'svg.chart', 90_000);
    await frame.getByRole('heading', { name: 'Key usage: billing' }).waitFor({ timeout: 30_000 });
    assert.ok((await frame.locator('svg.chart g.bar').count()) >= 30, 'a bar per day');
    const principals = await frame.locator('section').filter({ hasText: 'Top principals' }).innerText();
    assert.match(principals, /assumed-role\/App\/i-0abc/);
    assert.match(principals, /user\/reporting-job/);
    assert.match(await frame.locator('.legend').innerText(), /Decrypt \(\d+\)/);
    // The side bar closed, so the view has the width of the window.
    await page.keyboard.press('Control+B');
    await shoot(page, frame, 'key-usage-light');
  });

  it('shows who can use the key, grouped, with the findings', async () => {
    const { page } = env!;
    await page.keyboard.press('Control+B');
    await openFromMenu(page, 'Who Can Use This Key');
    const frame = await webviewFrame(page, 'ul.principals', 60_000);
    await frame.getByRole('heading', { name: /^Who can use billing/ }).waitFor({ timeout: 30_000 });
    const text = await frame.locator('body').innerText();
    assert.match(text, /IAM identity policies.*are not included/);
    assert.match(text, /Other accounts \(1\)/);
    assert.match(text, /Grant without encryption-context constraints/);
    await page.keyboard.press('Control+B');
    await shoot(page, frame, 'key-access-light');
  });

  it('screenshots both views in Default Dark Modern', async () => {
    const { page } = env!;
    await setColorTheme(page, 'Default Dark Modern');
    await themeIs(page, 'vs-dark');
    let frame = await webviewFrame(page, 'ul.principals');
    await frame.locator('body.vscode-dark').waitFor({ state: 'attached', timeout: 30_000 });
    await shoot(page, frame, 'key-access-dark');
    await page.locator('.tabs-container .tab').filter({ hasText: 'Usage: billing' }).click();
    frame = await webviewFrame(page, 'svg.chart', 30_000);
    await frame.locator('body.vscode-dark').waitFor({ state: 'attached', timeout: 30_000 });
    await shoot(page, frame, 'key-usage-dark');
  });
});
