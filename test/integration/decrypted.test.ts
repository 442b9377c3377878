// Decrypted editing (issue 8) in the real VS Code (code-server's extension host) against the
// KMS emulator. Encrypted fixtures are made and checked with the AWS SDK and the AWS
// Encryption SDK directly (never through the code under test), in memory: their plaintext
// is never written to disk by the tests either.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CompareResult, OpenDecryptedResult } from '../../src/host/decrypted/decryptedCommands';
import { ScriptedUserInput } from '../support/scriptedUserInput';
import { EmulatorControl } from '../emulator/control';
import {
  closeAllEditors,
  decryptedText,
  documentOf,
  encrypted,
  filesContaining,
  type Kms,
  kms,
  run,
  setText,
  sleep,
  waitFor,
  workspaceDir,
  writeEncrypted,
} from './decrypted/support';
import { emulatorUrl } from './util/env';

/** Settings this suite changes (restored after). */
const SETTINGS: [section: string, key: string, value: unknown][] = [
  // The desktop default: saves happen when the test says (code-server's default saves after a second).
  ['files', 'autoSave', 'off'],
  ['kmsWorkbench', 'openEncryptedFiles', 'raw'],
];

async function setSetting(section: string, key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration(section).update(key, value, vscode.ConfigurationTarget.Global);
}

function tempFilesIn(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.includes('.kmswb-'));
}

/** Asserts a command called with an argument object fails with a reason matching `reason`. */
async function refused(command: string, arg: unknown, reason: RegExp): Promise<void> {
  await assert.rejects(Promise.resolve(run(command, arg)), (e: Error) => {
    assert.match(e.message, /^Failed to /);
    assert.match(e.message, reason);
    return true;
  });
}

