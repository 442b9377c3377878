// What a person sees at the default side-bar width (issue 14): the KMS view at 300 px with long
// key specs (the state must stay readable), the key picker with a key of two aliases, the
// editor's KMS submenu, and the Getting Started walkthrough. Screenshots in
// test-output/screenshots: tree-300px.png, key-picker-two-aliases.png, editor-kms-menu.png,
// walkthrough.png (and walkthrough-connect.png, the walkthrough's first picture).
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildClient, CommitmentPolicy, KmsKeyringNode } from '@aws-crypto/client-node';
import { KMS } from '@aws-sdk/client-kms';
import type { Locator, Page } from 'playwright-core';
import type { SeedDocument } from '../emulator/seed';
import { ids, richSeed } from '../integration/tree/treeSeeds';
import { defaultSettings, startE2eEnvironment, type E2eEnvironment } from './support/environment';
import {
  collapseView,
  notifications,
  openActivity,
  openFile,
  runCommand,
  screenshot,
  screenshotDir,
  waitForSideBarIdle,
} from './support/workbench';

const REGION = 'us-east-1';

/** The rich seed and keys with the longest specs, one pending deletion (the longest state). */
function seed(): SeedDocument {
  const rich = richSeed(REGION);
  return {
    ...rich,
    keys: [
      ...(rich.keys ?? []),
      {
        region: REGION,
        id: '5e1f0000-0000-4000-8000-000000000521',
        spec: 'ECC_NIST_P521',
        usage: 'SIGN_VERIFY',
        description: 'Firmware signing (P-521)',
        aliases: ['alias/firmware-signing'],
      },
      {
        region: REGION,
        id: '5e1f0000-0000-4000-8000-000000004096',
        spec: 'RSA_4096',
        usage: 'ENCRYPT_DECRYPT',
        description: 'Partner exchange',
        aliases: ['alias/partner-exchange'],
      },
      {
        region: REGION,
        id: '5e1f0000-0000-4000-8000-000000000256',
        spec: 'ECC_SECG_P256K1',
        usage: 'SIGN_VERIFY',
        state: 'PendingDeletion',
        deletionDate: '2031-03-01T00:00:00Z',
        pendingWindowInDays: 30,
        aliases: ['alias/wallet-secp256k1'],
      },
    ],
  };
}

/** A tree row of the side bar whose text contains every one of `texts`. */
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

/** Drags the side bar's edge so it is `width` px wide (VS Code's default is 300). */
async function sideBarWidth(page: Page, width: number): Promise<number> {
  const sidebar = page.locator('.part.sidebar');
  const box = await sidebar.boundingBox();
  if (!box) throw new Error('no side bar');
  if (Math.abs(box.width - width) > 2) {
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width - 1, y);
    await page.mouse.down();
    await page.mouse.move(box.x + width - 1, y, { steps: 8 });
    await page.mouse.up();
  }
  return (await sidebar.boundingBox())?.width ?? 0;
}

/** Whether the first `chars` characters of a row's description (the key's state) are drawn whole, not under the ellipsis. */
async function shownWhole(item: Locator, chars: number): Promise<boolean> {
  return item.evaluate((el, n) => {
    const description = el.querySelector('.label-description');
    const container = el.querySelector('.monaco-icon-label-container');
    const text = description?.firstChild;
    if (!description || !container || !text) return false;
    const range = document.createRange();
    range.setStart(text, 0);
    range.setEnd(text, Math.min(n, text.textContent?.length ?? 0));
    // The ellipsis (about 1em) takes the last visible characters' place.
    return range.getBoundingClientRect().right <= container.getBoundingClientRect().right - 12;
  }, chars);
}

/**
 * Right-clicks the active editor at `position` and opens the context menu's KMS submenu; returns
 * its entries. The host sets the context key from the selection a moment after it changes, so
 * the menu is opened again until the submenu is there.
 */
