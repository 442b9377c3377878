// SOPS files (issue 12) in the real VS Code (code-server's extension host) against the KMS
// emulator seeded with the keys of the fixtures the real sops 3.8.1 wrote (test/fixtures/sops,
// the workspace of this run). Files are checked with the SOPS core over the tests' own KMS
// client, with the `age` CLI for the age entry, and line by line against what sops wrote.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KMS } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import type { OpenDecryptedResult } from '../../src/host/decrypted/decryptedCommands';
import { flattenTree } from '../../src/core/sops/metadata';
import { decryptSopsText, openDataKey, readSopsFile, type SopsKeyService } from '../../src/core/sops/sopsFile';
import { closeAllEditors, run, setText, workspaceDir } from './decrypted/support';
import { emulatorUrl } from './util/env';

const KEY1 = 'arn:aws:kms:us-east-1:111122223333:key/5c0b5f7e-1d2a-4c3b-9e8f-7a6b5c4d3e2f';
const KEY2 = 'arn:aws:kms:us-east-1:111122223333:key/6d1c6a8f-2e3b-4d4c-8f9a-8b7c6d5e4f30';

/** Lines that differ between two versions of a file, ciphertexts shortened. */
function changedLines(a: string, b: string): string[] {
  const la = a.split('\n');
  const lb = b.split('\n');
  assert.equal(la.length, lb.length, 'same number of lines');
  return la
    .flatMap((l, i) => (l === lb[i] ? [] : [l.replace(/ENC\[.*$/, 'ENC[…]').trim()]))
    .filter((l) => !/lastmodified|\bmac\b|sops_mac/.test(l));
}

describe('SOPS files', function () {
  this.timeout(120_000);
  let dir: string;
  let client: KMS;
  let keys: SopsKeyService;
  const file = (name: string): string => join(dir, name);
  const read = (name: string): string => readFileSync(file(name), 'utf8');

  before(async function () {
    dir = workspaceDir();
    if (!existsSync(join(dir, 'app.sops.yaml')) || !existsSync(join(dir, 'seed.yaml'))) {
      console.log('      (skipped: this suite runs in the workspace of SOPS fixtures, see test/harness/integrationRuns.ts)');
      this.skip();
    }
    client = new KMS({ endpoint: emulatorUrl(), region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    keys = {
      decryptDataKey: async (key) =>
        (
          await client.decrypt({
            CiphertextBlob: Buffer.from(key.enc, 'base64'),
            EncryptionContext: key.context ? { ...key.context } : undefined,
            KeyId: key.arn,
          })
        ).Plaintext!,
      encryptDataKey: async (key, dataKey) => (await client.encrypt({ KeyId: key.arn, Plaintext: dataKey })).CiphertextBlob!,
    };
    await vscode.workspace.getConfiguration('files').update('autoSave', 'off', vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await closeAllEditors();
    client?.destroy();
  });

  it('opens a SOPS YAML file decrypted as sops prints it, and a save re-encrypts only the edited value', async () => {
    const before = read('app.sops.yaml');
    const opened = await run<OpenDecryptedResult>('openDecrypted', { uri: file('app.sops.yaml') });
    assert.equal(opened.format, 'sops');
    assert.equal(opened.keyId, KEY1);
    const editor = vscode.window.activeTextEditor!;
    assert.equal(editor.document.uri.toString(), opened.uri);
    assert.equal(editor.document.languageId, 'yaml');
    const text = editor.document.getText();
    assert.match(text, /^# Database settings\ndb:\n {4}user: admin\n {4}# inline comment\n {4}password: fixture-s3cret\n/);
    await setText(editor.document, text.replace('password: fixture-s3cret', 'password: edited-in-vscode'));
    assert.ok(await editor.document.save(), 'the save succeeds');
    const after = read('app.sops.yaml');
    assert.deepEqual(changedLines(before, after), ['password: ENC[…]']);
    const back = await decryptSopsText('app.sops.yaml', after, keys);
    assert.match(back.plaintext.toString(), /password: edited-in-vscode/);
    await closeAllEditors();
  });

  it('a KMS + age file keeps its age entry after an edit, and its data key still opens with the age identity', async () => {
    const before = read('kms-and-age.sops.env');
    const opened = await run<OpenDecryptedResult>('openDecrypted', { uri: file('kms-and-age.sops.env') });
    assert.ok(
      opened.changesOnSave.some((c) => /age recipient age15mhdgyp/.test(c)),
      opened.changesOnSave.join(' '),
    );
    const editor = vscode.window.activeTextEditor!;
    await setText(editor.document, editor.document.getText().replace('API_KEY=fixture-key-1', 'API_KEY=new-key'));
    assert.ok(await editor.document.save());
    const after = read('kms-and-age.sops.env');
    assert.deepEqual(changedLines(before, after), ['API_KEY=ENC[…]']);
    const ageLines = (t: string) => t.split('\n').filter((l) => l.startsWith('sops_age'));
    assert.deepEqual(ageLines(after), ageLines(before));
    const doc = readSopsFile('kms-and-age.sops.env', after)!;
    const armored = flattenTree(doc.metadataTree).find(([k]) => k === 'age__list_0__map_enc')![1];
    const viaAge = execFileSync('age', ['-d', '-i', file('age-identity.txt')], { input: armored });
    assert.deepEqual(viaAge, (await openDataKey(doc, keys)).dataKey);
    await closeAllEditors();
  });

  it('adds a KMS key and removes one (values untouched; the file then opens with the other key alone)', async () => {
    const before = read('app.sops.json');
    const added = await run<{ keyIds: string[]; added: string[] }>('addSopsKey', {
      uri: file('app.sops.json'),
      keyId: 'alias/sops-fixtures-second',
    });
    assert.deepEqual(added.added, [KEY2]);
    assert.deepEqual(added.keyIds, [KEY1, KEY2]);
    const withTwo = read('app.sops.json');
    const values = (t: string) => t.split('"sops"')[0];
    assert.equal(values(withTwo), values(before));
    await assert.rejects(Promise.resolve(run('removeSopsKey', { uri: file('app.sops.json'), keyId: KEY1 })), /confirm/);
    const removed = await run<{ keyIds: string[]; removed: string[] }>('removeSopsKey', {
      uri: file('app.sops.json'),
      keyId: KEY1,
      confirm: true,
    });
    assert.deepEqual(removed.keyIds, [KEY2]);
    await client.disableKey({ KeyId: KEY1 });
    try {
      const back = await decryptSopsText('app.sops.json', read('app.sops.json'), keys);
      assert.match(back.plaintext.toString(), /"password": "fixture-s3cret"/);
    } finally {
      await client.enableKey({ KeyId: KEY1 });
    }
  });

  it('rotates the data key: every value re-encrypted, the same plaintext', async () => {
    const before = read('two-keys.sops.yaml');
    await run('rotateSopsDataKey', { uri: file('two-keys.sops.yaml') });
    const after = read('two-keys.sops.yaml');
    const encryptedLines = before.split('\n').filter((l) => l.includes('ENC[') && !/\bmac:/.test(l)).length;
    assert.equal(
      changedLines(before, after).filter((l) => l.includes('ENC[')).length,
      encryptedLines,
      'every encrypted value and comment changed',
    );
    const a = await openDataKey(readSopsFile('two-keys.sops.yaml', before)!, keys);
    const b = await openDataKey(readSopsFile('two-keys.sops.yaml', after)!, keys);
    assert.notDeepEqual(a.dataKey, b.dataKey);
    assert.equal(
      (await decryptSopsText('t.yaml', after, keys)).plaintext.toString(),
      (await decryptSopsText('t.yaml', before, keys)).plaintext.toString(),
    );
  });

  it("Encrypt File under a .sops.yaml rule writes SOPS with the rule's keys and encrypted_regex, as sops did", async () => {
    const target = file('creation-rules/secrets/prod/new.yaml');
    mkdirSync(join(dir, 'creation-rules/secrets/prod'), { recursive: true });
    writeFileSync(target, read('plain/app.yaml'));
    const [result] = await run<Array<{ format: string; keyIds: string[]; creationRule?: string }>>('encryptFile', { uri: target });
    assert.equal(result.format, 'sops');
    assert.deepEqual(result.keyIds, [KEY1, KEY2]);
    assert.equal(result.creationRule, join(dir, 'creation-rules/.sops.yaml'));
    const mask = (t: string) =>
      t
        .replace(/ENC\[[^\]]*\]/g, 'ENC')
        .replace(/AQICAH[A-Za-z0-9+/=]+/g, 'BLOB')
        .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, 'TIME');
    assert.equal(mask(readFileSync(target, 'utf8')), mask(read('creation-rules/secrets/prod/app.yaml')));
    await assert.rejects(Promise.resolve(run('encryptFile', { uri: target })), /already encrypted/);
  });

  it("keys a repository chose in another account are refused when scripted (a .sops.yaml rule, a SOPS file's own entries)", async () => {
    const foreign = 'arn:aws:kms:us-east-1:999999999999:key/0f0e0d0c-0b0a-4909-8807-060504030201';
    mkdirSync(join(dir, 'foreign'), { recursive: true });
    writeFileSync(join(dir, 'foreign/.sops.yaml'), `creation_rules:\n  - kms: ${KEY1},${foreign}\n`);
    writeFileSync(join(dir, 'foreign/app.env'), 'A=1\n');
    await assert.rejects(
      Promise.resolve(run('encryptFile', { uri: join(dir, 'foreign/app.env') })),
      /names the key arn:aws:kms:us-east-1:999999999999:key\/[0-9a-f-]+, in AWS account 999999999999, which is not one of your accounts/,
    );
    assert.equal(readFileSync(join(dir, 'foreign/app.env'), 'utf8'), 'A=1\n', 'nothing written');
    const withForeign = read('encrypted-regex.sops.yaml').replace(
      '    kms:\n',
      `    kms:\n        - arn: ${foreign}\n          created_at: "2026-12-03T08:29:18Z"\n          enc: AQID\n          aws_profile: ""\n`,
    );
    writeFileSync(join(dir, 'foreign/planted.sops.yaml'), withForeign);
    await assert.rejects(
      Promise.resolve(run('rotateSopsDataKey', { uri: join(dir, 'foreign/planted.sops.yaml') })),
      /in AWS account 999999999999, which is not one of your accounts/,
    );
    assert.equal(readFileSync(join(dir, 'foreign/planted.sops.yaml'), 'utf8'), withForeign, 'left as it was');
  });

  it('Decrypt File writes what sops --decrypt prints; a tampered file is refused saying why', async () => {
    await run('decryptFile', { uri: file('app.sops.env') });
    assert.equal(read('app.sops.env'), read('plain/app.env'));
    await assert.rejects(
      Promise.resolve(run('openDecrypted', { uri: file('tampered-value.sops.yaml') })),
      /"db\.port" does not authenticate/,
    );
    await assert.rejects(Promise.resolve(run('decryptFile', { uri: file('tampered-mac.sops.yaml') })), /MAC mismatch/);
    assert.match(read('tampered-mac.sops.yaml'), /^sops:/m, 'left as it was');
  });
});
