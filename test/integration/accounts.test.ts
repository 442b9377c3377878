// Keys in other accounts are never used silently, in the real extension host. The run
// (test/harness/integrationRuns.ts, otherAccounts) gives a foreign account's emulator, reached
// through the connection's emulator as KMS reaches another account's keys (its call counts are
// what reached the foreign account), and a server without STS, like local-kms.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { FileResult } from '../../src/host/editor/fileCommands';
import type { EncryptSelectionResult } from '../../src/host/editor/selectionCommands';
import { ENCRYPT_WITH_WORKSPACE_KEY } from '../../src/host/keys/defaultKeySetting';
import { ALLOW_FOR_WORKSPACE } from '../../src/host/trust/ensureKeysTrusted';
import { EmulatorControl } from '../emulator/control';
import {
  closeAllEditors,
  type EncryptionEnv,
  encryptionEnv,
  openWithSelections,
  refused,
  run,
  type Testing,
  testing,
  unchanged,
  withAnswers,
} from './encryption/support';
import { emulatorUrl } from './util/env';

const FOREIGN = '999988887777';
const NO_STS = '444455556666';
const HOME = '111122223333';

function total(calls: Record<string, number>): number {
  return Object.values(calls).reduce((a, b) => a + b, 0);
}

const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('kmsWorkbench');

