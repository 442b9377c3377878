// The workspace secrets in the real VS Code (own fixture workspace and run: see
// test/harness/integrationRuns.ts): files in every format under three keys (one disabled, one
// pending deletion) and a plaintext .env; the view's groups and counts, the Problems entries,
// the quick fixes, the deletion warning count; re-keying all files of one key to another, then
// disabling the old key; a failure injected half-way and a second run that finishes.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { KmsWorkbenchApi } from '../../src/extension';
import { EnvelopeCrypto, type GatewayForRegion } from '../../src/core/envelope/envelopeCrypto';
import { regionalGateways } from '../../src/core/envelope/regionalGateways';
import { encryptSecret } from '../../src/core/envelope/secretText';
import { keyIdOf } from '../../src/core/inventory/keyRefs';
import { verifyFile } from '../../src/core/inventory/reKey';
import { encryptNew, type SopsKeyService } from '../../src/core/sops/sopsFile';
import { ScriptedUserInput } from '../support/scriptedUserInput';
import type { ReEncryptFilesResult, WorkspaceSecretsListing } from '../../src/host/inventory/inventoryCommands';
import { EmulatorControl } from '../emulator/control';
import { activeExtension, emulatorUrl } from './util/env';

type Testing = NonNullable<KmsWorkbenchApi['testing']>;

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Workspace secrets: inventory, key state, plaintext guard, re-keying many files', function () {
  this.timeout(120_000);
  let testing: Testing;
  let root: string;
  let gatewayFor: GatewayForRegion;
  let sopsKeys: SopsKeyService;
  const keys: Record<'a' | 'b' | 'c' | 't', string> = { a: '', b: '', c: '', t: '' };
  const files: Record<string, string> = {};

  before(async function () {
    root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    if (!existsSync(join(root, 'excluded')) || !readFileSync(join(root, 'README.md'), 'utf8').includes('Inventory workspace')) this.skip();
    const api = (await activeExtension()).exports as KmsWorkbenchApi;
    testing = api.testing!;
    const connection = await testing.services.connections.active();
    gatewayFor = regionalGateways(testing.services.kms, connection);
    const gw = gatewayFor(undefined);
    for (const k of ['a', 'b', 'c', 't'] as const) {
      const meta = await gw.createKey({});
      await gw.createAlias(`alias/inv-${k}-${Date.now()}`, meta.KeyId!);
      keys[k] = meta.Arn!;
    }
    sopsKeys = {
      decryptDataKey: async (key) => (await gw.decrypt({ ciphertext: Buffer.from(key.enc, 'base64'), keyId: key.arn })).plaintext,
      encryptDataKey: async (key, dataKey) => (await gw.encrypt({ keyId: key.arn, plaintext: dataKey })).ciphertext,
    };
    const job = { envelope: new EnvelopeCrypto(gatewayFor), gatewayFor };
    const dir = join(root, 'secrets');
    mkdirSync(dir, { recursive: true });
    const put = (name: string, content: string): string => {
      const p = join(dir, name);
      writeFileSync(p, content);
      files[name] = p;
      return p;
    };
    // Through the extension's own command (the Encryption SDK is a lazy bundle of the extension).
    const encryptFile = (path: string, keyId: string, format: string, encryptionContext: Record<string, string> = {}) =>
      vscode.commands.executeCommand('kmsWorkbench.encryptFile', { uri: vscode.Uri.file(path), keyId, format, encryptionContext });
    await encryptFile(put('notes.txt', 'the notes'), keys.a, 'base64', { app: 'inventory' });
    await encryptFile(put('data.txt', 'data under the disabled key'), keys.b, 'base64');
    await encryptFile(put('image.bin', 'binary data'), keys.a, 'binary');
    await encryptFile(put('token.kms', 'tok'), keys.c, 'blob');
    const blob = await encryptSecret(Buffer.from('pw'), { keyId: keys.a }, job);
    put('app.env', `USER=me\nPASSWORD=${blob.ciphertext}\n`);
    put('db.sops.yaml', await encryptNew(Buffer.from('password: hunter2\n'), { format: 'yaml', keys: [{ arn: keys.a }] }, sopsKeys));
    put('.env.local', 'PASSWORD=plaintext-here\n');
    // Ignored and excluded copies must not be listed (the workspace is made a git repository).
    execFileSync('git', ['init', '-q'], { cwd: root });
    writeFileSync(join(root, '.gitignore'), 'ignored/\n');
    mkdirSync(join(root, 'ignored'), { recursive: true });
    writeFileSync(join(root, 'ignored', 'copy.txt'), readFileSync(files['notes.txt']));
    writeFileSync(join(root, 'excluded', 'copy.txt'), readFileSync(files['notes.txt']));
    await gw.disableKey(keyIdOf(keys.b));
    await gw.scheduleKeyDeletion(keyIdOf(keys.c), 7);
    await vscode.commands.executeCommand('kmsWorkbench.refreshWorkspaceSecrets', {});
  });

  const listing = (): Thenable<WorkspaceSecretsListing> =>
    vscode.commands.executeCommand<WorkspaceSecretsListing>('kmsWorkbench.listWorkspaceSecrets', {});
  const group = (l: WorkspaceSecretsListing, arn: string) => l.keys.find((k) => k.keyId === keyIdOf(arn));

  it('the view groups files by key with alias, state, format, context and counts', async function () {
    const l = await waitFor('key states', async () => {
      const x = await listing();
      return group(x, keys.b)?.state === 'Disabled' && group(x, keys.c)?.state === 'PendingDeletion' ? x : undefined;
    });
    const a = group(l, keys.a)!;
    assert.match(a.alias ?? '', /^alias\/inv-a-/);
    assert.deepEqual(a.files.map((f) => f.formatLabel).sort(), [
      '1 KMS ciphertext in text',
      'Encryption SDK message (base64)',
      'Encryption SDK message (binary)',
      'SOPS (yaml)',
    ]);
    assert.deepEqual(a.files.find((f) => f.uri.endsWith('notes.txt'))?.encryptionContext, { app: 'inventory' });
    assert.equal(group(l, keys.b)?.files.length, 1);
    assert.equal(group(l, keys.c)?.files.length, 1);
    assert.ok(!l.keys.some((k) => k.files.some((f) => /\/(ignored|excluded)\//.test(f.uri))), 'ignored or excluded files are listed');
    assert.deepEqual(
      l.plaintextSecrets.map((u) => u.replace(/.*\//, '')),
      ['.env.local'],
    );
    // The view itself: one group per key, files under it.
    const roots = testing.inventory.provider.getChildren();
    const items = roots
      .map((n) => testing.inventory.provider.getTreeItem(n))
      .map((i) => ({ label: typeof i.label === 'object' ? i.label.label : (i.label ?? ''), description: i.description }));
    const aItem = items.find((i) => i.label.startsWith('alias/inv-a-'));
    assert.match(String(aItem?.description), /^4 files/);
    assert.match(String(items.find((i) => i.label.startsWith('alias/inv-b-'))?.description), /Disabled/);
    assert.ok(items.some((i) => i.label === 'Plaintext secrets files'));
  });

  it('Problems entries with quick fixes: disabled, pending deletion, plaintext', async function () {
    const codes = (name: string) =>
      vscode.languages
        .getDiagnostics(vscode.Uri.file(files[name]))
        .map((d) => (typeof d.code === 'object' ? String(d.code.value) : String(d.code)));
    await waitFor(
      'diagnostics',
      () =>
        codes('data.txt').includes('key.disabled') &&
        codes('token.kms').includes('key.pendingDeletion') &&
        codes('.env.local').includes('plaintextSecretsFile'),
    );
    const actions = async (name: string) => {
      const uri = vscode.Uri.file(files[name]);
      await vscode.workspace.openTextDocument(uri); // code actions are asked of an open document (as the Problems panel opens it)
      const d = vscode.languages.getDiagnostics(uri)[0];
      return (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range)) ?? [];
    };
    assert.deepEqual(
      (await actions('data.txt')).map((a) => a.title),
      ['Enable Key', 'Re-key File…'],
    );
    assert.deepEqual(
      (await actions('token.kms')).map((a) => a.title),
      ['Cancel Key Deletion', 'Re-key File…'],
    );
    const encrypt = (await actions('.env.local')).find((a) => a.title === 'Encrypt File');
    assert.equal(encrypt?.command?.command, 'kmsWorkbench.encryptFile');
    // The Enable Key fix enables the key, and the entry goes away.
    const enable = (await actions('data.txt'))[0];
    await vscode.commands.executeCommand(enable.command!.command, ...((enable.command!.arguments ?? []) as unknown[]));
    await waitFor('the disabled entry to go', () => !codes('data.txt').includes('key.disabled'));
    // Encrypting the plaintext file clears its warning.
    await vscode.commands.executeCommand('kmsWorkbench.encryptFile', {
      uri: vscode.Uri.file(files['.env.local']),
      keyId: keys.t,
      encryptionContext: {},
    });
    await waitFor('the plaintext entry to go', () => !codes('.env.local').includes('plaintextSecretsFile'));
  });

  it('the KMS tree counts files per key; Schedule Key Deletion says how many files use it', async function () {
    // Interactively (no argument object): pick the key, hear the count, continue, then back out at the confirmation.
    const ui = new ScriptedUserInput([/inv-a-/, /Continue/, false]);
    const previous = testing.setUserInput(ui);
    try {
      await vscode.commands.executeCommand('kmsWorkbench.scheduleKeyDeletion');
    } finally {
      testing.setUserInput(previous);
    }
    const asked = ui.asked.find((a) => a.kind === 'choose');
    assert.match(asked?.message ?? '', /^4 files in this workspace are encrypted under this key\. Once the key is deleted/);
    assert.deepEqual(asked?.labels, ['Re-key Them First…', 'Continue']);
    assert.equal((await gatewayFor(undefined).describeKey(keys.a)).KeyState, 'Enabled', 'backing out scheduled nothing');
  });

  it('re-keys every file of one key to another; after the old key is disabled every file still opens', async function () {
    const results = await vscode.commands.executeCommand<ReEncryptFilesResult[]>('kmsWorkbench.reEncryptFiles', {
      fromKeyId: keys.a,
      toKeyId: keys.t,
      confirm: true,
    });
    assert.deepEqual(
      results.map((r) => r.status),
      ['done', 'done', 'done', 'done'],
    );
    await gatewayFor(undefined).disableKey(keyIdOf(keys.a));
    for (const name of ['notes.txt', 'image.bin', 'app.env', 'db.sops.yaml'])
      await verifyFile(files[name], [keys.t], { gatewayFor, sopsKeys });
    const l = await waitFor('the group of the old key to empty', async () => {
      const x = await listing();
      return group(x, keys.a) ? undefined : x;
    });
    assert.ok((group(l, keys.t)?.files.length ?? 0) >= 4);
  });

  it('a failure half-way leaves done files done and the rest untouched; a second run finishes', async function () {
    const control = new EmulatorControl(emulatorUrl());
    const from = keys.t;
    const to = (await gatewayFor(undefined).createKey({})).Arn!;
    const before = Object.fromEntries(Object.values(files).map((p) => [p, readFileSync(p)]));
    // Not a retryable error (the SDK would retry a 500 and succeed), and not AccessDenied (a
    // ReEncrypt refused for want of kms:ReEncrypt* is made good by Encrypt).
    await control.setFault('ReEncrypt', { failOnCall: 2, error: { name: 'KMSInvalidStateException', message: 'injected failure' } });
    const first = await vscode.commands.executeCommand<ReEncryptFilesResult[]>('kmsWorkbench.reEncryptFiles', {
      fromKeyId: from,
      toKeyId: to,
      confirm: true,
    });
    await control.clearFaults();
    // The second ReEncrypt fails: files before it are done (a SOPS file needs no ReEncrypt), the rest not run.
    assert.ok(first.filter((r) => r.status === 'done').length >= 1, JSON.stringify(first));
    assert.equal(first.filter((r) => r.status === 'failed').length, 1, JSON.stringify(first));
    assert.ok(first.filter((r) => r.status === 'notRun').length >= 1, JSON.stringify(first));
    for (const r of first.filter((x) => x.status === 'notRun' || x.status === 'failed')) {
      const p = vscode.Uri.parse(r.uri).fsPath;
      assert.deepEqual(readFileSync(p), before[p], `${p} was touched`);
    }
    const second = await vscode.commands.executeCommand<ReEncryptFilesResult[]>('kmsWorkbench.reEncryptFiles', {
      fromKeyId: from,
      toKeyId: to,
      confirm: true,
    });
    assert.ok(
      second.every((r) => r.status === 'done'),
      JSON.stringify(second),
    );
    const third = await vscode.commands.executeCommand<ReEncryptFilesResult[]>('kmsWorkbench.reEncryptFiles', {
      uris: first.map((r) => r.uri),
      toKeyId: to,
      confirm: true,
    });
    assert.ok(
      third.every((r) => r.status === 'alreadyDone'),
      JSON.stringify(third),
    );
  });
});
