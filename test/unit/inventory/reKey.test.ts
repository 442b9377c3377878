// Re-keying many files against the emulator: every format, verification, the plan's
// obstacles, a failure half-way that leaves the rest untouched, and a resumed run.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decryptFileInPlace, encryptFileInPlace } from '../../../src/core/envelope/fileEncryption';
import { encryptSecret } from '../../../src/core/envelope/secretText';
import { classifyFile, type InventoryEntry } from '../../../src/core/inventory/classify';
import { keyIdOf } from '../../../src/core/inventory/keyRefs';
import { describePlan, planReKey, type ReKeyJournalState, type ReKeyRun, runReKey } from '../../../src/core/inventory/reKey';
import { decryptSopsText, type SopsKeyService } from '../../../src/core/sops/sopsFile';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';
import { FIXTURES, KEY1 } from '../sops/sopsFixture';

describe('inventory: re-keying many files', function () {
  let kms: KmsFixture;
  let keys: SopsKeyService;
  let n = 0;

  before(async function () {
    kms = await startKmsFixture();
    kms.emulator.seed(join(FIXTURES, 'seed.yaml'));
    keys = {
      decryptDataKey: async (key) =>
        (
          await kms.gatewayFor(key.arn.split(':')[3]).decrypt({
            ciphertext: Buffer.from(key.enc, 'base64'),
            keyId: key.arn,
            encryptionContext: key.context ? { ...key.context } : undefined,
          })
        ).plaintext,
      encryptDataKey: async (key, dataKey) =>
        (
          await kms
            .gatewayFor(key.arn.split(':')[3])
            .encrypt({ keyId: key.arn, plaintext: dataKey, encryptionContext: key.context ? { ...key.context } : undefined })
        ).ciphertext,
    };
  });
  after(async () => kms.close());

  /** One file of each format under `from` (SOPS: the fixture's KEY1), plus a plaintext file. */
  async function workspace(from: string): Promise<{ dir: string; paths: Record<string, string> }> {
    const dir = join(kms.dir, `ws${n++}`);
    mkdirSync(dir);
    const p = (name: string, content: string): string => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    };
    const message = p('notes.txt', 'the notes');
    await encryptFileInPlace(message, { keyId: from, encryptionContext: { app: 'x' } }, kms);
    const binary = p('data.bin', 'binary data');
    await encryptFileInPlace(binary, { keyId: from, format: 'binary' }, kms);
    const blob = p('token.kms', 'tok');
    await encryptFileInPlace(blob, { keyId: from, format: 'blob' }, kms);
    const s1 = await encryptSecret(Buffer.from('pw'), { keyId: from }, kms);
    const env = p('app.env', `USER=me\nPASSWORD=${s1.ciphertext}\n`);
    const sops = join(dir, 'app.sops.yaml');
    copyFileSync(join(FIXTURES, 'app.sops.yaml'), sops);
    return { dir, paths: { message, binary, blob, env, sops } };
  }

  async function entries(paths: Record<string, string>): Promise<InventoryEntry[]> {
    return (await Promise.all(Object.values(paths).map((p) => classifyFile(p)))).filter((e): e is InventoryEntry => e !== undefined);
  }

  function runner(journal?: { state?: ReKeyJournalState }): ReKeyRun {
    return {
      gatewayFor: kms.gatewayFor,
      job: kms,
      sopsKeys: keys,
      journal: journal && {
        load: () => journal.state,
        save: (s) => {
          journal.state = s;
          return Promise.resolve();
        },
      },
    };
  }

  it('re-keys every format to the new key and verifies each; the old key can then be disabled', async function () {
    const from = await kms.createKey();
    const to = await kms.createKey();
    const { paths } = await workspace(from);
    const list = await entries(paths);
    const underFrom = list.filter((e) => e.keyRefs.some((r) => keyIdOf(r) === keyIdOf(from)));
    assert.equal(underFrom.length, 4);
    const plan = planReKey(underFrom, { toKeyArns: [to], fromKeyId: from });
    assert.deepEqual(
      plan.items.map((i) => i.method),
      ['rewrap', 'rewrap', 'reencrypt', 'reencrypt'],
    );
    const lines = describePlan(
      plan,
      (r) => keyIdOf(r).slice(0, 8),
      (p) => p.slice(p.lastIndexOf('/') + 1),
    );
    assert.match(
      lines[0],
      new RegExp(`^notes.txt — Encryption SDK message \\(base64\\): ${keyIdOf(from).slice(0, 8)} → ${keyIdOf(to).slice(0, 8)}$`),
    );

    const results = await runReKey(plan, runner());
    assert.deepEqual(
      results.map((r) => r.status),
      ['done', 'done', 'done', 'done'],
    );
    for (const e of await entries({ a: paths.message, b: paths.binary, c: paths.blob, d: paths.env }))
      assert.deepEqual(e.keyRefs.map(keyIdOf), [keyIdOf(to)], e.path);

    // The old key disabled: every file still opens.
    await kms.gateway.disableKey(keyIdOf(from));
    assert.equal((await decryptFileInPlace(paths.message, {}, kms)).keyId, to);
    assert.equal(readFileSync(paths.message, 'utf8'), 'the notes');
    await decryptFileInPlace(paths.blob, {}, kms);
    assert.equal(readFileSync(paths.blob, 'utf8'), 'tok');
    const envBlob = /PASSWORD=(\S+)/.exec(readFileSync(paths.env, 'utf8'))![1];
    assert.equal(Buffer.from((await kms.gateway.decrypt({ ciphertext: Buffer.from(envBlob, 'base64') })).plaintext).toString(), 'pw');
  });

  it('re-keys a SOPS file with updatekeys: the new key opens it, the old entry is gone, values unchanged', async function () {
    const to = await kms.createKey();
    const { paths } = await workspace(await kms.createKey());
    const plan = planReKey([(await classifyFile(paths.sops))!], { toKeyArns: [to], fromKeyId: KEY1 });
    const [result] = await runReKey(plan, runner());
    assert.equal(result.status, 'done', result.message);
    const text = readFileSync(paths.sops, 'utf8');
    assert.ok(!text.includes(KEY1));
    const opened = await decryptSopsText('app.sops.yaml', text, keys);
    assert.equal(opened.openedWith, to);
    const before = await decryptSopsText('app.sops.yaml', readFileSync(join(FIXTURES, 'app.sops.yaml'), 'utf8'), keys);
    assert.equal(opened.plaintext.toString(), before.plaintext.toString());
  });

  it('a failure half-way leaves done files done and the rest untouched; a second run finishes', async function () {
    const from = await kms.createKey();
    const to = await kms.createKey();
    const { paths } = await workspace(from);
    const list = (await entries(paths)).filter((e) => e.format !== 'sops');
    const plan = planReKey(list, { toKeyArns: [to], fromKeyId: from });
    const before = Object.fromEntries(list.map((e) => [e.path, readFileSync(e.path)]));
    const journal: { state?: ReKeyJournalState } = {};
    // notes.txt rewraps (Decrypt, ReEncrypt), data.bin's ReEncrypt is the second: it fails.
    kms.emulator.faults.set('ReEncrypt', { failOnCall: 2 });
    // One file at a time, so which file meets the fault is certain.
    const first = await runReKey(plan, { ...runner(journal), concurrency: 1 });
    kms.emulator.faults.clear();
    assert.deepEqual(
      first.map((r) => r.status),
      ['done', 'failed', 'notRun', 'notRun'],
    );
    assert.match(first[1].message!, /injected failure/);
    assert.deepEqual(journal.state?.done, [list[0].path]);
    for (const e of list.slice(1)) assert.deepEqual(readFileSync(e.path), before[e.path], `${e.path} was touched`);

    // A second run (a fresh plan from the files as they are now) finishes the job.
    const again = planReKey(await entries(paths).then((l) => l.filter((e) => e.format !== 'sops')), { toKeyArns: [to], fromKeyId: from });
    const second = await runReKey(again, runner(journal));
    assert.deepEqual(
      second.map((r) => r.status),
      ['alreadyDone', 'done', 'done', 'done'],
    );
    assert.equal(journal.state, undefined, 'the journal is cleared once everything is done');
  });

  it('the plan refuses what it cannot do, naming why', async function () {
    const from = await kms.createKey();
    const other = await kms.createKey();
    const { paths } = await workspace(from);
    const list = await entries(paths);
    const plan = planReKey(list, { toKeyArns: [other, from] });
    assert.ok(
      plan.items.filter((i) => i.format !== 'sops').every((i) => i.alreadyDone || /only SOPS files take several/.test(i.obstacle ?? '')),
    );
    const wrongSource = planReKey(
      list.filter((e) => e.format === 'sops'),
      { toKeyArns: [other], fromKeyId: from },
    );
    assert.match(wrongSource.items[0].obstacle!, /not encrypted under/);
    assert.throws(() => planReKey(list, { toKeyArns: [] }), /Name the key/);
  });
});
