// The inventory's classifier and index against real ciphertexts: messages, blob files and
// embedded blobs made through the emulator, SOPS files written by the real sops.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encryptFileInPlace } from '../../../src/core/envelope/fileEncryption';
import { encryptSecret } from '../../../src/core/envelope/secretText';
import { classifyFile, HEAD_BYTES } from '../../../src/core/inventory/classify';
import { InventoryIndex } from '../../../src/core/inventory/inventoryIndex';
import { keyProblems, type KnownKey } from '../../../src/core/inventory/keyHealth';
import { keyIdOf, parseKeyRef, UNNAMED_KEY } from '../../../src/core/inventory/keyRefs';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';
import { FIXTURES, KEY1, KEY2 } from '../sops/sopsFixture';

describe('inventory: classifying files without decrypting', function () {
  let kms: KmsFixture;
  let keyA: string;
  let keyB: string;
  let dir: string;

  before(async function () {
    kms = await startKmsFixture();
    keyA = await kms.createKey({ alias: 'alias/app' });
    keyB = await kms.createKey();
    dir = join(kms.dir, 'ws');
    mkdirSync(dir);
  });
  after(async () => kms.close());

  const file = (name: string, content: string | Buffer): string => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };

  it('reads a base64 and a binary Encryption SDK message: key ARN, context, format', async function () {
    const b64 = file('a.txt', 'hello');
    await encryptFileInPlace(b64, { keyId: keyA, encryptionContext: { app: 'web' } }, kms);
    const bin = file('b.bin', 'hello');
    await encryptFileInPlace(bin, { keyId: keyB, format: 'binary' }, kms);
    kms.emulator.resetCalls();
    const a = await classifyFile(b64);
    const b = await classifyFile(bin);
    assert.equal(a?.format, 'message');
    assert.equal(a?.formatLabel, 'Encryption SDK message (base64)');
    assert.deepEqual(a?.keyRefs, [keyA]);
    assert.deepEqual(a?.encryptionContext, { app: 'web' });
    assert.equal(b?.formatLabel, 'Encryption SDK message (binary)');
    assert.deepEqual(b?.keyRefs, [keyB]);
    assert.deepEqual(kms.emulator.calls(), {}, 'classifying made KMS calls');
  });

  it('reads a blob file and names the key id its bytes carry', async function () {
    const blob = file('token.kms', 'short secret');
    await encryptFileInPlace(blob, { keyId: keyB, format: 'blob' }, kms);
    const entry = await classifyFile(blob);
    assert.equal(entry?.format, 'blob-file');
    assert.deepEqual(entry?.keyRefs, [keyIdOf(keyB)]);
  });

  it('finds KMS blobs inside a .env and a YAML file, with line and key', async function () {
    const s1 = await encryptSecret(Buffer.from('pw1'), { keyId: keyA }, kms);
    const s2 = await encryptSecret(Buffer.from('pw2'), { keyId: keyB }, kms);
    const env = file(
      '.env',
      `# app\nUSER=admin\nPASSWORD=${s1.ciphertext}\nTOKEN="${s2.ciphertext}"\nNOT_A_BLOB=SGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=\n`,
    );
    const entry = await classifyFile(env);
    assert.equal(entry?.format, 'embedded');
    assert.equal(entry?.embeddedCount, 2);
    assert.deepEqual(entry?.keyRefs, [keyIdOf(keyA), keyIdOf(keyB)]);
    assert.deepEqual(
      entry?.embedded?.map((e) => [e.line, e.character]),
      [
        [2, 9],
        [3, 7],
      ],
    );
    const yaml = file('values.yaml', `db:\n  password: ${s1.ciphertext}\n`);
    assert.deepEqual((await classifyFile(yaml))?.keyRefs, [keyIdOf(keyA)]);
  });

  it('plain text, base64 of text, binary junk and empty files are not encrypted', async function () {
    assert.equal(await classifyFile(file('plain.env', 'PASSWORD=hunter2\n')), undefined);
    assert.equal(
      await classifyFile(file('words.txt', `${Buffer.from('hello world, this is plain text').toString('base64')}\n`)),
      undefined,
    );
    assert.equal(await classifyFile(file('junk.bin', Buffer.from([0, 1, 2, 3, 0, 9, 9]))), undefined);
    assert.equal(await classifyFile(file('empty', '')), undefined);
  });

  it('reads SOPS files written by sops: KMS ARNs, per-key context, other master keys', async function () {
    for (const name of ['app.sops.yaml', 'app.sops.json', 'app.sops.env', 'app.sops.ini', 'blob.sops.json']) {
      const p = join(dir, name);
      copyFileSync(join(FIXTURES, name), p);
      const entry = await classifyFile(p);
      assert.equal(entry?.format, 'sops', name);
      assert.deepEqual(entry?.keyRefs, [KEY1], name);
    }
    copyFileSync(join(FIXTURES, 'two-keys.sops.yaml'), join(dir, 'two.sops.yaml'));
    assert.deepEqual((await classifyFile(join(dir, 'two.sops.yaml')))?.keyRefs, [KEY1, KEY2]);
    copyFileSync(join(FIXTURES, 'kms-and-age.sops.env'), join(dir, 'age.sops.env'));
    const age = await classifyFile(join(dir, 'age.sops.env'));
    assert.equal(age?.otherMasterKeys?.length, 1);
    assert.match(age.otherMasterKeys[0], /^age age1/);
    copyFileSync(join(FIXTURES, 'context.sops.yaml'), join(dir, 'ctx.sops.yaml'));
    assert.deepEqual((await classifyFile(join(dir, 'ctx.sops.yaml')))?.kmsContexts, { [KEY1]: { app: 'fixtures', env: 'test' } });
  });

  it('finds SOPS metadata at the end of a file larger than the head it reads', async function () {
    const text = readFileSync(join(FIXTURES, 'app.sops.yaml'), 'utf8');
    const padding = `# ${'x'.repeat(100)}\n`.repeat(Math.ceil(HEAD_BYTES / 100) + 10);
    const p = file('big.sops.yaml', padding + text);
    const entry = await classifyFile(p);
    assert.equal(entry?.format, 'sops');
    assert.deepEqual(entry?.keyRefs, [KEY1]);
  });

  it('the index re-reads only a file that changed, and groups by key id', async function () {
    const sub = join(dir, 'idx');
    mkdirSync(sub);
    const paths: string[] = [];
    for (let i = 0; i < 6; i++) {
      const p = join(sub, `f${i}.txt`);
      writeFileSync(p, `file ${i}`);
      if (i < 3) await encryptFileInPlace(p, { keyId: i === 0 ? keyB : keyA }, kms);
      paths.push(p);
    }
    const index = new InventoryIndex();
    const progress: number[] = [];
    await index.scan(paths, { onProgress: (p) => progress.push(p.done) });
    assert.equal(index.reads, 6);
    assert.equal(progress.at(-1), 6);
    assert.deepEqual(
      index.groups().map((g) => [g.keyId, g.files.length]),
      [
        [keyIdOf(keyA), 2],
        [keyIdOf(keyB), 1],
      ],
    );
    assert.equal(index.countsByKey().get(keyIdOf(keyA)), 2);

    // Nothing changed: nothing is read again.
    await index.scan(paths);
    assert.equal(index.reads, 6);

    // One file encrypted: only it is read, and listeners hear of it.
    const heard: string[] = [];
    index.onDidChange((changes) => heard.push(...changes.map((c) => c.path)));
    await encryptFileInPlace(paths[4], { keyId: keyB }, kms);
    await index.update(paths[4]);
    assert.equal(index.reads, 7);
    assert.deepEqual(heard, [paths[4]]);
    assert.deepEqual(
      index
        .filesUnder(keyB)
        .map((e) => e.path)
        .sort(),
      [paths[0], paths[4]].sort(),
    );

    // A changed timestamp with the same content is read again; a deleted file leaves its group.
    utimesSync(paths[5], new Date(), new Date(Date.now() + 5000));
    await index.update(paths[5]);
    assert.equal(index.reads, 8);
    index.remove(paths[0]);
    assert.equal(index.filesUnder(keyB).length, 1);
  });

  it('key health: each state, untrusted account and unknown key, with fixes', async function () {
    const p = join(dir, 'health.txt');
    writeFileSync(p, 'x');
    await encryptFileInPlace(p, { keyId: keyA }, kms);
    const entry = (await classifyFile(p))!;
    const known = (state: string): KnownKey => ({ keyId: keyIdOf(keyA), arn: keyA, state, aliases: ['alias/app'], connectionId: 'emu' });
    const lookup = (k: KnownKey | undefined, trusted = true) => ({ known: () => k, trusted: () => trusted });
    assert.deepEqual(keyProblems(entry, lookup(known('Enabled'))), []);
    const disabled = keyProblems(entry, lookup(known('Disabled')));
    assert.equal(disabled[0].kind, 'disabled');
    assert.deepEqual(disabled[0].fixes, ['enableKey', 'reKey']);
    assert.match(disabled[0].message, /alias\/app .*disabled.*Nobody can open/);
    const pending = keyProblems(entry, lookup({ ...known('PendingDeletion'), deletionDate: new Date('2030-01-02T00:00:00Z') }));
    assert.deepEqual(pending[0].fixes, ['cancelKeyDeletion', 'reKey']);
    assert.match(pending[0].message, /scheduled for deletion on 2030-01-02/);
    assert.equal(keyProblems(entry, lookup(known('PendingImport')))[0].kind, 'pendingImport');
    assert.equal(keyProblems(entry, lookup(known('Unavailable')))[0].kind, 'unavailable');
    const untrusted = keyProblems(entry, lookup(known('Enabled'), false));
    assert.equal(untrusted[0].kind, 'untrustedAccount');
    assert.match(untrusted[0].message, new RegExp(`account ${parseKeyRef(keyA).account}`));
    assert.equal(keyProblems(entry, lookup(undefined))[0].kind, 'unknownKey');
    // A file with a fine key and a disabled one still opens.
    const two = { ...entry, keyRefs: [keyA, keyB] };
    const mixed = keyProblems(two, {
      known: (r) => (r === keyA ? known('Disabled') : { keyId: keyIdOf(keyB), state: 'Enabled', connectionId: 'emu' }),
      trusted: () => true,
    });
    assert.equal(mixed.length, 1);
    assert.equal(mixed[0].fileStillOpens, true);
    // Blobs that name no key raise nothing (nothing is known to warn about).
    assert.deepEqual(keyProblems({ ...entry, keyRefs: [UNNAMED_KEY] }, lookup(undefined)), []);
  });
});