describe('decrypted editing', function () {
  this.timeout(120_000);
  let k: Kms;
  let keyId: string;
  let dir: string;
  let control: EmulatorControl;
  let n = 0;
  const saved: unknown[] = [];
  const fresh = (name: string): string => join(dir, `${n++}-${name}`);

  before(async function () {
    const found = await kms();
    if (!found) {
      console.log('      (skipped: the extension under test exposes no test API; this suite runs against the development folder)');
      this.skip();
    }
    k = found!;
    control = new EmulatorControl(emulatorUrl());
    keyId = await k.createKey();
    dir = join(workspaceDir(), 'decrypted-tests');
    mkdirSync(dir, { recursive: true });
    for (const [section, key, value] of SETTINGS) {
      saved.push(vscode.workspace.getConfiguration(section).inspect(key)?.globalValue);
      await setSetting(section, key, value);
    }
  });

  afterEach(async () => {
    await control?.clearFaults();
    k?.testing.decrypted.setWriteFaults();
  });

  after(async () => {
    await closeAllEditors();
    if (!k) return;
    for (const [i, [section, key]] of SETTINGS.entries()) await setSetting(section, key, saved[i]);
    k.dispose();
  });

  describe('open and save', () => {
    it('opens an Encryption SDK message in the language of its name and saves the new text under the same key and context', async () => {
      const path = join(dir, '.env');
      await writeEncrypted(k, path, 'DB_USER=app\nDB_PASSWORD=hunter2\n', { keyId, context: { app: 'web', stage: 'test' } });
      const opened = await run<OpenDecryptedResult>('openDecrypted', { uri: path });
      assert.equal(opened.file, path);
      assert.equal(opened.format, 'message-base64');
      assert.equal(opened.keyId, keyId);
      assert.deepEqual(opened.encryptionContext, { app: 'web', stage: 'test' });
      // The Encryption SDK's default suite signs; saving writes the committing suite without a signature, and says so.
      assert.equal(opened.changesOnSave.length, 1, opened.changesOnSave.join(' '));
      assert.match(opened.changesOnSave[0], /ECDSA_P384; it is saved with ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY/);
      const uri = vscode.Uri.parse(opened.uri);
      assert.equal(uri.scheme, 'kms-decrypted');
      const editor = vscode.window.activeTextEditor!;
      assert.equal(editor.document.uri.toString(), opened.uri, 'the decrypted editor is the active one');
      assert.equal(editor.document.getText(), 'DB_USER=app\nDB_PASSWORD=hunter2\n');
      assert.equal(editor.document.languageId, 'properties', 'a .env file is shown as Properties, as VS Code shows .env files');

      await setText(editor.document, 'DB_USER=app\nDB_PASSWORD=correct horse\n');
      assert.ok(editor.document.isDirty);
      assert.ok(await editor.document.save(), 'the save succeeds');
      assert.ok(!editor.document.isDirty);
      const back = await decryptedText(k, path);
      assert.equal(back.text, 'DB_USER=app\nDB_PASSWORD=correct horse\n');
      assert.equal(back.format, 'base64', 'still base64 armor');
      assert.deepEqual(back.keyArns, [keyId]);
      assert.deepEqual(back.context, { app: 'web', stage: 'test' });
      assert.deepEqual(tempFilesIn(dir), []);
    });

    it('names the editor after the file without its .kms suffix, so JSON is JSON, and keeps a binary message binary', async () => {
      const path = fresh('settings.json.kms');
      await writeEncrypted(k, path, '{"token": "abc"}\n', { keyId, format: 'binary' });
      const opened = await run<OpenDecryptedResult>('openDecrypted', { uri: vscode.Uri.file(path) });
      assert.equal(opened.format, 'message-binary');
      const doc = documentOf(opened.uri)!;
      assert.ok(doc.uri.path.endsWith('settings.json'), doc.uri.path);
      assert.equal(doc.languageId, 'json');
      await setText(doc, '{"token": "xyz"}\n');
      assert.ok(await doc.save());
      const back = await decryptedText(k, path);
      assert.equal(back.format, 'binary');
      assert.equal(back.text, '{"token": "xyz"}\n');
    });

    it('opens a KMS blob with its encryption context and saves a blob again with the same context', async () => {
      const path = fresh('token.kms');
      await writeEncrypted(k, path, 's3cr3t', { keyId, format: 'blob', context: { purpose: 'api' } });
      await refused('openDecrypted', { uri: path }, /token\.kms with no encryption context/);
      const opened = await run<OpenDecryptedResult>('openDecrypted', { uri: path, encryptionContext: { purpose: 'api' } });
      assert.equal(opened.format, 'blob');
      assert.deepEqual(opened.encryptionContext, { purpose: 'api' });
      const doc = documentOf(opened.uri)!;
      assert.equal(doc.getText(), 's3cr3t');
      await setText(doc, 'n3w-s3cr3t');
      assert.ok(await doc.save());
      const back = await decryptedText(k, path, { purpose: 'api' });
      assert.equal(back.format, 'blob');
      assert.equal(back.text, 'n3w-s3cr3t');
      assert.deepEqual(back.keyArns, [keyId]);
    });

    it("asks for a blob's encryption context when opened interactively, and remembers it for the next time", async () => {
      const path = fresh('remembered.kms');
      await writeEncrypted(k, path, 'pin=1234', { keyId, format: 'blob', context: { team: 'ops' } });
      const ui = new ScriptedUserInput(['team=ops']);
      const previous = k.testing.setUserInput(ui);
      try {
        // A Uri argument, as the Explorer passes it: interactive.
        await run('openDecrypted', vscode.Uri.file(path));
      } finally {
        k.testing.setUserInput(previous);
      }
      assert.deepEqual(
        ui.asked.map((a) => a.kind),
        ['input'],
      );
      assert.match(ui.asked[0].title ?? '', /Encryption context of \d+-remembered\.kms/);
      await closeAllEditors();
      // The remembered context is used without asking (the scripted call would fail otherwise).
      const again = await run<OpenDecryptedResult>('openDecrypted', { uri: path });
      assert.deepEqual(again.encryptionContext, { team: 'ops' });
      assert.equal(documentOf(again.uri)!.getText(), 'pin=1234');
    });

    it('refuses what it cannot open, naming the file and the fix', async () => {
      const plain = fresh('plain.env');
      writeFileSync(plain, 'NOT_ENCRYPTED=1\n');
      await refused('openDecrypted', { uri: plain }, /plain\.env is not encrypted/);
      await refused('openDecrypted', { uri: 'relative/path.env' }, /"uri" must be a Uri or an absolute file path/);
      await refused('openDecrypted', { uri: plain, keyId }, /does not take "keyId"/);
      await refused('openDecrypted', { uri: join(dir, 'missing.env') }, /does not exist/);
      const binary = fresh('binary.kms');
      writeFileSync(binary, await encrypted(k, '\u0000\u0001binary', { keyId }));
      await refused('openDecrypted', { uri: binary }, /binary data.*Decrypt File/);
      const message = fresh('ctx.env');
      await writeEncrypted(k, message, 'A=1\n', { keyId, context: { app: 'web' } });
      await refused('openDecrypted', { uri: message, encryptionContext: { app: 'api' } }, /expected app=api \(it has app=web\)/);
    });

    it('serves a decrypted view read before any editor opened it (as after a reload of the window), and nothing for URIs that are not ours', async () => {
      const path = fresh('restore.env');
      await writeEncrypted(k, path, 'RESTORED=yes\n', { keyId });
      const uri = vscode.Uri.from({ scheme: 'kms-decrypted', path: vscode.Uri.file(path).path });
      assert.equal(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString(), 'RESTORED=yes\n');
      await assert.rejects(
        Promise.resolve(vscode.workspace.fs.readFile(uri.with({ query: 'file=../../etc/passwd' }))),
        (e: Error) => e instanceof vscode.FileSystemError,
      );
      await assert.rejects(
        Promise.resolve(
          vscode.workspace.fs.readFile(vscode.Uri.from({ scheme: 'kms-decrypted', path: vscode.Uri.file(join(dir, 'nope.env')).path })),
        ),
        (e: Error) => e instanceof vscode.FileSystemError,
      );
      await assert.rejects(Promise.resolve(vscode.workspace.fs.delete(uri)), (e: Error) => e instanceof vscode.FileSystemError);
    });
  });

  describe('failed saves', () => {
    let path: string;
    let doc: vscode.TextDocument;
    let before: Buffer;

    beforeEach(async () => {
      path = fresh('fail.env');
      before = await writeEncrypted(k, path, 'KEEP=original\n', { keyId, context: { app: 'web' } });
      const opened = await run<OpenDecryptedResult>('openDecrypted', { uri: path });
      doc = documentOf(opened.uri)!;
      await setText(doc, 'KEEP=changed\n');
    });

    afterEach(async () => {
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    });

    for (const operation of ['GenerateDataKey', 'Encrypt'] as const) {
      it(`leaves the file byte-identical and the editor dirty when KMS refuses (${operation}), and says why`, async () => {
        if (operation === 'Encrypt') {
          // A blob is encrypted again with KMS Encrypt.
          await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
          path = fresh('fail.kms');
          before = await writeEncrypted(k, path, 'blob', { keyId, format: 'blob' });
          doc = documentOf((await run<OpenDecryptedResult>('openDecrypted', { uri: path })).uri)!;
          await setText(doc, 'blob changed');
        }
        await control.setFault(operation, {
          failOnCall: 1,
          error: { name: 'AccessDeniedException', message: 'injected by the decrypted editing test' },
        });
        assert.equal(await doc.save(), false, 'the save fails');
        assert.ok(doc.isDirty, 'the editor keeps its changes');
        assert.deepEqual(readFileSync(path), before, 'the file is byte-identical');
        assert.deepEqual(tempFilesIn(dir), [], 'no temporary file is left');
        // What VS Code shows: the provider's error, with KMS's reason.
        await control.setFault(operation, {
          failOnCall: 1,
          error: { name: 'AccessDeniedException', message: 'injected by the decrypted editing test' },
        });
        await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(doc.uri, Buffer.from('x'))), (e: Error) =>
          /injected by the decrypted editing test/.test(e.message),
        );
        assert.deepEqual(readFileSync(path), before);
        await control.clearFaults();
        assert.ok(await doc.save(), 'saving again once KMS answers works');
        assert.notDeepEqual(readFileSync(path), before);
      });
    }

    it('leaves the file byte-identical when the write fails (rename)', async () => {
      k.testing.decrypted.setWriteFaults({ at: 'rename' });
      assert.equal(await doc.save(), false);
      assert.ok(doc.isDirty);
      assert.deepEqual(readFileSync(path), before);
      assert.deepEqual(tempFilesIn(dir), []);
    });

    it("refuses to save a blob's text beyond 4,096 bytes, keeping the file", async () => {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      path = fresh('small.kms');
      before = await writeEncrypted(k, path, 'short', { keyId, format: 'blob' });
      doc = documentOf((await run<OpenDecryptedResult>('openDecrypted', { uri: path })).uri)!;
      await setText(doc, 'x'.repeat(4097));
      await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(doc.uri, Buffer.from(doc.getText()))), (e: Error) =>
        /at most 4,096 bytes/.test(e.message),
      );
      assert.equal(await doc.save(), false);
      assert.deepEqual(readFileSync(path), before);
    });
  });

  describe('changes on disk', () => {
    it('shows the new version in an editor without unsaved changes', async () => {
      const path = fresh('pulled.env');
      await writeEncrypted(k, path, 'VERSION=1\n', { keyId });
      const doc = documentOf((await run<OpenDecryptedResult>('openDecrypted', { uri: path })).uri)!;
      await writeEncrypted(k, path, 'VERSION=2\n', { keyId });
      await waitFor('the editor to show the new version', () => doc.getText() === 'VERSION=2\n');
      assert.ok(!doc.isDirty);
    });

    it('never overwrites a newer version under unsaved changes, and offers to reload', async () => {
      const path = fresh('conflict.env');
      await writeEncrypted(k, path, 'VERSION=1\n', { keyId });
      const doc = documentOf((await run<OpenDecryptedResult>('openDecrypted', { uri: path })).uri)!;
      await setText(doc, 'VERSION=mine\n');
      const ui = new ScriptedUserInput([false]);
      const previous = k.testing.setUserInput(ui);
      try {
        const theirs = await writeEncrypted(k, path, 'VERSION=theirs\n', { keyId });
        await waitFor('the offer to reload', () => ui.asked.length === 1);
        assert.equal(ui.asked[0].kind, 'choose');
        assert.match(ui.asked[0].message ?? '', /conflict\.env changed on disk while you were editing it decrypted/);
        assert.deepEqual(ui.asked[0].labels, ['Reload', 'Compare']);
        assert.equal(await doc.save(), false, 'VS Code refuses to save over the newer version');
        assert.ok(doc.isDirty);
        assert.deepEqual(readFileSync(path), theirs, 'the newer version is untouched');
        assert.equal((await decryptedText(k, path)).text, 'VERSION=theirs\n');
        // Reloading shows the newer version.
        const reload = new ScriptedUserInput(['Reload']);
        k.testing.setUserInput(reload);
        await writeEncrypted(k, path, 'VERSION=theirs-2\n', { keyId });
        await waitFor('the second offer', () => reload.asked.length === 1);
        await waitFor('the reload', () => !doc.isDirty && doc.getText() === 'VERSION=theirs-2\n');
      } finally {
        k.testing.setUserInput(previous);
      }
    });

    it('refuses to save a file deleted on disk', async () => {
      const path = fresh('deleted.env');
      await writeEncrypted(k, path, 'A=1\n', { keyId });
      const doc = documentOf((await run<OpenDecryptedResult>('openDecrypted', { uri: path })).uri)!;
      const ui = new ScriptedUserInput([false]);
      const previous = k.testing.setUserInput(ui);
      try {
        await setText(doc, 'A=2\n');
        unlinkSync(path);
        await waitFor('the notice', () => ui.asked.length === 1);
        assert.match(ui.asked[0].message ?? '', /deleted\.env was deleted on disk/);
        await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(doc.uri, Buffer.from('A=2\n'))), (e: Error) =>
          /deleted on disk/.test(e.message),
        );
        assert.throws(() => readFileSync(path), /ENOENT/, 'nothing was written');
      } finally {
        k.testing.setUserInput(previous);
        await vscode.window.showTextDocument(doc);
        await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      }
    });
  });

  describe('Git', () => {
    let repo: string;
    const git = (...args: string[]): string =>
      execFileSync('git', ['-c', 'user.name=KMS Tests', '-c', 'user.email=tests@example.invalid', '-c', 'commit.gpgsign=false', ...args], {
        cwd: repo,
        encoding: 'utf8',
      });

    before(() => {
      repo = join(dir, `repo-${Date.now()}`);
      mkdirSync(repo);
      git('init', '-q', '-b', 'main');
    });

    it('compares the decrypted HEAD (and an older revision) with the decrypted working copy, both in memory', async () => {
      const path = join(repo, 'secrets.env');
      await writeEncrypted(k, path, 'API_KEY=one\nREGION=eu\n', { keyId, context: { app: 'git' } });
      git('add', 'secrets.env');
      git('commit', '-q', '-m', 'first');
      await writeEncrypted(k, path, 'API_KEY=two\nREGION=eu\n', { keyId, context: { app: 'git' } });
      git('commit', '-q', '-am', 'second');
      // What git itself shows is ciphertext; the decrypted diff shows the plaintext change.
      assert.doesNotMatch(git('diff', 'HEAD~1', 'HEAD'), /API_KEY/);
      const older = await run<CompareResult>('compareDecryptedWithHead', { uri: path, ref: 'HEAD~1' });
      assert.equal(older.ref, 'HEAD~1');
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
      assert.ok(tab?.input instanceof vscode.TabInputTextDiff, 'a diff editor is active');
      assert.equal(tab.input.original.toString(), older.left);
      assert.equal(tab.input.modified.toString(), older.right);
      assert.equal(Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.parse(older.left))).toString(), 'API_KEY=one\nREGION=eu\n');
      assert.equal(Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.parse(older.right))).toString(), 'API_KEY=two\nREGION=eu\n');
      const stat = await vscode.workspace.fs.stat(vscode.Uri.parse(older.left));
      assert.equal(stat.permissions, vscode.FilePermission.Readonly, 'a revision is read-only');
      await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(vscode.Uri.parse(older.left), Buffer.from('x'))), (e: Error) =>
        /read-only/.test(e.message),
      );

      // Edit the working copy decrypted and save: HEAD against it shows the new change.
      const working = documentOf(older.right)!;
      await setText(working, 'API_KEY=three\nREGION=eu\n');
      assert.ok(await working.save());
      const head = await run<CompareResult>('compareDecryptedWithHead', { uri: path });
      assert.equal(head.ref, 'HEAD');
      assert.equal(Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.parse(head.left))).toString(), 'API_KEY=two\nREGION=eu\n');
      assert.equal(documentOf(head.right)!.getText(), 'API_KEY=three\nREGION=eu\n');
      assert.equal((await decryptedText(k, path)).context.app, 'git');
    });

    it('says when a file has no committed version or is outside Git, and refuses bad revisions', async () => {
      const untracked = join(repo, 'new.env');
      await writeEncrypted(k, untracked, 'NEW=1\n', { keyId });
      await refused('compareDecryptedWithHead', { uri: untracked }, /new\.env has no version at HEAD/);
      const outside = fresh('outside.env');
      await writeEncrypted(k, outside, 'X=1\n', { keyId });
      await refused('compareDecryptedWithHead', { uri: outside }, /not in a Git repository/);
      await refused('compareDecryptedWithHead', { uri: untracked, ref: '--output=/tmp/x' }, /"ref" must be a Git revision/);
    });
  });

  describe('memory and opening', () => {
    it('drops the plaintext from memory when the editor closes', async () => {
      const path = fresh('close.env');
      await writeEncrypted(k, path, 'CLOSE=me\n', { keyId });
      const opened = await run<OpenDecryptedResult>('openDecrypted', { uri: path });
      assert.ok(k.testing.decrypted.views().includes(opened.uri));
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      await waitFor('the view to be dropped', () => !k.testing.decrypted.views().includes(opened.uri));
    });

    it('opens an encrypted file decrypted instead when kmsWorkbench.openEncryptedFiles is "decrypted", and offers a CodeLens', async () => {
      const path = fresh('auto.env');
      await writeEncrypted(k, path, 'AUTO=1\n', { keyId });
      const raw = await vscode.workspace.openTextDocument(path);
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', raw.uri);
      const open = lenses.find((l) => l.command?.command === 'kmsWorkbench.openDecrypted');
      assert.ok(open, `an Open Decrypted lens (got ${lenses.map((l) => l.command?.title).join(', ')})`);
      assert.equal(open.command?.title, '$(unlock) Open Decrypted');
      await setSetting('kmsWorkbench', 'openEncryptedFiles', 'decrypted');
      try {
        await vscode.window.showTextDocument(raw);
        const editor = await waitFor('the decrypted editor', () => {
          const active = vscode.window.activeTextEditor;
          return active?.document.uri.scheme === 'kms-decrypted' && active.document.uri.path.endsWith('auto.env') ? active : undefined;
        });
        assert.equal(editor.document.getText(), 'AUTO=1\n');
        await waitFor(
          'the raw tab to close',
          () =>
            !vscode.window.tabGroups.all.some((g) =>
              g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.scheme === 'file' && t.input.uri.fsPath === path),
            ),
        );
      } finally {
        await setSetting('kmsWorkbench', 'openEncryptedFiles', 'raw');
      }
      // raw: the ciphertext stays.
      await closeAllEditors();
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(path));
      await sleep(1000);
      assert.equal(vscode.window.activeTextEditor?.document.uri.scheme, 'file');
    });
  });

  describe('where plaintext could be persisted', () => {
    const userData = (): string => {
      const path = process.env.KMS_TEST_USER_DATA_DIR;
      if (!path) throw new Error('KMS_TEST_USER_DATA_DIR is not set: the harness (test/harness/codeServer.ts) passes the user-data folder');
      return path;
    };
    const backupFiles = (): string[] => {
      const out: string[] = [];
      for (const root of [join(userData(), 'User', 'Backups'), join(userData(), 'Backups')]) {
        for (const ws of (() => {
          try {
            return readdirSync(root);
          } catch {
            return [];
          }
        })()) {
          const d = join(root, ws, 'kms-decrypted');
          for (const f of (() => {
            try {
              return readdirSync(d);
            } catch {
              return [];
            }
          })())
            out.push(join(d, f));
        }
      }
      return out;
    };

    it('measures: VS Code backs up an unsaved decrypted editor to disk even with files.hotExit off (no setting prevents it)', async () => {
      const hotExit = vscode.workspace.getConfiguration('files').inspect('hotExit')?.globalValue;
      await setSetting('files', 'hotExit', 'off');
      await setSetting('kmsWorkbench', 'removeDecryptedBackups', false);
      const marker = `MEASURE${randomBytes(12).toString('hex')}`;
      try {
        const path = fresh('measure.env');
        await writeEncrypted(k, path, 'A=1\n', { keyId });
        const doc = documentOf((await run<OpenDecryptedResult>('openDecrypted', { uri: path })).uri)!;
        await setText(doc, `A=${marker}\n`);
        const backups = await waitFor(
          'a backup by VS Code',
          () => {
            const found = backupFiles().filter((f) => readFileSync(f).includes(marker));
            return found.length ? found : undefined;
          },
          10_000,
        );
        console.log(`      VS Code wrote ${backups.map((b) => b.slice(userData().length)).join(', ')}`);
        await vscode.window.showTextDocument(doc);
        await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
        await waitFor('VS Code to discard it', () => !backupFiles().some((f) => readFileSync(f).includes(marker)));
      } finally {
        await setSetting('files', 'hotExit', hotExit);
        await setSetting('kmsWorkbench', 'removeDecryptedBackups', undefined);
      }
    });

    it('leaves a unique marker nowhere on disk after a whole edit session: user data, extension storage, workspace, temp folder', async () => {
      const marker = `KMSWB${randomBytes(16).toString('hex')}`;
      const path = fresh('session.env');
      await writeEncrypted(k, path, 'SESSION=start\n', { keyId, context: { app: 'session' } });
      const opened = await run<OpenDecryptedResult>('openDecrypted', { uri: path });
      const doc = documentOf(opened.uri)!;
      const { removed: removedBefore } = k.testing.decrypted.backups();
      // Unsaved for longer than VS Code waits before backing an editor up (1 s).
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('cursorBottom');
      await vscode.commands.executeCommand('type', { text: `TOKEN=${marker}\n` });
      await sleep(3000);
      assert.ok(doc.isDirty);
      assert.deepEqual(filesContaining(userData(), marker), [], 'no backup of the unsaved editor is left on disk');
      const { removed } = k.testing.decrypted.backups();
      assert.ok(removed > removedBefore, 'VS Code did write a backup, and it was removed');
      assert.ok(await doc.save());
      assert.match((await decryptedText(k, path)).text, new RegExp(`TOKEN=${marker}`));
      // More unsaved changes, then close without saving.
      await vscode.commands.executeCommand('type', { text: `OTHER=${marker}-unsaved\n` });
      await sleep(2500);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await closeAllEditors();
      await waitFor('the view to be dropped', () => !k.testing.decrypted.views().includes(opened.uri));
      await sleep(2000);

      const storage = k.testing.decrypted.backups();
      const places = [userData(), storage.globalStorage, ...(storage.storage ? [storage.storage] : []), workspaceDir(), tmpdir()];
      const found = places.flatMap((place) =>
        filesContaining(place, marker, { skip: (p) => p.includes('node_modules') || p.endsWith('.vsix') }),
      );
      assert.deepEqual(found, [], `the marker was found on disk: ${found.join(', ')}`);
      assert.ok(!k.testing.decrypted.views().includes(opened.uri), 'the decrypted text is no longer held in memory');
    });
  });
});
