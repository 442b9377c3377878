// Encrypting in place (issue 5) in the real extension host against the KMS emulator:
// multi-cursor selections (one undoable edit, all or nothing, quotes kept), the hover's peek,
// files of every size and format through the commands, every refusal leaving the file
// byte-identical, and faults (the emulator failing, a failing write) leaving no stray file.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { detectTextCiphertext } from '../../src/core/envelope/detect';
import type { FileResult } from '../../src/host/editor/fileCommands';
import type { PeekResult } from '../../src/host/editor/ciphertextPeek';
import { ENCRYPT_WITH_WORKSPACE_KEY } from '../../src/host/keys/defaultKeySetting';
import type { DecryptSelectionResult, EncryptSelectionResult, ReEncryptSelectionResult } from '../../src/host/editor/selectionCommands';
import {
  closeAllEditors,
  type EncryptionEnv,
  encryptionEnv,
  noStrayFiles,
  openWithSelections,
  refused,
  run,
  testing,
  unchanged,
  withAnswers,
} from './encryption/support';

const MiB = 1024 * 1024;
let n = 0;
const uniqueAlias = (name: string): string => `alias/enc-${name}-${Date.now().toString(36)}-${n++}`;

describe('encrypting in place', function () {
  this.timeout(120_000);
  let env: EncryptionEnv;
  let key: string;
  let keyAlias: string;
  let other: string;

  before(async function () {
    const t = await testing();
    if (!t) {
      console.log('      (skipped: the extension under test exposes no test API; this suite runs against the development folder)');
      this.skip();
    }
    env = await encryptionEnv(t);
    keyAlias = uniqueAlias('main');
    key = await env.createKey(keyAlias);
    other = await env.createKey(uniqueAlias('other'));
  });
  afterEach(async () => {
    if (!env) return;
    await env.control.clearFaults();
    env.testing.editor.setWriteFaults();
    await closeAllEditors();
  });

  function file(name: string, content: Buffer | string): vscode.Uri {
    const path = join(env.folder, name);
    writeFileSync(path, content);
    return vscode.Uri.file(path);
  }

  describe('selections', () => {
    const lines = ['DB_PASSWORD="hunter2"', "API_KEY='abc def'", 'TOKEN=plain-token', `BIG=${'x'.repeat(5000)}`, ''];
    const text = lines.join('\n');
    const valueRanges: [number, number, number, number][] = [
      [0, 12, 0, 21], // "hunter2" with its quotes
      [1, 8, 1, 17], // 'abc def' with its quotes
      [2, 6, 2, 17], // plain-token
      [3, 4, 3, 5004], // 5,000 bytes: an Encryption SDK message
    ];

    it('encrypts every selection of a multi-cursor edit, keeping quotes outside, and decrypts them at the cursors; each is one undo step', async () => {
      const uri = file('multi.env', text);
      const editor = await openWithSelections(uri, valueRanges);
      const enc = await run<EncryptSelectionResult>('encryptSelection', { keyId: keyAlias, encryptionContext: { app: 'it' } });
      assert.equal(enc.count, 4);
      assert.equal(enc.keyId, key);
      assert.deepEqual(enc.kinds, ['blob', 'blob', 'blob', 'message']);
      const encrypted = editor.document.getText();
      const values = encrypted
        .split('\n')
        .slice(0, 4)
        .map((l) => l.slice(l.indexOf('=') + 1));
      assert.match(values[0], /^"AQICAHh[A-Za-z0-9+/=]+"$/, 'double quotes stay outside');
      assert.match(values[1], /^'AQICAHh[A-Za-z0-9+/=]+'$/, 'single quotes stay outside');
      assert.match(values[2], /^AQICAHh[A-Za-z0-9+/=]+$/);
      assert.equal(detectTextCiphertext(values[3])?.kind, 'message');

      // Decrypt with empty cursors inside each ciphertext: the contexts of the blobs are remembered.
      editor.selections = [0, 1, 2, 3].map((line) => new vscode.Selection(line, 20, line, 20));
      const dec = await run<DecryptSelectionResult>('decryptSelection', {});
      assert.equal(dec.count, 4);
      assert.deepEqual(dec.keyIds, [key, key, key, key]);
      assert.equal(editor.document.getText(), text);

      await vscode.window.showTextDocument(editor.document);
      await vscode.commands.executeCommand('undo');
      assert.equal(editor.document.getText(), encrypted, 'one undo brings back all four ciphertexts');
      await vscode.commands.executeCommand('undo');
      assert.equal(editor.document.getText(), text, 'a second undo brings back the plaintext');
    });

    it('replaces nothing when one selection fails: not a ciphertext, or KMS refusing one of them', async () => {
      const { ciphertext: withContext } = await env.gateway.encrypt({
        keyId: key,
        plaintext: Buffer.from('one'),
        encryptionContext: { other: 'ctx' },
      });
      const { ciphertext: plain } = await env.gateway.encrypt({ keyId: key, plaintext: Buffer.from('two') });
      const b1 = Buffer.from(withContext).toString('base64');
      const b2 = Buffer.from(plain).toString('base64');
      const content = `A=${b2}\nB=${b1}\nC=not-encrypted\n`;
      const uri = file('partial.env', content);
      const editor = await openWithSelections(uri, [
        [0, 2, 0, 2 + b2.length],
        [2, 2, 2, 15],
      ]);
      const version = editor.document.version;
      await refused('decryptSelection', {}, /Selection 2 \(line 3\) is not a ciphertext/);
      editor.selections = [new vscode.Selection(0, 2, 0, 2 + b2.length), new vscode.Selection(1, 2, 1, 2 + b1.length)];
      await refused('decryptSelection', {}, /Selection 2 \(line 2\): KMS could not decrypt this ciphertext with no encryption context/);
      assert.equal(editor.document.getText(), content);
      assert.equal(editor.document.version, version, 'not even an empty edit');
      assert.ok(!editor.document.isDirty);
    });

    it('200 selections of one edit against a slow, throttling KMS: all encrypted in one edit; one failure among them changes nothing and starts no more calls', async () => {
      const count = 200;
      const content = Array.from({ length: count }, (_, i) => `SECRET_${i}=value-${i}`).join('\n') + '\n';
      const ranges = Array.from({ length: count }, (_, i): [number, number, number, number] => [
        i,
        `SECRET_${i}=`.length,
        i,
        `SECRET_${i}=value-${i}`.length,
      ]);
      const uri = file('many.env', content);
      const editor = await openWithSelections(uri, ranges);
      // 10 ms per call, and the first 20 calls throttled: more than the SDK's attempts absorb for
      // the first calls in flight; the edit backs off and tries those calls again.
      await env.control.setFault('Encrypt', { latencyMs: 10, throttle: 20 });
      await env.control.resetCalls();
      const enc = await run<EncryptSelectionResult>('encryptSelection', { keyId: key });
      assert.equal(enc.count, count);
      const lines = editor.document.getText().split('\n');
      for (let i = 0; i < count; i++)
        assert.equal(detectTextCiphertext(lines[i].slice(`SECRET_${i}=`.length))?.kind, 'blob', `line ${i + 1} is encrypted`);
      assert.equal(await env.control.callCount('Encrypt'), count + 20, 'each throttled call was retried');
      await vscode.commands.executeCommand('undo');
      assert.equal(editor.document.getText(), content, 'one undo brings back all 200 values');

      // The 30th call fails: nothing is replaced, and after the failure no new call starts.
      editor.selections = ranges.map(([l1, c1, l2, c2]) => new vscode.Selection(l1, c1, l2, c2));
      const version = editor.document.version;
      await env.control.setFault('Encrypt', { latencyMs: 10, failOnCall: 30, error: { name: 'DisabledException' } });
      await env.control.resetCalls();
      await refused('encryptSelection', { keyId: key }, /Selection \d+ \(line \d+\)/);
      assert.equal(editor.document.getText(), content);
      assert.equal(editor.document.version, version, 'not even an empty edit');
      const calls = await env.control.callCount('Encrypt');
      assert.ok(calls < count, `${calls} Encrypt calls: none started after the failure`);
    });

    it('says what to select when nothing is selected, and refuses to encrypt a ciphertext again', async () => {
      const uri = file('empty.env', 'A=1\n');
      await openWithSelections(uri, [[0, 2, 0, 2]]);
      await refused(
        'encryptSelection',
        { keyId: key },
        /Select the text to encrypt \(a secret, or a quoted string: its quotes stay outside the ciphertext\)/,
      );
      await refused('decryptSelection', {}, /No ciphertext under the cursor on line 1/);
      const { ciphertext } = await env.gateway.encrypt({ keyId: key, plaintext: Buffer.from('x') });
      const b = Buffer.from(ciphertext).toString('base64');
      const uri2 = file('twice.env', `A=${b}\n`);
      await openWithSelections(uri2, [[0, 2, 0, 2 + b.length]]);
      await refused('encryptSelection', { keyId: key }, /already encrypted \(a KMS ciphertext blob\)/);
    });

    it('re-encrypts selections under another key (ReEncrypt for blobs, a header re-wrap for messages)', async () => {
      const uri = file('reenc.env', text);
      const editor = await openWithSelections(uri, valueRanges);
      await run<EncryptSelectionResult>('encryptSelection', { keyId: key });
      const encrypted = editor.document.getText().split('\n');
      editor.selections = [0, 1, 2, 3].map((line) => new vscode.Selection(line, 15, line, 15));
      await env.control.resetCalls();
      const re = await run<ReEncryptSelectionResult>('reEncryptSelection', { keyId: other });
      assert.equal(re.keyId, other);
      assert.deepEqual(re.sourceKeyIds, [key, key, key, key]);
      const calls = await env.control.calls();
      assert.equal(calls.ReEncrypt, 4);
      assert.equal(calls.Decrypt, 1, 'only the message data key is opened (to rewrite its header)');
      assert.equal(calls.Encrypt ?? 0, 0);
      assert.notDeepEqual(editor.document.getText().split('\n'), encrypted);
      editor.selections = [0, 1, 2, 3].map((line) => new vscode.Selection(line, 15, line, 15));
      await refused('decryptSelection', { keyId: key }, /different KMS key|not encrypted under/);
      await run<DecryptSelectionResult>('decryptSelection', { keyId: other });
      assert.equal(editor.document.getText(), text);
    });

    it('asks for the key (last used first) and the context when run from the menu, and asks again for a context KMS refuses', async () => {
      const uri = file('interactive.env', 'SECRET=swordfish\n');
      const editor = await openWithSelections(uri, [[0, 7, 0, 16]]);
      const first = await withAnswers(env.testing, [new RegExp(`^${keyAlias}$`), 'team=blue'], () => run('encryptSelection'));
      assert.deepEqual(
        first.ui.asked.map((a) => a.kind),
        ['pick', 'input'],
      );
      const value = editor.document.getText().slice(7).trim();
      assert.equal(detectTextCiphertext(value)?.kind, 'blob');
      // The picker lists the key just used first.
      editor.selections = [new vscode.Selection(0, 7, 0, 7 + value.length)];
      await vscode.commands.executeCommand('undo');
      editor.selections = [new vscode.Selection(0, 7, 0, 16)];
      const second = await withAnswers(env.testing, [keyAlias, ''], () => run('encryptSelection'));
      assert.equal(second.ui.asked[0].labels?.[0], keyAlias, 'last used first');
      assert.match(second.ui.prompts[0], /\[team=blue\]$/, 'the context used in this file is offered');

      // A blob made elsewhere with a context: the first try (none) fails, the person is asked.
      const { ciphertext } = await env.gateway.encrypt({
        keyId: key,
        plaintext: Buffer.from('from-elsewhere'),
        encryptionContext: { svc: 'billing' },
      });
      const b = Buffer.from(ciphertext).toString('base64');
      const uri2 = file('elsewhere.env', `K=${b}\n`);
      const editor2 = await openWithSelections(uri2, [[0, 5, 0, 5]]);
      // code-server auto-saves (afterDelay): the once-per-workspace warning comes first.
      const { ui } = await withAnswers(env.testing, ['Decrypt Anyway', 'svc=billing'], () => run('decryptSelection'));
      assert.match(ui.prompts[0], /KMS could not decrypt the ciphertext with no encryption context/);
      assert.equal(editor2.document.getText(), 'K=from-elsewhere\n');
    });

    it('shows what a ciphertext is on hover, and Decrypt to Peek shows the plaintext without writing it anywhere', async () => {
      const uri = file('peek.env', 'X=placeholder\n');
      const editor = await openWithSelections(uri, [[0, 2, 0, 13]]);
      await run<EncryptSelectionResult>('encryptSelection', { keyId: key, encryptionContext: { peek: 'yes' } });
      await vscode.commands.executeCommand('workbench.action.files.save');
      const saved = readFileSync(uri.fsPath);
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(0, 10));
      const markdown = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
      assert.match(markdown, /KMS ciphertext blob/);
      assert.match(markdown, /Decrypt to peek\]\(command:kmsWorkbench\.peekCiphertext\?/);
      const { result, ui } = await withAnswers(env.testing, [false], () =>
        run<PeekResult>('peekCiphertext', { uri: uri.toString(), line: 0, character: 10, fromHover: true }),
      );
      assert.deepEqual(result, { kind: 'blob', keyId: key, bytes: 11 });
      // The plaintext is the dialog's text, with Copy; the key (by name) is in the detail.
      assert.equal(ui.shown[0].message, 'placeholder');
      assert.deepEqual(ui.shown[0].buttons, ['Copy']);
      assert.match(
        ui.shown[0].detail ?? '',
        /^Decrypted with \S+, encryption context peek=yes\.\nKMS ciphertext blob, 11 bytes of text\. Shown here only: nothing was written\.$/,
      );
      assert.ok(!editor.document.isDirty);
      assert.ok(readFileSync(uri.fsPath).equals(saved));
      assert.ok(!editor.document.getText().includes('placeholder'));
    });
  });

  describe('files', () => {
    const sizes: [string, number][] = [
      ['0 B', 0],
      ['1 B', 1],
      ['4,096 B', 4096],
      ['4,097 B', 4097],
      ['10 MiB', 10 * MiB],
    ];
    for (const [label, size] of sizes) {
      it(`round-trips ${label} (base64 by default), keeping the mode`, async () => {
        const plaintext = Buffer.alloc(size, 'KEY=value\n');
        const uri = file(`size-${size}.env`, plaintext);
        chmodSync(uri.fsPath, 0o600);
        const [enc] = await run<FileResult[]>('encryptFile', { uri: uri.fsPath, keyId: keyAlias, encryptionContext: { file: 'size' } });
        assert.equal(enc.keyId, key);
        assert.equal(enc.format, 'base64');
        assert.equal(enc.uri.fsPath, uri.fsPath);
        assert.match(readFileSync(uri.fsPath, 'latin1').slice(0, 80), /^AgR4[A-Za-z0-9+/]{72}\n/);
        assert.equal(statSync(uri.fsPath).mode & 0o777, 0o600);
        const [dec] = await run<FileResult[]>('decryptFile', { uri });
        assert.deepEqual(dec.encryptionContext, { file: 'size' });
        assert.ok(readFileSync(uri.fsPath).equals(plaintext), 'byte-identical after the round trip');
        assert.equal(statSync(uri.fsPath).mode & 0o777, 0o600);
        noStrayFiles(env.folder);
      });
    }

    it('round-trips a binary file in binary format, and re-encrypts it by re-wrapping its data key', async () => {
      const plaintext = randomBytes(3 * MiB + 7);
      const uri = file('blob.bin', plaintext);
      const [enc] = await run<FileResult[]>('encryptFile', { uri, keyId: key, format: 'binary' });
      assert.equal(enc.format, 'binary');
      assert.deepEqual([...readFileSync(uri.fsPath).subarray(0, 3)], [0x02, 0x04, 0x78]);
      const [re] = await run<FileResult[]>('reEncryptFile', { uri, keyId: other });
      assert.equal(re.method, 'rewrap');
      assert.equal(re.sourceKeyId, key);
      assert.equal(re.keyId, other);
      await refused('decryptFile', { uri, keyId: key }, /not encrypted under/);
      await run('decryptFile', { uri });
      assert.ok(readFileSync(uri.fsPath).equals(plaintext));
    });

    it('encrypts several files at once as the Explorer passes them (the clicked Uri, then all selected)', async () => {
      const uris = ['a.env', 'b.env', 'c.pem'].map((name) => file(name, `${name}=secret\n`));
      const { result } = await withAnswers(env.testing, [keyAlias, ''], () => run<FileResult[]>('encryptFile', uris[1], uris));
      assert.equal(result.length, 3);
      for (const uri of uris) assert.match(readFileSync(uri.fsPath, 'latin1'), /^AgR4/);
      const { result: back } = await withAnswers(env.testing, [], () => run<FileResult[]>('decryptFile', uris[0], uris));
      assert.equal(back.length, 3);
      for (const uri of uris) assert.equal(readFileSync(uri.fsPath, 'utf8'), `${uri.fsPath.split('/').pop()}=secret\n`);
    });

    it('offers SOPS in the key picker of a structured file: "As a SOPS file…", then its key', async () => {
      const plain = 'db:\n    password: hunter2\n';
      const uri = file('offered.yaml', plain);
      const { result, ui } = await withAnswers(env.testing, [/As a SOPS file/, keyAlias], () =>
        run<{ format: string; store: string }[]>('encryptFile', uri),
      );
      assert.equal(result[0].format, 'sops');
      assert.equal(result[0].store, 'yaml');
      assert.equal(ui.asked.filter((p) => p.kind === 'pick').length, 2, 'the key picker, then the SOPS key picker');
      const text = readFileSync(uri.fsPath, 'utf8');
      assert.match(text, /password: ENC\[AES256_GCM,/);
      assert.ok(!text.includes('hunter2'), 'no plaintext left');
      await run('decryptFile', { uri });
      assert.equal(readFileSync(uri.fsPath, 'utf8'), plain);
      // A file of no structured type is not offered SOPS.
      const pem = file('offered.pem', 'secret\n');
      const { result: pemResult, ui: pemUi } = await withAnswers(env.testing, [keyAlias, ''], () => run<FileResult[]>('encryptFile', pem));
      assert.equal(pemResult[0].format, 'base64');
      const labels = pemUi.asked.find((p) => p.kind === 'pick')?.labels ?? [];
      assert.ok(labels.some((l) => l.includes('Several keys')) && !labels.some((l) => l.includes('SOPS')), labels.join(' | '));
    });

    it('gives a clear error and leaves the file byte-identical for a wrong context, a wrong key, a disabled key and a tampered file', async () => {
      const disabledKey = await env.createKey();
      const uri = file('errors.env', 'PASSWORD=x\n');
      await run('encryptFile', { uri, keyId: disabledKey, encryptionContext: { app: 'web' } });
      const encrypted = readFileSync(uri.fsPath);
      await refused(
        'decryptFile',
        { uri, encryptionContext: { app: 'api' } },
        /encryption context does not match: expected app=api \(it has app=web\)/,
      );
      unchanged(uri.fsPath, encrypted);
      await refused('decryptFile', { uri, keyId: other }, /is not encrypted under .* but under/);
      unchanged(uri.fsPath, encrypted);
      await env.gateway.disableKey(disabledKey);
      await refused('decryptFile', { uri }, /The key is disabled.*Enable it first/);
      unchanged(uri.fsPath, encrypted);
      await env.gateway.enableKey(disabledKey);
      // Encrypting or re-encrypting under a disabled key: its DescribeKey runs alongside KMS's
      // calls, and the key-state table's refusal (naming the key) is the error, not KMS's; nothing is written.
      const plain = file('plain.env', 'TOKEN=y\n');
      await env.gateway.disableKey(other);
      try {
        await refused('reEncryptFile', { uri, keyId: other }, /The key is disabled, so it cannot be used to/);
        for (const format of ['base64', 'binary', 'blob'])
          await refused('encryptFile', { uri: plain, keyId: other, format }, /The key is disabled, so it cannot be used to/);
      } finally {
        await env.gateway.enableKey(other);
      }
      unchanged(uri.fsPath, encrypted);
      unchanged(plain.fsPath, Buffer.from('TOKEN=y\n'));
      noStrayFiles(env.folder);

      const tampered = Buffer.from(encrypted);
      let at = tampered.length - 20;
      while (tampered[at] === 0x0a) at--;
      tampered[at] = tampered[at] === 0x41 ? 0x42 : 0x41;
      writeFileSync(uri.fsPath, tampered);
      await refused('decryptFile', { uri }, /altered or is damaged/);
      unchanged(uri.fsPath, tampered);
      await refused('reEncryptFile', { uri, keyId: other }, /altered or is damaged/);
      unchanged(uri.fsPath, tampered);

      // A blob file with a context: decrypting without it fails, clearly.
      const blobUri = file('small.key', 'k3y');
      await run('encryptFile', { uri: blobUri, keyId: key, format: 'blob', encryptionContext: { f: '1' } });
      const blob = readFileSync(blobUri.fsPath);
      await refused(
        'decryptFile',
        { uri: blobUri, encryptionContext: { f: '2' } },
        /KMS could not decrypt this ciphertext: wrong key, wrong encryption context, or altered ciphertext/,
      );
      unchanged(blobUri.fsPath, blob);
    });

    it('refuses to encrypt what is encrypted, to decrypt what is not, a blob over 4,096 bytes, and an editor with unsaved changes', async () => {
      const uri = file('refuse.env', 'A=1\n');
      await run('encryptFile', { uri, keyId: key });
      const encrypted = readFileSync(uri.fsPath);
      await refused('encryptFile', { uri, keyId: key }, /refuse\.env is already encrypted under/);
      unchanged(uri.fsPath, encrypted);
      const plain = Buffer.from('B=2\n');
      const plainUri = file('plain.env', plain);
      await refused('decryptFile', { uri: plainUri }, /plain\.env is not encrypted/);
      unchanged(plainUri.fsPath, plain);
      const big = randomBytes(5000);
      const bigUri = file('big.key', big);
      await refused('encryptFile', { uri: bigUri, keyId: key, format: 'blob' }, /5,000 bytes: too large for a KMS ciphertext blob/);
      unchanged(bigUri.fsPath, big);

      const editor = await vscode.window.showTextDocument(plainUri);
      await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'C=3\n'));
      await refused('encryptFile', { uri: plainUri, keyId: key }, /plain\.env has unsaved changes in an editor: save or revert them first/);
      unchanged(plainUri.fsPath, plain);
      // From the menu the person is asked, and can save first.
      const { ui } = await withAnswers(env.testing, ['Save and Encrypt', keyAlias, ''], () => run('encryptFile', plainUri));
      assert.match(ui.shown[0].message, /plain\.env has unsaved changes/);
      assert.ok(!editor.document.isDirty);
      await run('decryptFile', { uri: plainUri });
      assert.equal(readFileSync(plainUri.fsPath, 'utf8'), 'C=3\nB=2\n', 'the saved changes were encrypted and decrypted');
    });

    it('leaves the original byte-identical with no stray files when the emulator fails mid-way (dropped connections, a failing call)', async () => {
      const plaintext = randomBytes(2 * MiB);
      const uri = file('faults.bin', plaintext);
      await env.control.setFault('GenerateDataKey', { drop: 10 });
      await refused('encryptFile', { uri, keyId: key }, /Cannot reach/);
      unchanged(uri.fsPath, plaintext);
      await env.control.clearFaults();

      await run('encryptFile', { uri, keyId: key });
      const encrypted = readFileSync(uri.fsPath);
      await env.control.setFault('Decrypt', {
        failOnCall: 1,
        error: { name: 'AccessDeniedException', message: 'User is not authorized to perform: kms:Decrypt' },
      });
      await refused('decryptFile', { uri }, /Access denied: you need the kms:Decrypt permission/);
      unchanged(uri.fsPath, encrypted);
      // Re-encrypt: Decrypt succeeds, then ReEncrypt fails on every attempt.
      await env.control.setFault('ReEncrypt', { drop: 10 });
      await refused('reEncryptFile', { uri, keyId: other }, /Cannot reach/);
      unchanged(uri.fsPath, encrypted);
    });

    it('leaves the original byte-identical with no stray files when writing fails (mid-file, at the flush, at the rename)', async () => {
      const plaintext = randomBytes(10 * MiB);
      const uri = file('writes.bin', plaintext);
      for (const fault of [{ at: 'write', afterBytes: 4 * MiB }, { at: 'sync' }, { at: 'rename' }] as const) {
        env.testing.editor.setWriteFaults(fault);
        await refused('encryptFile', { uri, keyId: key }, /EIO/);
        unchanged(uri.fsPath, plaintext);
      }
      env.testing.editor.setWriteFaults();
      await run('encryptFile', { uri, keyId: key, format: 'binary' });
      const encrypted = readFileSync(uri.fsPath);
      for (const fault of [{ at: 'write', afterBytes: 4 * MiB }, { at: 'sync' }, { at: 'rename' }] as const) {
        env.testing.editor.setWriteFaults(fault);
        await refused('decryptFile', { uri }, /EIO/);
        unchanged(uri.fsPath, encrypted);
      }
      // Re-encrypt rewrites the header in place (its first write, its flush, its commit): the original header is put back.
      for (const fault of [{ at: 'write' }, { at: 'sync' }, { at: 'rename' }] as const) {
        env.testing.editor.setWriteFaults(fault);
        await refused('reEncryptFile', { uri, keyId: other }, /EIO/);
        unchanged(uri.fsPath, encrypted);
      }
    });

    it('follows the settings: kmsWorkbench.defaultKey skips the picker, fileFormat and promptForEncryptionContext', async () => {
      const config = vscode.workspace.getConfiguration('kmsWorkbench');
      await config.update('defaultKey', keyAlias, vscode.ConfigurationTarget.Workspace);
      await config.update('fileFormat', 'binary', vscode.ConfigurationTarget.Workspace);
      await config.update('promptForEncryptionContext', false, vscode.ConfigurationTarget.Workspace);
      try {
        const uri = file('settings.env', 'A=1\n');
        // The workspace both chooses the key and turns off the context prompt: the key (and its
        // account) is shown once, the first time, so the repository never picks it unseen.
        const { result, ui } = await withAnswers(env.testing, [ENCRYPT_WITH_WORKSPACE_KEY], () => run<FileResult[]>('encryptFile', uri));
        assert.deepEqual(
          ui.asked.map((a) => a.kind),
          ['choose'],
          'no key picker, no context prompt; the workspace key confirmed once',
        );
        assert.match(ui.shown[0].message, new RegExp(`encrypts with ${keyAlias}.* in AWS account \\d{12}`));
        const second = await withAnswers(env.testing, [], () => run<FileResult[]>('encryptFile', file('settings-again.env', 'A=2\n')));
        assert.deepEqual(second.ui.asked, [], 'asked once per workspace and key');
        assert.equal(result[0].keyId, key);
        assert.equal(result[0].format, 'binary');
        assert.deepEqual([...readFileSync(uri.fsPath).subarray(0, 3)], [0x02, 0x04, 0x78]);
        await config.update('defaultKey', 'alias/does-not-exist', vscode.ConfigurationTarget.Workspace);
        const other = file('settings2.env', 'B=2\n');
        await refused(
          'encryptFile',
          { uri: other },
          /The kmsWorkbench\.defaultKey setting names "alias\/does-not-exist", which does not exist/,
        );
        unchanged(other.fsPath, Buffer.from('B=2\n'));
      } finally {
        for (const name of ['defaultKey', 'fileFormat', 'promptForEncryptionContext'])
          await config.update(name, undefined, vscode.ConfigurationTarget.Workspace);
      }
    });

    it('refuses bad arguments by name, before touching anything', async () => {
      const uri = file('args.env', 'A=1\n');
      await refused('encryptFile', { uri: 'relative/path.env', keyId: key }, /"uri" must be a Uri or an absolute file path/);
      await refused('encryptFile', { uri, keyId: key, format: 'zip' }, /"format" must be one of base64, binary, blob/);
      await refused(
        'encryptFile',
        { uri, keyId: key, encryptionContext: { a: 1 } },
        /"encryptionContext" must be an object of string values/,
      );
      await refused('encryptFile', { uri, key: key }, /does not take "key"/);
      await refused('encryptFile', { uri }, /name the key with "keyId"/);
      const signing = await env.gateway.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
      await refused('encryptFile', { uri, keyId: signing.KeyId }, /symmetric encryption key/);
      unchanged(uri.fsPath, Buffer.from('A=1\n'));
    });
  });
});
