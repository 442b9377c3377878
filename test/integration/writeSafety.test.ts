// In-place writes in the real extension host: what the file commands ask about before they
// rewrite a file (other hard links, a symbolic link out of the workspace, a read-only file),
// refused when scripted unless `confirm: true`; Decrypt File's owner-only plaintext and its
// warning for files git tracks; and the startup sweep of left-over temporary files.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { inspectFile } from '../../src/core/envelope/fileEncryption';
import type { FileResult } from '../../src/host/editor/fileCommands';
import { closeAllEditors, type EncryptionEnv, encryptionEnv, refused, run, testing, unchanged, withAnswers } from './encryption/support';

let n = 0;

describe('in-place writes: what is asked before a file is rewritten', function () {
  this.timeout(120_000);
  let env: EncryptionEnv;
  let key: string;
  let outside: string;

  before(async function () {
    const t = await testing();
    if (!t) {
      console.log('      (skipped: the extension under test exposes no test API; this suite runs against the development folder)');
      this.skip();
    }
    env = await encryptionEnv(t);
    key = await env.createKey(`alias/write-safety-${Date.now().toString(36)}`);
    outside = mkdtempSync(join(tmpdir(), 'kmswb-outside-'));
  });
  after(() => {
    if (outside) rmSync(outside, { recursive: true, force: true });
  });
  afterEach(async () => {
    if (!env) return;
    await vscode.workspace.getConfiguration('kmsWorkbench').update('decryptedFileMode', undefined, vscode.ConfigurationTarget.Global);
    await closeAllEditors();
  });

  function file(content: string, name = `f${n++}.env`, folder = env.folder): string {
    const path = join(folder, name);
    writeFileSync(path, content);
    return path;
  }

  async function encrypted(path: string): Promise<boolean> {
    return (await inspectFile(path)).format.kind === 'message';
  }

  it('a file with another hard link: refused when scripted, asked interactively, encrypted with confirm: true', async () => {
    const path = file('DB_PASSWORD=hunter2\n');
    const other = join(env.folder, `other-${n++}.env`);
    linkSync(path, other);
    const before = readFileSync(path);
    await refused('encryptFile', { uri: path, keyId: key }, /1 other hard link.*keep the plaintext.*"confirm": true/);
    unchanged(path, before);

    // Interactively (a Uri, as the Explorer passes it): the question comes before anything else; No leaves it.
    const { ui } = await withAnswers(env.testing, [false], () => run('encryptFile', vscode.Uri.file(path)));
    assert.equal(ui.asked[0]?.kind, 'confirm');
    assert.match(ui.asked[0]?.message ?? '', /other hard link/);
    unchanged(path, before);

    const [result] = await run<FileResult[]>('encryptFile', { uri: path, keyId: key, confirm: true });
    assert.equal(result.keyId, key);
    assert.ok(await encrypted(path));
    assert.equal(readFileSync(other, 'utf8'), 'DB_PASSWORD=hunter2\n', 'the other name keeps the plaintext, as the question said');
  });

  it('a symbolic link to a file outside the workspace folders: refused when scripted, done with confirm: true; one inside is not asked about', async () => {
    const target = file('TOKEN=outside\n', 'target.env', outside);
    const link = join(env.folder, `link-${n++}.env`);
    symlinkSync(target, link);
    await refused(
      'encryptFile',
      { uri: link, keyId: key },
      /symbolic link to .*target\.env, outside the workspace folders.*"confirm": true/,
    );
    assert.equal(readFileSync(target, 'utf8'), 'TOKEN=outside\n');
    await run('encryptFile', { uri: link, keyId: key, confirm: true });
    assert.ok(await encrypted(target));
    await refused('decryptFile', { uri: link }, /outside the workspace folders/);
    await run('decryptFile', { uri: link, confirm: true });
    assert.equal(readFileSync(target, 'utf8'), 'TOKEN=outside\n');

    const inside = file('TOKEN=inside\n');
    const insideLink = join(env.folder, `link-${n++}.env`);
    symlinkSync(inside, insideLink);
    await run('encryptFile', { uri: insideLink, keyId: key });
    assert.ok(await encrypted(inside));
  });

  it('a read-only file: refused when scripted, asked interactively, encrypted with confirm: true keeping its mode', async () => {
    const path = file('KEY=read-only\n');
    chmodSync(path, 0o444);
    const before = readFileSync(path);
    await refused('reEncryptFile', { uri: path, keyId: key }, /not encrypted/);
    await refused('encryptFile', { uri: path, keyId: key }, /read-only.*"confirm": true/);
    unchanged(path, before);
    const { ui } = await withAnswers(env.testing, [false], () => run('encryptFile', vscode.Uri.file(path)));
    assert.match(ui.asked[0]?.message ?? '', /read-only/);
    unchanged(path, before);
    await run('encryptFile', { uri: path, keyId: key, confirm: true });
    assert.ok(await encrypted(path));
    assert.equal(statSync(path).mode & 0o777, 0o444);
  });

  it('Decrypt File leaves the plaintext readable by its owner only, unless kmsWorkbench.decryptedFileMode is keep', async () => {
    const path = file('SECRET=owner-only\n');
    chmodSync(path, 0o644);
    await run('encryptFile', { uri: path, keyId: key });
    assert.equal(statSync(path).mode & 0o777, 0o644, 'encrypting keeps the mode');
    await run('decryptFile', { uri: path });
    assert.equal(readFileSync(path, 'utf8'), 'SECRET=owner-only\n');
    assert.equal(statSync(path).mode & 0o777, 0o600);

    chmodSync(path, 0o644);
    await run('encryptFile', { uri: path, keyId: key });
    await vscode.workspace.getConfiguration('kmsWorkbench').update('decryptedFileMode', 'keep', vscode.ConfigurationTarget.Global);
    await run('decryptFile', { uri: path });
    assert.equal(statSync(path).mode & 0o777, 0o644);
  });

  it('a file git tracks: scripted Decrypt File goes ahead and says trackedByGit; interactively Open Decrypted keeps it encrypted', async () => {
    const repo = join(env.folder, `repo-${n++}`);
    mkdirSync(repo);
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo });
    git('init', '-q');
    const tracked = file('SECRET=tracked\n', 'tracked.env', repo);
    const untracked = file('SECRET=untracked\n', 'untracked.env', repo);
    await run('encryptFile', { uris: [tracked, untracked], keyId: key });
    git('add', 'tracked.env');
    git('commit', '-q', '-m', 'encrypted secret');

    const results = await run<FileResult[]>('decryptFile', { uris: [tracked, untracked] });
    assert.equal(results[0].trackedByGit, true);
    assert.equal(results[1].trackedByGit, undefined);
    assert.equal(readFileSync(tracked, 'utf8'), 'SECRET=tracked\n');

    await run('encryptFile', { uri: tracked, keyId: key });
    const encryptedBytes = readFileSync(tracked);
    const { ui } = await withAnswers(env.testing, ['Open Decrypted'], () => run('decryptFile', vscode.Uri.file(tracked)));
    assert.match(ui.shown[0]?.message ?? '', /tracked by git.*git commit -a/);
    unchanged(tracked, encryptedBytes);
    const decryptedEditor = vscode.window.visibleTextEditors.find(
      (e) => e.document.uri.scheme !== 'file' && e.document.getText() === 'SECRET=tracked\n',
    );
    assert.ok(decryptedEditor, 'the decrypted editor is open instead');
  });

  it('Cancel half-way through a large Encrypt File aborts it: the command ends silently and the file is byte-identical', async () => {
    const path = join(env.folder, `large-${n++}.bin`);
    const content = randomBytes(48 * 1024 * 1024);
    writeFileSync(path, content);
    let cancelledAt = 0;
    env.testing.editor.cancelProgressWhen((title, percent) => {
      if (!title.includes('large-') || percent < 40) return false;
      cancelledAt = percent;
      return true;
    });
    try {
      const result = await run('encryptFile', { uri: path, keyId: key });
      assert.equal(result, undefined, 'a cancel is not a failure: the command returns nothing');
    } finally {
      env.testing.editor.cancelProgressWhen();
    }
    assert.ok(cancelledAt >= 40 && cancelledAt < 100, `cancelled at ${cancelledAt}%`);
    unchanged(path, content);
    rmSync(path);
  });

  it('left-over temporary files of an interrupted write are swept at startup; fresh ones are left', async () => {
    const stale = join(env.folder, `.app.env.kmswb-${'0123456789abcdef'}.tmp`);
    const fresh = join(env.folder, `.app.env.kmswb-${'fedcba9876543210'}.tmp`);
    writeFileSync(stale, 'half-written ciphertext');
    writeFileSync(fresh, 'being written');
    const old = new Date(Date.now() - 60 * 60 * 1000);
    utimesSync(stale, old, old);
    const removed = await env.testing.editor.sweepTemporaryFiles();
    assert.ok(removed.includes(stale), `removed: ${removed.join(', ')}`);
    assert.ok(!existsSync(stale));
    assert.ok(existsSync(fresh));
    rmSync(fresh);
  });
});