describe('keys of other accounts', function () {
  this.timeout(120_000);
  let t: Testing;
  let env: EncryptionEnv;
  let foreign: EmulatorControl;
  let foreignKey: string;
  let foreignAlias: string;

  before(async function () {
    const api = await testing();
    const foreignUrl = process.env.KMS_FOREIGN_EMULATOR_URL;
    if (!api || !foreignUrl || !process.env.KMS_NO_STS_EMULATOR_URL) this.skip(); // needs the run with otherAccounts
    t = api!;
    env = await encryptionEnv(t);
    foreign = new EmulatorControl(foreignUrl);
    const seeded = await foreign.seed({
      keys: [{ ref: 'theirs', description: 'a key of another account' }],
      aliases: [{ name: 'alias/theirs', targetKeyId: 'theirs' }],
    });
    foreignKey = seeded.keys[0].arn;
    foreignAlias = `arn:aws:kms:us-east-1:${FOREIGN}:alias/theirs`;
    assert.ok(foreignKey.includes(`:${FOREIGN}:key/`), foreignKey);
  });

  afterEach(async () => {
    await closeAllEditors();
    await config().update('defaultKey', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('promptForEncryptionContext', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('trustedAccounts', undefined, vscode.ConfigurationTarget.Global);
    await t.services.trust.revokeWorkspaceApprovals();
  });

  function file(name: string, content: string): string {
    const path = join(env.folder, name);
    writeFileSync(path, content);
    return path;
  }

  it('a workspace defaultKey in another account: scripted encrypts are refused naming the account and the setting; nothing reaches that account, nothing is written', async () => {
    await config().update('defaultKey', foreignKey, vscode.ConfigurationTarget.Workspace);
    await foreign.resetCalls();
    const path = file('ws-default.env', 'API_KEY=hunter2\n');
    const before = readFileSync(path);
    const editor = await openWithSelections(vscode.Uri.file(path), [[0, 8, 0, 15]]);
    const message = await refused('encryptSelection', {}, new RegExp(`account ${FOREIGN}.*kmsWorkbench\\.trustedAccounts`));
    assert.match(message, /kmsWorkbench\.defaultKey setting of this workspace/);
    assert.equal(editor.document.getText(), 'API_KEY=hunter2\n');
    assert.equal(editor.document.isDirty, false);
    await refused('encryptFile', { uri: path }, new RegExp(`"${FOREIGN}" to kmsWorkbench\\.trustedAccounts`));
    await refused('encryptFile', { uri: path, format: 'blob' }, new RegExp(FOREIGN));
    unchanged(path, before);
    // The alias ARN form is refused the same way, before any call.
    await config().update('defaultKey', foreignAlias, vscode.ConfigurationTarget.Workspace);
    await refused('encryptFile', { uri: path }, new RegExp(`alias/theirs, in AWS account ${FOREIGN}`));
    unchanged(path, before);
    assert.equal(total(await foreign.calls()), 0, JSON.stringify(await foreign.calls()));
  });

  it('interactively the person is asked once, seeing the account and the key; allowed, the workspace key is used', async () => {
    await config().update('defaultKey', foreignAlias, vscode.ConfigurationTarget.Workspace);
    await foreign.resetCalls();
    const path = file('ask.env', 'TOKEN=abc123\n');
    const editor = await openWithSelections(vscode.Uri.file(path), [[0, 6, 0, 12]]);
    // Declined: nothing happens.
    const declined = await withAnswers(t, [false], () => run<EncryptSelectionResult | undefined>('encryptSelection'));
    assert.equal(declined.result, undefined, 'declining cancels the command');
    assert.equal(editor.document.getText(), 'TOKEN=abc123\n');
    assert.equal(total(await foreign.calls()), 0);
    const { ui } = await withAnswers(t, [ALLOW_FOR_WORKSPACE, ''], () => run<EncryptSelectionResult>('encryptSelection'));
    assert.match(ui.shown[0].message, new RegExp(`another AWS account: ${FOREIGN}`));
    assert.match(ui.shown[0].detail ?? '', /alias\/theirs/);
    assert.match(ui.shown[0].detail ?? '', new RegExp(`Account: ${FOREIGN}`));
    assert.equal(await foreign.callCount('Encrypt'), 1);
    // Remembered for this workspace: no second question, also when scripted.
    await vscode.commands.executeCommand('undo');
    const again = await run<FileResult[]>('encryptFile', { uri: path });
    assert.equal(again[0].keyId, foreignKey);
  });

  it('after the account is added to kmsWorkbench.trustedAccounts, the workspace key works when scripted', async () => {
    await config().update('defaultKey', foreignKey, vscode.ConfigurationTarget.Workspace);
    await config().update('trustedAccounts', [FOREIGN], vscode.ConfigurationTarget.Global);
    const path = file('trusted.env', 'PASSWORD=s3cret\n');
    const [result] = await run<FileResult[]>('encryptFile', { uri: path });
    assert.equal(result.keyId, foreignKey);
    assert.notEqual(readFileSync(path, 'utf8'), 'PASSWORD=s3cret\n');
  });

  it('a planted file under a foreign key: Decrypt File, Open Decrypted and Decrypt Selection are refused before any call to that account, the file untouched; trusted, they work', async () => {
    // The person's own explicit choice of key (a keyId argument) may be in another account.
    const path = file('planted.env', 'DB_PASSWORD=planted\n');
    await run<FileResult[]>('encryptFile', { uri: path, keyId: foreignKey });
    const inline = file('planted-inline.env', `BIG=${'x'.repeat(5000)}\n`);
    const inlineEditor = await openWithSelections(vscode.Uri.file(inline), [[0, 4, 0, 5004]]);
    await run<EncryptSelectionResult>('encryptSelection', { keyId: foreignKey });
    await inlineEditor.document.save();
    const encryptedLine = inlineEditor.document.getText();
    const bytes = readFileSync(path);
    await foreign.resetCalls();
    const reason = new RegExp(`encrypted under a key in AWS account ${FOREIGN} .*add "${FOREIGN}" to kmsWorkbench\\.trustedAccounts`);
    await refused('decryptFile', { uri: path }, reason);
    unchanged(path, bytes);
    await refused('openDecrypted', { uri: path }, reason);
    await refused('reEncryptFile', { uri: path, keyId: 'alias/aws-never-used' }, reason);
    unchanged(path, bytes);
    inlineEditor.selections = [new vscode.Selection(0, 10, 0, 10)];
    await refused('decryptSelection', {}, reason);
    assert.equal(inlineEditor.document.getText(), encryptedLine);
    assert.equal(total(await foreign.calls()), 0, JSON.stringify(await foreign.calls()));

    await config().update('trustedAccounts', [FOREIGN], vscode.ConfigurationTarget.Global);
    const [decrypted] = await run<FileResult[]>('decryptFile', { uri: path });
    assert.equal(decrypted.keyId, foreignKey);
    assert.equal(readFileSync(path, 'utf8'), 'DB_PASSWORD=planted\n');
    assert.ok((await foreign.callCount('Decrypt')) >= 1);
  });

  it('with the workspace also turning off the context prompt, a workspace key is confirmed once, showing key and account', async () => {
    const own = await env.createKey();
    await config().update('defaultKey', own, vscode.ConfigurationTarget.Workspace);
    await config().update('promptForEncryptionContext', false, vscode.ConfigurationTarget.Workspace);
    const path = file('silent.env', 'A=1\nB=2\n');
    await openWithSelections(vscode.Uri.file(path), [[0, 2, 0, 3]]);
    const { ui } = await withAnswers(t, [ENCRYPT_WITH_WORKSPACE_KEY], () => run<EncryptSelectionResult>('encryptSelection'));
    assert.match(
      ui.shown[0].message,
      new RegExp(`kmsWorkbench.defaultKey setting of this workspace encrypts with key .* in AWS account ${HOME}`),
    );
    const editor = await openWithSelections(vscode.Uri.file(path), [[1, 2, 1, 3]]);
    await withAnswers(t, [], () => run<EncryptSelectionResult>('encryptSelection'));
    assert.ok(!editor.document.getText().includes('B=2'));
  });

  it('a connection whose endpoint has no STS works: its account comes from the key ARNs KMS answers with', async () => {
    const noStsUrl = process.env.KMS_NO_STS_EMULATOR_URL!;
    const noSts = new EmulatorControl(noStsUrl);
    const key = (await noSts.seed({ keys: [{ description: 'local-kms stand-in' }] })).keys[0].arn;
    assert.ok(key.includes(`:${NO_STS}:key/`));
    // Counted from before the connection exists: whichever feature asks first (the encrypt, or the
    // workspace secrets view checking the keys its files name) learns the account from ListKeys.
    await noSts.resetCalls();
    await config().update(
      'connections',
      [
        { label: 'Emulator', region: 'us-east-1', endpoint: emulatorUrl() },
        { label: 'No STS', region: 'us-east-1', endpoint: noStsUrl },
      ],
      vscode.ConfigurationTarget.Global,
    );
    try {
      // A workspace key ARN in that connection's own account: trusted, once the account is known from its ARNs.
      await config().update('defaultKey', key, vscode.ConfigurationTarget.Workspace);
      const path = file('no-sts.env', 'X=1\n');
      const [result] = await run<FileResult[]>('encryptFile', { uri: path, connection: 'No STS' });
      assert.equal(result.keyId, key);
      const calls = await noSts.calls();
      assert.equal(Object.keys(calls).filter((op) => op.startsWith('sts:')).length, 0, 'it serves no STS');
      assert.ok((calls.ListKeys ?? 0) >= 1, `the account was read from a listed key ARN: ${JSON.stringify(calls)}`);
      const [back] = await run<FileResult[]>('decryptFile', { uri: path, connection: 'No STS' });
      assert.equal(back.keyId, key);
      assert.equal(readFileSync(path, 'utf8'), 'X=1\n');
    } finally {
      await config().update('connections', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
