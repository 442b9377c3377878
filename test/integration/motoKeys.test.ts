// Keys of KMS servers that describe a default CreateKey's key without KeyUsage (moto,
// LocalStack): seeded into the emulator as moto describes them, they work in the real VS Code
// through every path that checks a key: Encrypt File and Encrypt Selection named by argument
// and picked from the key picker, and a tree action (rotation) on the key.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { FileResult } from '../../src/host/editor/fileCommands';
import type { EncryptSelectionResult } from '../../src/host/editor/selectionCommands';
import { closeAllEditors, type EncryptionEnv, encryptionEnv, openWithSelections, run, testing, withAnswers } from './encryption/support';

describe('keys described without KeyUsage (moto, LocalStack)', function () {
  this.timeout(120_000);
  let env: EncryptionEnv;
  let keyArn: string;
  const alias = `alias/moto-${Date.now().toString(36)}`;

  before(async function () {
    const t = await testing();
    if (!t) {
      console.log('      (skipped: the extension under test exposes no test API; this suite runs against the development folder)');
      this.skip();
    }
    env = await encryptionEnv(t);
    const connection = await t.services.connections.active();
    const seeded = await env.control.seed({
      keys: [{ region: connection.region, motoMetadata: { omitKeySpec: true }, aliases: [alias], description: 'as moto describes it' }],
    });
    keyArn = seeded.keys[0].arn;
    const raw = await env.gateway.send('DescribeKey', { KeyId: keyArn });
    assert.equal(raw.KeyMetadata?.KeyUsage, undefined, 'the emulator answers without KeyUsage');
  });
  afterEach(() => closeAllEditors());

  it('Encrypt File and Decrypt File with the key named', async () => {
    const path = join(env.folder, 'moto.env');
    writeFileSync(path, 'SECRET=moto\n');
    const uri = vscode.Uri.file(path);
    const [encrypted] = await run<FileResult[]>('encryptFile', { uri, keyId: alias });
    assert.equal(encrypted.keyId, keyArn);
    assert.notEqual(readFileSync(path, 'utf8'), 'SECRET=moto\n');
    await run<FileResult[]>('decryptFile', { uri });
    assert.equal(readFileSync(path, 'utf8'), 'SECRET=moto\n');
  });

  it('Encrypt Selection offers the key in the picker and encrypts with it', async () => {
    const path = join(env.folder, 'moto-selection.env');
    writeFileSync(path, 'A=hunter2\n');
    const editor = await openWithSelections(vscode.Uri.file(path), [[0, 2, 0, 9]]);
    const { result, ui } = await withAnswers(env.testing, [alias, ''], () => run<EncryptSelectionResult>('encryptSelection'));
    assert.ok(
      ui.asked[0].labels?.some((l) => l === alias.slice('alias/'.length) || l === alias),
      JSON.stringify(ui.asked[0].labels),
    );
    assert.equal(result.keyId, keyArn);
    assert.doesNotMatch(editor.document.getText(), /hunter2/);
  });

  it('rotation can be turned on (a tree action the key-state table allows only for symmetric encryption keys)', async () => {
    await run('enableKeyRotation', { keyId: keyArn });
    const status = await env.gateway.send('GetKeyRotationStatus', { KeyId: keyArn });
    assert.equal(status.KeyRotationEnabled, true);
  });
});
