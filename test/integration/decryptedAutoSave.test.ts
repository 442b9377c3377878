// Auto Save and decrypted editors (issue 14) in the real VS Code: with files.autoSave
// afterDelay (200 ms), typing in a decrypted editor makes no KMS call and leaves the
// encrypted file as it is until an explicit save; and VS Code's Local History never holds
// a decrypted editor's text (a marker search in the user data folder's History, with a
// plain file saved alongside to show the search looks in the right place).
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { OpenDecryptedResult } from '../../src/host/decrypted/decryptedCommands';
import { EmulatorControl } from '../emulator/control';
import {
  closeAllEditors,
  decryptedText,
  documentOf,
  filesContaining,
  type Kms,
  kms,
  run,
  sleep,
  waitFor,
  workspaceDir,
  writeEncrypted,
} from './decrypted/support';
import { emulatorUrl } from './util/env';

const SETTINGS: [section: string, key: string, value: unknown][] = [
  ['files', 'autoSave', 'afterDelay'],
  ['files', 'autoSaveDelay', 200],
  ['kmsWorkbench', 'openEncryptedFiles', 'raw'],
];

async function setSetting(section: string, key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration(section).update(key, value, vscode.ConfigurationTarget.Global);
}

/** KMS operations that write ciphertext. */
async function encryptCalls(control: EmulatorControl): Promise<number> {
  const calls = await control.calls();
  return (calls.Encrypt ?? 0) + (calls.GenerateDataKey ?? 0) + (calls.ReEncrypt ?? 0);
}

describe('decrypted editors and Auto Save', function () {
  this.timeout(120_000);
  let k: Kms;
  let keyId: string;
  let dir: string;
  let control: EmulatorControl;
  const saved: unknown[] = [];

  before(async function () {
    const found = await kms();
    if (!found) this.skip();
    k = found!;
    control = new EmulatorControl(emulatorUrl());
    keyId = await k.createKey();
    dir = join(workspaceDir(), 'autosave-tests');
    mkdirSync(dir, { recursive: true });
    for (const [section, key, value] of SETTINGS) {
      saved.push(vscode.workspace.getConfiguration(section).inspect(key)?.globalValue);
      await setSetting(section, key, value);
    }
  });

  after(async () => {
    await closeAllEditors();
    if (!k) return;
    for (const [i, [section, key]] of SETTINGS.entries()) await setSetting(section, key, saved[i]);
    k.dispose();
  });

  it('writes nothing while typing with Auto Save after 200 ms, and encrypts once on an explicit save; Local History holds none of it', async () => {
    const path = join(dir, '.env');
    const original = await writeEncrypted(k, path, 'TOKEN=start\n', { keyId });
    const opened = await run<OpenDecryptedResult>('openDecrypted', { uri: path });
    const uri = vscode.Uri.parse(opened.uri);
    const editor = await vscode.window.showTextDocument(uri, { preview: false });
    await control.resetCalls();

    // Typing for 3 s, with pauses longer than the Auto Save delay.
    const marker = `marker-${randomBytes(8).toString('hex')}`;
    let autoSaves = 0;
    const started = Date.now();
    assert.ok(await editor.edit((b) => b.insert(editor.document.positionAt(editor.document.getText().length), marker)));
    while (Date.now() - started < 3000) {
      await sleep(300);
      if (!editor.document.isDirty) autoSaves++;
      assert.ok(await editor.edit((b) => b.insert(editor.document.positionAt(editor.document.getText().length), 'x')));
    }
    await waitFor('the last Auto Save', () => !documentOf(uri)?.isDirty);
    assert.ok(autoSaves > 0, 'Auto Save saved the editor while typing');
    const text = editor.document.getText();
    assert.ok(text.includes(marker), 'the typed text holds the marker');
    assert.equal(await encryptCalls(control), 0, 'no KMS call while typing');
    assert.deepEqual(readFileSync(path), original, 'the encrypted file is unchanged until an explicit save');

    // The explicit save writes it, once.
    await vscode.window.showTextDocument(uri, { preview: false });
    await vscode.commands.executeCommand('workbench.action.files.save');
    await waitFor('the encrypted file to change', () => !readFileSync(path).equals(original));
    assert.ok((await encryptCalls(control)) >= 1, 'the explicit save encrypts');
    assert.equal((await decryptedText(k, path)).text, text);

    // Local History: a plain file saved the same way is kept there; the decrypted text never is.
    const plainMarker = `plain-${randomBytes(8).toString('hex')}`;
    const plain = join(dir, 'notes.txt');
    writeFileSync(plain, 'notes\n');
    const plainEditor = await vscode.window.showTextDocument(vscode.Uri.file(plain), { preview: false });
    assert.ok(await plainEditor.edit((b) => b.insert(new vscode.Position(1, 0), `${plainMarker}\n`)));
    await vscode.commands.executeCommand('workbench.action.files.save');
    const history = join(k.testing.decrypted.backups().globalStorage, '..', '..', 'History');
    await waitFor('Local History to keep the plain file', () => filesContaining(history, plainMarker).length > 0);
    assert.deepEqual(filesContaining(history, marker), [], 'Local History holds no decrypted text');
  });
});
