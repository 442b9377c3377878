// Encryption SDK files for several keys in the real VS Code against the emulator: Encrypt File
// with two keys, one disabled, Decrypt File still works; Re-encrypt File adds and removes a key
// (only the header changes); Encrypt Selection with "Several keys…" from the picker, and the
// hover naming every key.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { parseMessageHeader } from '../../src/core/envelope/messageFormat';
import type { FileResult } from '../../src/host/editor/fileCommands';
import type { EncryptSelectionResult } from '../../src/host/editor/selectionCommands';
import {
  closeAllEditors,
  type EncryptionEnv,
  encryptionEnv,
  openWithSelections,
  refused,
  run,
  testing,
  withAnswers,
} from './encryption/support';

let n = 0;
const uniqueAlias = (name: string): string => `alias/several-${name}-${Date.now().toString(36)}-${n++}`;

describe('Encryption SDK files for several keys', function () {
  this.timeout(120_000);
  let env: EncryptionEnv;
  let region: string;
  const aliases: string[] = [];
  const arns: string[] = [];

  before(async function () {
    const t = await testing();
    if (!t) {
      console.log('      (skipped: the extension under test exposes no test API; this suite runs against the development folder)');
      this.skip();
    }
    env = await encryptionEnv(t);
    region = (await t.services.connections.active()).region;
    for (const name of ['a', 'b', 'c']) {
      const alias = uniqueAlias(name);
      aliases.push(alias);
      arns.push(await env.createKey(alias));
    }
  });
  afterEach(async () => {
    if (!env) return;
    for (const arn of arns) await env.control.setKeyState(region, arn.split('/').pop() ?? '', 'Enabled');
    await closeAllEditors();
  });

  const keysOf = (path: string): string[] => {
    const raw = readFileSync(path);
    const message = raw[0] === 0x02 ? raw : Buffer.from(raw.toString('latin1'), 'base64');
    return parseMessageHeader(message)?.encryptedDataKeys.map((k) => k.providerInfo) ?? [];
  };
  function file(name: string, content: string): vscode.Uri {
    const path = join(env.folder, name);
    writeFileSync(path, content);
    return vscode.Uri.file(path);
  }

  it('Encrypt File with two keys; with one of them disabled, Decrypt File still works', async () => {
    const uri = file('two-keys.env', 'API_TOKEN=two keys\n');
    const [encrypted] = await run<FileResult[]>('encryptFile', { uri, keyIds: [aliases[0], arns[1]], encryptionContext: { app: 'dr' } });
    assert.deepEqual(encrypted.keyIds, [arns[0], arns[1]]);
    assert.deepEqual(keysOf(uri.fsPath), [arns[0], arns[1]]);
    await env.control.setKeyState(region, arns[0].split('/').pop() ?? '', 'Disabled');
    const [decrypted] = await run<FileResult[]>('decryptFile', { uri });
    assert.equal(decrypted.keyId, arns[1]);
    assert.equal(readFileSync(uri.fsPath, 'utf8'), 'API_TOKEN=two keys\n');
  });

  it('Re-encrypt File adds and removes a key, the content untouched; the last key cannot be removed', async () => {
    const uri = file('rekey.env', 'X=rekey\n');
    await run<FileResult[]>('encryptFile', { uri, keyId: aliases[0], format: 'binary' });
    const before = readFileSync(uri.fsPath);
    const body = before.subarray(parseMessageHeader(before)?.length);
    const [added] = await run<FileResult[]>('reEncryptFile', { uri, addKeyIds: [aliases[2]] });
    assert.deepEqual(added.addedKeyIds, [arns[2]]);
    assert.deepEqual(keysOf(uri.fsPath), [arns[0], arns[2]]);
    const [removed] = await run<FileResult[]>('reEncryptFile', { uri, removeKeyIds: [aliases[0]] });
    assert.deepEqual(removed.removedKeyIds, [arns[0]]);
    assert.deepEqual(removed.keyIds, [arns[2]]);
    const after = readFileSync(uri.fsPath);
    assert.ok(after.subarray(parseMessageHeader(after)?.length).equals(body), 'only the header changed');
    await refused('reEncryptFile', { uri, removeKeyIds: [arns[2]] }, /would leave the message with no key that can decrypt it/);
    await refused('reEncryptFile', { uri, keyId: aliases[0], addKeyIds: [aliases[1]] }, /"keyId" re-encrypts under one key/);
    await refused('encryptFile', { uri: file('both.env', 'x'), keyId: aliases[0], keyIds: [aliases[1]] }, /not both/);
    assert.ok(readFileSync(uri.fsPath).equals(after));
    await env.control.setKeyState(region, arns[0].split('/').pop() ?? '', 'Disabled');
    const [decrypted] = await run<FileResult[]>('decryptFile', { uri, keyId: aliases[2] });
    assert.equal(decrypted.keyId, arns[2]);
    assert.equal(readFileSync(uri.fsPath, 'utf8'), 'X=rekey\n');
  });

  it('Encrypt Selection with "Several keys…" from the picker makes a message the hover shows both keys of', async () => {
    const uri = file('selection.env', 'PASSWORD=hunter2\n');
    const editor = await openWithSelections(uri, [[0, 9, 0, 16]]);
    const { result, ui } = await withAnswers(env.testing, [/Several keys/, [aliases[1], aliases[2]], ''], () =>
      run<EncryptSelectionResult>('encryptSelection'),
    );
    assert.equal(ui.asked[1].kind, 'pickMany');
    assert.deepEqual([...result.keyIds].sort(), [arns[1], arns[2]].sort());
    assert.deepEqual(result.kinds, ['message'], 'several keys always make a message');
    await vscode.commands.executeCommand('workbench.action.files.save');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(0, 20));
    const markdown = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    assert.match(markdown, /Keys \(any one of the 2 decrypts\)/);
    // Hovers name keys as messages do (core/kms/keyNames): by alias once the KMS view knows it,
    // else by key id; the ARNs are in the log and tooltips. These aliases were made by the test,
    // behind the view's back, so either may show.
    for (const i of [1, 2]) {
      const keyId = arns[i].split('/').pop() ?? arns[i];
      assert.ok(markdown.includes(aliases[i]) || markdown.includes(keyId), `the hover names ${aliases[i]} or ${keyId}: ${markdown}`);
    }
    assert.doesNotMatch(editor.document.getText(), /hunter2/);
  });
});