async function kmsSubmenu(page: Page, position: { x: number; y: number }): Promise<{ submenu: Locator; entries: string[] }> {
  const editor = page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
  const menu = page.locator('.context-view .monaco-menu').first();
  const deadline = Date.now() + 30_000;
  for (;;) {
    await editor.click({ button: 'right', position });
    await menu.waitFor({ state: 'visible', timeout: 15_000 });
    const kms = menu.locator('.action-item').filter({ hasText: /^KMS$/ }).first();
    if (await kms.isVisible()) {
      await kms.hover();
      const submenu = page.locator('.context-view .monaco-menu').nth(1);
      await submenu.waitFor({ state: 'visible', timeout: 15_000 });
      const entries = (await submenu.locator('.action-item .action-label').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
      return { submenu, entries };
    }
    await page.keyboard.press('Escape');
    if (Date.now() > deadline) throw new Error('the editor context menu has no KMS submenu');
    await menu.waitFor({ state: 'hidden', timeout: 5_000 });
  }
}

describe('What a person sees (issue 14)', function () {
  this.timeout(240_000);
  let env: E2eEnvironment | undefined;

  before(async () => {
    env = await startE2eEnvironment({ seed: seed(), settings: defaultSettings });
    await env.page.setViewportSize({ width: 1280, height: 800 });
    // Files for the editor's menu, made early so Quick Open has indexed them when they are opened.
    writeFileSync(join(env.workspace, 'menu.env'), 'PLAIN=hunter2\n');
    // An AWS Encryption SDK message: its header names the key (a KMS blob of AWS's shape does not).
    const kms = new KMS({ endpoint: env.emulatorUrl, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const keyring = new KmsKeyringNode({
      generatorKeyId: `arn:aws:kms:${REGION}:111122223333:key/${ids.payments}`,
      clientProvider: () => kms,
    });
    const { result } = await buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT).encrypt(keyring, 'hunter2');
    kms.destroy();
    writeFileSync(join(env.workspace, 'cipher.env'), `TOKEN=${result.toString('base64')}\n`);
  });

  after(async () => {
    await env?.close();
  });

  it('the KMS view at the default 300 px side bar: state first and a short spec, whole; counts before expanding; the region on the connection row', async () => {
    const { page } = env!;
    await openActivity(page, 'KMS');
    await collapseView(page, 'Workspace Secrets');
    const width = await sideBarWidth(page, 300);
    assert.ok(Math.abs(width - 300) <= 2, `side bar ${width} px`);
    const connection = row(page, /^Local KMS emulator/);
    await expand(connection);
    // Counted before it is expanded, like AWS managed keys and Aliases.
    await row(page, 'Customer managed keys', /\d+/).waitFor({ state: 'visible', timeout: 30_000 });
    await row(page, /^Local KMS emulator/, REGION).waitFor({ state: 'visible', timeout: 30_000 });
    await expand(row(page, 'Customer managed keys'));
    const keys: [string, string, string][] = [
      ['firmware-signing', 'Enabled · P-521', 'Enabled'],
      ['partner-exchange', 'Enabled · RSA 4096', 'Enabled'],
      ['wallet-secp256k1', 'Deletes 2031-03-01 · secp256k1', 'Deletes'],
      ['payments/api', 'Enabled · symmetric', 'Enabled'],
      ['old-disabled', 'Disabled · symmetric', 'Disabled'],
      ['byok', 'Pending import · symmetric', 'Pending import'],
    ];
    for (const [label, description] of keys) await row(page, label, description).waitFor({ state: 'visible', timeout: 30_000 });
    await waitForSideBarIdle(page);
    await page.mouse.move(700, 700);
    console.log(`      screenshot: ${await screenshot(page, 'tree-300px')}`);
    // The state comes first, so it is what shows even where a long alias leaves the spec (or a deletion date) cut.
    for (const [label, , state] of keys)
      assert.ok(await shownWhole(row(page, label), state.length), `${label}: "${state}" is cut off at 300 px`);
    // The walkthrough's first picture: the side bar alone.
    const bar = await page.locator('.part.sidebar').boundingBox();
    if (bar)
      await page.screenshot({
        path: join(screenshotDir, 'walkthrough-connect.png'),
        clip: { x: bar.x, y: bar.y, width: bar.width, height: 420 },
      });
  });

  it('the Aliases folder names each alias’s key by its other alias or its description, not its key id', async () => {
    const { page } = env!;
    await expand(row(page, 'Customer managed keys'));
    const folder = row(page, /^Aliases/);
    await folder.click();
    if ((await folder.getAttribute('aria-expanded')) === 'false') await folder.press('ArrowRight');
    await row(page, 'payments/legacy', '→ payments/api').waitFor({ state: 'visible', timeout: 30_000 });
    await row(page, 'firmware-signing', '→ Firmware signing (P-521)').waitFor({ state: 'visible', timeout: 30_000 });
    const texts = await page.locator('.part.sidebar').getByRole('treeitem').filter({ hasText: '→' }).allInnerTexts();
    for (const text of texts) assert.doesNotMatch(text, /→ [0-9a-f]{8}-[0-9a-f]{4}-/, `an alias named by a key id: ${text}`);
    await page.mouse.move(700, 700);
    console.log(`      screenshot: ${await screenshot(page, 'tree-aliases')}`);
    await folder.click();
    if ((await folder.getAttribute('aria-expanded')) === 'true') await folder.press('ArrowLeft');
  });

  it('the key picker lists a key with two aliases once, with both', async () => {
    const { page } = env!;
    await runCommand(page, 'KMS: Describe Key');
    const rows = page.locator('.quick-input-widget .monaco-list-row');
    await rows.filter({ hasText: 'payments/api' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    const input = page.locator('.quick-input-widget input.input');
    await input.fill('payments');
    await rows.filter({ hasText: 'also payments/legacy' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    const texts = await rows.allInnerTexts();
    const payments = texts.filter((t) => t.includes('payments/'));
    assert.equal(payments.length, 1, `one entry for the key: ${JSON.stringify(texts)}`);
    assert.match(payments[0], /alias\/payments\/api/);
    assert.match(payments[0], /also payments\/legacy/);
    console.log(`      screenshot: ${await screenshot(page, 'key-picker-two-aliases')}`);
    await page.keyboard.press('Escape');
  });

  it('the editor’s KMS submenu offers Encrypt on plaintext and Decrypt, Re-encrypt, Peek on ciphertext', async () => {
    const { page } = env!;
    await openFile(page, 'menu.env');
    const editor = page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
    await editor.click();
    await page.keyboard.press('Control+A');
    const { entries } = await kmsSubmenu(page, { x: 40, y: 8 });
    assert.deepEqual(entries, ['Encrypt Selection'], 'a plaintext selection: Encrypt only');
    console.log(`      screenshot: ${await screenshot(page, 'editor-kms-menu')}`);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
  });

  it('on a ciphertext the submenu offers Decrypt, Re-encrypt and Peek, and Re-encrypt’s picker marks the current key', async () => {
    const { page } = env!;
    await openFile(page, 'cipher.env');
    const editor = page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
    // The cursor in the ciphertext (after "TOKEN=").
    await editor.click({ position: { x: 120, y: 8 } });
    const { submenu, entries } = await kmsSubmenu(page, { x: 120, y: 8 });
    assert.deepEqual(
      entries,
      ['Decrypt Selection', 'Re-encrypt Selection…', 'Decrypt to Peek'],
      'a ciphertext under the cursor: no Encrypt',
    );
    console.log(`      screenshot: ${await screenshot(page, 'editor-kms-menu-ciphertext')}`);
    await submenu
      .locator('.action-item')
      .filter({ hasText: /^Re-encrypt Selection/ })
      .first()
      .click();
    const current = page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: 'current key' }).first();
    await current.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await current.innerText(), /alias\/payments\/api/);
    console.log(`      screenshot: ${await screenshot(page, 'key-picker-reencrypt-current')}`);
    await page.keyboard.press('Escape');
  });

  it('the Getting Started walkthrough: connect, encrypt, open decrypted, key policy, each with its button and picture', async () => {
    const { page } = env!;
    // The file the walkthrough's buttons act on: the one last in front of the person (its tab is open).
    const tab = page.locator('.tabs-container .tab').filter({ hasText: 'menu.env' }).first();
    if (await tab.count()) await tab.click();
    else await openFile(page, 'menu.env');
    await page.locator('.tabs-container .tab.active').filter({ hasText: 'menu.env' }).waitFor({ state: 'visible', timeout: 15_000 });
    // With the side bar closed the walkthrough has room for its picture beside the steps.
    await runCommand(page, 'View: Close Primary Side Bar');
    await page.locator('.part.sidebar').waitFor({ state: 'hidden', timeout: 15_000 });
    await runCommand(page, 'Welcome: Open Walkthrough...');
    const pick = page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: 'Get started with KMS Workbench' }).first();
    await pick.waitFor({ state: 'visible', timeout: 30_000 });
    await pick.click();
    const walkthrough = page.locator('.gettingStartedContainer');
    await walkthrough.waitFor({ state: 'visible', timeout: 30_000 });
    for (const step of ['Connect to AWS KMS', 'Encrypt a secrets file', 'Edit it decrypted', "Look at a key's policy"]) {
      await walkthrough.getByText(step, { exact: true }).first().waitFor({ state: 'visible', timeout: 15_000 });
    }
    for (const button of ['Choose a Profile', 'Sign In with AWS SSO', 'Add a Connection']) {
      await walkthrough
        .locator('.button-link, a, button')
        .filter({ hasText: button })
        .first()
        .waitFor({ state: 'visible', timeout: 15_000 });
    }
    const image = walkthrough.locator('.getting-started-media img').first();
    await image.waitFor({ state: 'visible', timeout: 15_000 });
    await page.waitForFunction(
      (el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0,
      await image.elementHandle(),
      { timeout: 15_000 },
    );
    await page.mouse.move(5, 700);
    console.log(`      screenshot: ${await screenshot(page, 'walkthrough')}`);

    // A step's button runs its command on that file, though the walkthrough is the active editor.
    await walkthrough.getByText('Encrypt a secrets file', { exact: true }).first().click();
    // The step itself is a button holding its own buttons: the innermost one with exactly this text.
    await walkthrough
      .locator('.monaco-button, .button-link')
      .filter({ hasText: /^\s*Encrypt File\s*$/ })
      .last()
      .click();
    await page
      .locator('.quick-input-widget')
      .filter({ hasText: 'Encrypt menu.env with' })
      .waitFor({ state: 'visible', timeout: 30_000 })
      .catch(async (error: unknown) => {
        console.log(
          `      screenshot: ${await screenshot(page, 'walkthrough-encrypt-failed')}; notifications: ${(await notifications(page)).join(' | ')}`,
        );
        throw error;
      });
    await page.keyboard.press('Escape');
  });
});
