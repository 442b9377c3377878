// What a person sees (issue 14) in the real VS Code: decrypted editors named workspace-relative,
// the once-per-workspace warning before Decrypt Selection puts plaintext into an auto-saved
// file (with Open Decrypted Instead / Decrypt to Peek), keys named by alias in the peek dialog
// (the plaintext as its text, with Copy), and a small selection's refusal naming Encrypt.
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import * as vscode from 'vscode';
import type { OpenDecryptedResult } from '../../src/host/decrypted/decryptedCommands';
import type { DecryptSelectionResult } from '../../src/host/editor/selectionCommands';
import {
  closeAllEditors,
  type EncryptionEnv,
  encryptionEnv,
  openWithSelections,
  RecordingInput,
  refused,
  run,
  testing,
  withAnswers,
} from './encryption/support';

async function setGlobal(section: string, key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration(section).update(key, value, vscode.ConfigurationTarget.Global);
}

async function waitForAsync<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('what a person sees (issue 14)', function () {
  this.timeout(120_000);
  let env: EncryptionEnv;
  let key: string;
  let alias: string;
  const saved: unknown[] = [];
  const SETTINGS: [string, string, unknown][] = [
    ['files', 'autoSave', 'afterDelay'],
    ['kmsWorkbench', 'openEncryptedFiles', 'raw'],
  ];

  before(async function () {
    const t = await testing();
    if (!t) this.skip();
    env = await encryptionEnv(t);
    alias = `alias/seen-${Date.now().toString(36)}`;
    key = await env.createKey(alias);
    // As the extension's own Create Alias does: the key directories list aliases again.
    env.testing.services.fireKeyChanged({ connectionId: (await env.testing.services.connections.active()).id });
    for (const [section, name, value] of SETTINGS) {
      saved.push(vscode.workspace.getConfiguration(section).inspect(name)?.globalValue);
      await setGlobal(section, name, value);
    }
  });

  after(async () => {
    await closeAllEditors();
    if (!env) return;
    for (const [i, [section, name]] of SETTINGS.entries()) await setGlobal(section, name, saved[i]);
  });

  /** A KMS blob of `text` under the test key, base64. */
  async function blob(text: string): Promise<string> {
    const out = await env.gateway.encrypt({ keyId: key, plaintext: Buffer.from(text, 'utf8'), encryptionContext: {} });
    return Buffer.from(out.ciphertext).toString('base64');
  }

  it('names a decrypted editor workspace-relative (breadcrumb, tooltip), not by its absolute path', async () => {
    const path = join(env.folder, 'named.env');
    writeFileSync(path, `${await blob('A=1\n')}\n`);
    const opened = await run<OpenDecryptedResult>('openDecrypted', { uri: path });
    const uri = vscode.Uri.parse(opened.uri);
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    assert.equal(uri.path, `/${relative(root, path).split(sep).join('/')}`);
    const editor = await vscode.window.showTextDocument(uri);
    assert.equal(editor.document.getText(), 'A=1\n');
    await closeAllEditors();
  });

  it('warns once per workspace before Decrypt Selection writes plaintext into an auto-saved file, offering Decrypt to Peek', async () => {
    await env.testing.editor.forgetAutoSaveWarning();
    const path = join(env.folder, 'settings.env');
    const line = `TOKEN=${await blob('s3cret-value')}\n`;
    writeFileSync(path, line);
    const editor = await openWithSelections(vscode.Uri.file(path), [[0, 10, 0, 10]]);

    // Decrypt to Peek: nothing replaced; the peek shows the plaintext (dismissed here).
    const ui = new RecordingInput(['Decrypt to Peek', false]);
    const previous = env.testing.setUserInput(ui);
    try {
      const result = await run<DecryptSelectionResult | undefined>('decryptSelection');
      assert.equal(result, undefined, 'cancelled');
      await waitFor('the peek dialog', () => ui.shown.length >= 2);
    } finally {
      env.testing.setUserInput(previous);
    }
    assert.match(ui.shown[0].message, /Auto Save is on: the decrypted text will be written to settings\.env on disk within a second/);
    assert.deepEqual(ui.shown[0].buttons, ['Decrypt Anyway', 'Decrypt to Peek']);
    assert.match(ui.shown[0].detail ?? '', /Local History/);
    assert.equal(ui.shown[1].message, 's3cret-value', 'the peek shows the plaintext');
    assert.equal(editor.document.getText(), line, 'nothing was replaced');

    // Decrypt Anyway: decrypted, and not asked again in this workspace.
    await vscode.window.showTextDocument(editor.document);
    editor.selections = [new vscode.Selection(0, 10, 0, 10)];
    const anyway = await withAnswers(env.testing, ['Decrypt Anyway'], () => run<DecryptSelectionResult>('decryptSelection'));
    assert.equal(anyway.result.count, 1);
    assert.equal(editor.document.getText(), 'TOKEN=s3cret-value\n');
    await vscode.commands.executeCommand('workbench.action.files.save');
    writeFileSync(path, line);
    await waitFor('the editor to show the file again', () => editor.document.getText() === line);
    editor.selections = [new vscode.Selection(0, 10, 0, 10)];
    const again = await withAnswers(env.testing, [], () => run<DecryptSelectionResult>('decryptSelection'));
    assert.equal(again.result.count, 1);
    assert.equal(again.ui.shown.length, 0, 'asked once per workspace');
    await closeAllEditors();
  });

  it('offers Open Decrypted Instead when the auto-saved file is itself an encrypted file', async () => {
    await env.testing.editor.forgetAutoSaveWarning();
    const path = join(env.folder, 'token.kms');
    const text = await blob('TOKEN=from-file\n');
    writeFileSync(path, `${text}\n`);
    const editor = await openWithSelections(vscode.Uri.file(path), [[0, 0, 0, text.length]]);
    const { result, ui } = await withAnswers(env.testing, ['Open Decrypted Instead'], () =>
      run<DecryptSelectionResult | undefined>('decryptSelection'),
    );
    assert.equal(result, undefined);
    assert.deepEqual(ui.shown[0].buttons, ['Decrypt Anyway', 'Open Decrypted Instead']);
    const decrypted = await waitFor('the decrypted editor', () =>
      vscode.window.visibleTextEditors.find(
        (e) => e.document.uri.scheme === 'kms-decrypted' && e.document.getText() === 'TOKEN=from-file\n',
      ),
    );
    assert.ok(decrypted);
    assert.equal(editor.document.getText(), `${text}\n`, 'the raw file is untouched');
    await env.testing.editor.forgetAutoSaveWarning();
    await closeAllEditors();
  });

  it('the peek dialog shows the plaintext as its text with Copy, and names the key by alias', async () => {
    const path = join(env.folder, 'peek-named.env');
    writeFileSync(path, `X=${await blob('peek-me')}\n`);
    await openWithSelections(vscode.Uri.file(path), [[0, 4, 0, 4]]);
    const { ui } = await withAnswers(env.testing, ['Copy'], () => run('peekCiphertext'));
    assert.equal(ui.shown[0].message, 'peek-me');
    assert.deepEqual(ui.shown[0].buttons, ['Copy']);
    assert.match(ui.shown[0].detail ?? '', new RegExp(`^Decrypted with ${alias}\\.\\n`));
    assert.ok(!(ui.shown[0].detail ?? '').includes('arn:aws:kms'), 'no ARN in the dialog');
    assert.equal(await vscode.env.clipboard.readText(), 'peek-me');
    await vscode.env.clipboard.writeText('');
    await closeAllEditors();
  });

  it('a small selection under a disabled key is refused naming Encrypt, not data keys', async () => {
    const disabled = await env.createKey();
    await env.gateway.disableKey(disabled);
    const path = join(env.folder, 'small.env');
    writeFileSync(path, 'X=small\n');
    await openWithSelections(vscode.Uri.file(path), [[0, 2, 0, 7]]);
    const message = await refused(
      'encryptSelection',
      { keyId: disabled },
      /The key is disabled, so it cannot be used to encrypt\. Enable the key first\./,
    );
    assert.ok(!/data keys/.test(message), message);
    await closeAllEditors();
  });

  it('the CodeLens of an encrypted file and the status bar after Encrypt/Decrypt name the key by alias, with the count', async () => {
    const path = join(env.folder, 'lens.env');
    writeFileSync(path, 'LENS=1\n');
    await run('encryptFile', { uri: path, keyId: alias, encryptionContext: {} });
    assert.equal(env.testing.editor.lastDoneMessage(), `Encrypted lens.env with ${alias}`, 'the status bar names the key and the file');
    const uri = vscode.Uri.file(path);
    await vscode.window.showTextDocument(uri);
    const titles = await waitForAsync('the CodeLens naming the key', async () => {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
      const all = lenses.map((l) => l.command?.title ?? '');
      return all.some((t) => t.includes(`under ${alias}`)) ? all : undefined;
    });
    assert.ok(!titles.some((t) => t.includes('arn:aws:kms')), titles.join(' | '));
    await closeAllEditors();
    // Two selections encrypted, then decrypted: the count and the key.
    const two = join(env.folder, 'two.env');
    writeFileSync(two, 'A=first\nB=second\n');
    await openWithSelections(vscode.Uri.file(two), [
      [0, 2, 0, 7],
      [1, 2, 1, 8],
    ]);
    await run('encryptSelection', { keyId: alias, encryptionContext: {} });
    assert.equal(env.testing.editor.lastDoneMessage(), `Encrypted 2 selections with ${alias}`);
    const editor = vscode.window.activeTextEditor!;
    editor.selections = [new vscode.Selection(0, 3, 0, 3), new vscode.Selection(1, 3, 1, 3)];
    await run('decryptSelection', {});
    assert.equal(env.testing.editor.lastDoneMessage(), `Decrypted 2 selections (${alias})`);
    assert.equal(editor.document.getText(), 'A=first\nB=second\n');
    await closeAllEditors();
  });

  it('a disabled key\u2019s error carries its fix (Enable Key, on the key and connection of the call), and that fix works as from the tree', async () => {
    const disabled = await env.createKey();
    await env.gateway.disableKey(disabled);
    const connection = await env.testing.services.connections.active();
    let fix: { action: string; keyId: string; connectionId?: string } | undefined;
    try {
      await env.gateway.encrypt({ keyId: disabled, plaintext: Buffer.from('x'), encryptionContext: {} });
    } catch (error) {
      fix = (error as { details?: { fix?: typeof fix } }).details?.fix;
    }
    assert.deepEqual(fix, { action: 'enableKey', keyId: disabled, connectionId: connection.id });
    // The button runs the command with a tree-like target (not a plain argument object).
    class Target {
      constructor(readonly target: { kind: 'key'; connection: typeof connection; keyId: string }) {}
    }
    await vscode.commands.executeCommand(`kmsWorkbench.${fix.action}`, new Target({ kind: 'key', connection, keyId: fix.keyId }));
    const out = await env.gateway.encrypt({ keyId: disabled, plaintext: Buffer.from('x'), encryptionContext: {} });
    assert.ok(out.ciphertext.length > 0, 'the key encrypts again');
  });
});
