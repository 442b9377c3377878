// A SOPS file in the real workbench (code-server + Chromium), the workspace being the files the
// real sops 3.8.1 wrote (test/fixtures/sops) and the emulator seeded with their keys: the raw
// app.sops.yaml beside its decrypted form. Screenshot test-output/screenshots/sops-decrypted-beside-raw.png.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { repoRoot } from '../harness/codeServer';
import { defaultSettings, startE2eEnvironment, type E2eEnvironment } from './support/environment';
import { activeEditorText, openFile, runCommand, screenshot } from './support/workbench';

/** The active editor's visible text with Monaco's non-breaking spaces as spaces. */
async function editorText(page: Parameters<typeof activeEditorText>[0]): Promise<string> {
  return (await activeEditorText(page).catch(() => '')).replace(/\u00a0/g, ' ');
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('a SOPS file open decrypted beside its raw form', function () {
  this.timeout(300_000);
  let env: E2eEnvironment | undefined;

  before(async () => {
    env = await startE2eEnvironment({
      fixture: 'sops',
      seed: join(repoRoot, 'test', 'fixtures', 'sops', 'seed.yaml'),
      settings: (url) => ({ ...defaultSettings(url), 'files.autoSave': 'off', 'kmsWorkbench.openEncryptedFiles': 'raw' }),
    });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && env) console.log(`      failure screenshot: ${await screenshot(env.page, 'sops-failed')}`);
  });

  after(async () => {
    await env?.close();
  });

  it('shows the raw file with its ENC values and metadata on the left, the decrypted YAML on the right', async () => {
    const { page } = env!;
    await page.keyboard.press('Control+Shift+E');
    await openFile(page, 'app.sops.yaml');
    await until('the raw file', async () => (await editorText(page)).includes('ENC[AES256_GCM'));
    await runCommand(page, 'View: Split Editor Right');
    await until('two editor groups', async () => (await page.locator('.editor-group-container').count()) >= 2);
    await runCommand(page, 'KMS: Open Decrypted');
    await until('the decrypted text', async () => (await editorText(page)).includes('password: fixture-s3cret'));
    const text = await editorText(page);
    assert.match(text, /# Database settings/);
    assert.match(text, /# inline comment/);
    assert.ok(!text.includes('ENC['), 'no ciphertext in the decrypted editor');
    await page
      .locator('.notification-toast .codicon-notifications-clear')
      .first()
      .click()
      .catch(() => undefined);
    await page.waitForTimeout(500);
    console.log(`      screenshot: ${await screenshot(page, 'sops-decrypted-beside-raw')}`);
  });
});
