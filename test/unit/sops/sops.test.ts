import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYamlText } from 'yaml';
import { decryptBytesToMemory, encryptForTarget } from '../../../src/core/decrypted/decryptedFile';
import { detectFileFormat, isEncryptedFormat } from '../../../src/core/envelope/detect';
import { decryptFileInPlace, inspectFile } from '../../../src/core/envelope/fileEncryption';
import { parseDotenv } from '../../../src/core/sops/dotenvStore';
import { emitYaml, parseYaml } from '../../../src/core/sops/yamlStore';
import { parseIni } from '../../../src/core/sops/iniStore';
import { creationRuleFor, kmsKeysFromString, matchCreationRule } from '../../../src/core/sops/creationRules';
import { flattenTree, unflattenTree } from '../../../src/core/sops/metadata';
import { combineShares, splitSecret } from '../../../src/core/sops/shamir';
import {
  decryptSops,
  decryptSopsText,
  encryptNew,
  isSopsFile,
  openDataKey,
  readSopsFile,
  saveEdit,
  type SopsFormat,
} from '../../../src/core/sops/sopsFile';
import { rotateDataKey, updateKmsKeys } from '../../../src/core/sops/sopsRekey';
import { emitPlain } from '../../../src/core/sops/sopsStores';
import { goFormatFloat, type SopsError } from '../../../src/core/sops/tree';
import { fixture, FIXTURES, KEY1, KEY2, type SopsFixture, startSopsFixture } from './sopsFixture';

/** What the real sops 3.8.1 prints for `sops --decrypt` of each fixture (see the notes). */
function expectedPlain(name: string): Buffer {
  const plainYaml = fixture('plain/app.yaml');
  // sops moves a line comment above its item (the fixture creation-rules/secrets/prod/app.yaml,
  // written by sops with clear values, shows the same).
  const sopsYaml = plainYaml.replace(
    '    password: fixture-s3cret # inline comment\n',
    '    # inline comment\n    password: fixture-s3cret\n',
  );
  switch (name) {
    case 'app.sops.yaml':
    case 'context.sops.yaml':
    case 'two-keys.sops.yaml':
    case 'creation-rules/secrets/prod/app.yaml':
      return Buffer.from(sopsYaml);
    case 'app.sops.json':
      // Go's json.Indent output, without a final newline (as in app.sops.json itself).
      return Buffer.from(fixture('plain/app.json').replace(/\n$/, ''));
    case 'app.sops.env':
    case 'kms-and-age.sops.env':
    case 'creation-rules/secrets/dev/app.env':
      return Buffer.from(fixture('plain/app.env'));
    case 'app.sops.ini':
      // go-ini aligns the `=` of a section and ends every section with a blank line (see app.sops.ini).
      return Buffer.from('[db]\nuser     = admin\npassword = fixture-s3cret\n\n[api]\nkey = fixture-key-1\n\n');
    case 'blob.sops.json':
      return Buffer.from(execFileSync('cat', [join(FIXTURES, 'plain/blob.bin')]));
    case 'encrypted-regex.sops.yaml':
    case 'unencrypted-suffix.sops.yaml':
      return Buffer.from(fixture('plain/partial.yaml'));
    default:
      throw new Error(name);
  }
}

const READABLE = [
  'app.sops.yaml',
  'app.sops.json',
  'app.sops.env',
  'app.sops.ini',
  'blob.sops.json',
  'context.sops.yaml',
  'encrypted-regex.sops.yaml',
  'unencrypted-suffix.sops.yaml',
  'two-keys.sops.yaml',
  'kms-and-age.sops.env',
  'creation-rules/secrets/dev/app.env',
  'creation-rules/secrets/prod/app.yaml',
];

function withoutMacLines(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/(^|\b|_)(lastmodified|mac)\b/.test(l))
    .join('\n');
}

function changedLines(a: string, b: string): string[] {
  const la = a.split('\n');
  const lb = b.split('\n');
  assert.equal(la.length, lb.length, 'same number of lines');
  return la.flatMap((l, i) => (l === lb[i] ? [] : [l.replace(/ENC\[.*$/, 'ENC[…]').trim()]));
}

/** The independent reader: the npm package sops-decoder (JSON trees) against the emulator. */
async function independentDecrypt(f: SopsFixture, format: SopsFormat, text: string): Promise<unknown> {
  const { decrypt } = await import('sops-decoder');
  let tree: Record<string, unknown>;
  if (format === 'yaml') tree = parseYamlText(text) as Record<string, unknown>;
  else if (format === 'json' || format === 'binary') tree = JSON.parse(text) as Record<string, unknown>;
  else {
    const b = format === 'dotenv' ? parseDotenv(text) : parseIni(text);
    const flat: Array<[string, string]> = [];
    tree = {};
    if (format === 'dotenv') {
      for (const i of b) {
        if (typeof i.key !== 'string') continue;
        if (i.key.startsWith('sops_')) flat.push([i.key.slice(5), typeof i.value === 'string' ? i.value : '']);
        else tree[i.key] = i.value;
      }
    } else {
      for (const i of b) {
        if (typeof i.key !== 'string' || !Array.isArray(i.value)) continue;
        const section: Record<string, unknown> = Object.fromEntries(
          (i.value as Array<{ key: unknown; value: unknown }>).filter((e) => typeof e.key === 'string').map((e) => [e.key, e.value]),
        );
        if (i.key === 'sops') flat.push(...Object.entries(section).map(([k, v]) => [k, String(v)] as [string, string]));
        else tree[i.key] = section;
      }
    }
    tree.sops = JSON.parse(JSON.stringify(toPlainJson(unflattenTree(flat))));
  }
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_KMS: f.emulator.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(f.dir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(f.dir, 'none'),
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  try {
    return await decrypt(tree as never);
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

function toPlainJson(value: unknown): unknown {
  if (Array.isArray(value)) {
    const isBranchLike = value.every((v) => v && typeof v === 'object' && 'key' in (v as object));
    if (isBranchLike && value.length > 0)
      return Object.fromEntries((value as Array<{ key: string; value: unknown }>).map((i) => [i.key, toPlainJson(i.value)]));
    return value.map(toPlainJson);
  }
  return value;
}

describe('SOPS files (fixtures written by sops 3.8.1, emulator seeded with their keys)', function () {
  this.timeout(60_000);
  let f: SopsFixture;
  before(async () => {
    f = await startSopsFixture();
  });
  after(async () => {
    await f.close();
  });

  describe('recognising and reading', () => {
    it('recognises every fixture as SOPS and a plaintext file or .sops.yaml as not', () => {
      for (const name of [...READABLE, 'tampered-value.sops.yaml', 'tampered-mac.sops.yaml'])
        assert.ok(isSopsFile(name, fixture(name)), name);
      for (const name of ['plain/app.yaml', 'plain/app.json', 'plain/app.env', 'plain/app.ini', 'creation-rules/.sops.yaml'])
        assert.equal(isSopsFile(name, fixture(name)), false, name);
      assert.equal(readSopsFile('blob.sops.json', fixture('blob.sops.json'))!.format, 'binary');
      assert.equal(readSopsFile('app.sops.json', fixture('app.sops.json'))!.format, 'json');
      assert.equal(readSopsFile('anything.enc', fixture('app.sops.json'))!.format, 'json');
    });

    it('reads the metadata: KMS entries with context, other master keys named, options', () => {
      const ctx = readSopsFile('context.sops.yaml', fixture('context.sops.yaml'))!.metadata;
      assert.deepEqual(ctx.groups[0].kms[0].context, { app: 'fixtures', env: 'test' });
      assert.equal(ctx.unencryptedSuffix, '_unencrypted');
      assert.equal(ctx.version, '3.8.1');
      const age = readSopsFile('kms-and-age.sops.env', fixture('kms-and-age.sops.env'))!.metadata;
      assert.deepEqual(age.groups[0].others, [{ type: 'age', id: 'age15mhdgypvs07qmlu9c2xgp0ml904mzc74uyzlf7pqwljqpu3je33qh928ax' }]);
      assert.equal(
        readSopsFile('encrypted-regex.sops.yaml', fixture('encrypted-regex.sops.yaml'))!.metadata.encryptedRegex,
        '^(password|api_key)$',
      );
      assert.equal(readSopsFile('two-keys.sops.yaml', fixture('two-keys.sops.yaml'))!.metadata.groups[0].kms.length, 2);
    });

    for (const name of READABLE) {
      it(`decrypts ${name} to what sops --decrypt prints`, async () => {
        const out = await decryptSopsText(name, fixture(name), f.keys);
        assert.deepEqual(out.plaintext.toString('latin1'), expectedPlain(name).toString('latin1'));
      });
    }

    it('opens a two-key file with either key (the first disabled)', async () => {
      const doc = readSopsFile('two-keys.sops.yaml', fixture('two-keys.sops.yaml'))!;
      await f.gateway.disableKey(KEY1);
      try {
        const { openedWith } = await openDataKey(doc, f.keys);
        assert.equal(openedWith, KEY2);
        const out = await decryptSopsText('two-keys.sops.yaml', fixture('two-keys.sops.yaml'), f.keys);
        assert.equal(out.plaintext.toString(), expectedPlain('two-keys.sops.yaml').toString());
      } finally {
        await f.gateway.enableKey(KEY1);
      }
    });

    it('refuses a changed ciphertext, naming the value, and a MAC mismatch, saying so; never returns plaintext', async () => {
      await assert.rejects(
        decryptSopsText('tampered-value.sops.yaml', fixture('tampered-value.sops.yaml'), f.keys),
        (e: SopsError) => e.code === 'SopsTampered' && /"db\.port"/.test(e.message) && /message authentication failed/.test(e.message),
      );
      await assert.rejects(
        decryptSopsText('tampered-mac.sops.yaml', fixture('tampered-mac.sops.yaml'), f.keys),
        (e: SopsError) => e.code === 'SopsMacMismatch' && /MAC mismatch/.test(e.message),
      );
    });

    it('a file without a usable KMS entry names its master keys and what opens it', async () => {
      const text = fixture('kms-and-age.sops.env')
        .split('\n')
        .filter((l) => !l.startsWith('sops_kms'))
        .join('\n');
      await assert.rejects(
        decryptSopsText('x.env', text, f.keys),
        (e: SopsError) => e.code === 'SopsNoUsableKey' && /age recipient age15mhdgyp/.test(e.message) && /sops/.test(e.message),
      );
      const wrongContext = fixture('context.sops.yaml').replace('env: test', 'env: prod');
      await assert.rejects(
        decryptSopsText('c.yaml', wrongContext, f.keys),
        (e: SopsError) => e.code === 'SopsNoUsableKey' && new RegExp(KEY1).test(e.message),
      );
    });
  });

  describe('saving an edit', () => {
    for (const name of READABLE) {
      it(`a no-op save of ${name} is byte-identical apart from lastmodified and mac, and still decrypts (ours and sops-decoder)`, async () => {
        const text = fixture(name);
        const decrypted = await decryptSops(readSopsFile(name, text)!, f.keys);
        const saved = saveEdit(decrypted, emitPlain(decrypted.document.format, decrypted.plain));
        assert.equal(withoutMacLines(saved.text), withoutMacLines(text));
        assert.equal(saved.fresh, 0);
        assert.notEqual(saved.text, text, 'lastmodified and mac are new');
        const again = await decryptSopsText(name, saved.text, f.keys);
        assert.deepEqual(again.plaintext, expectedPlain(name));
        await independentDecrypt(f, decrypted.document.format, saved.text);
      });
    }

    const edits: Array<[string, string, string, string[]]> = [
      ['app.sops.yaml', 'password: fixture-s3cret', 'password: changed', ['password: ENC[…]']],
      ['app.sops.json', '"password": "fixture-s3cret"', '"password": "changed"', ['"password": "ENC[…]']],
      ['app.sops.env', 'DB_PASSWORD=fixture-s3cret', 'DB_PASSWORD=changed', ['DB_PASSWORD=ENC[…]']],
      ['app.sops.ini', 'password = fixture-s3cret', 'password = changed', ['password = ENC[…]']],
      ['encrypted-regex.sops.yaml', 'user: admin', 'user: root', ['user: admin']],
      ['unencrypted-suffix.sops.yaml', 'visible in the file', 'still visible', ['description_unencrypted: visible in the file']],
    ];
    for (const [name, from, to, expected] of edits) {
      it(`an edit of ${name} changes only the edited value's ciphertext (and lastmodified, mac)`, async () => {
        const text = fixture(name);
        const decrypted = await decryptSops(readSopsFile(name, text)!, f.keys);
        const plain = emitPlain(decrypted.document.format, decrypted.plain).toString();
        assert.ok(plain.includes(from));
        const saved = saveEdit(decrypted, Buffer.from(plain.replace(from, to)));
        assert.equal(saved.fresh, expected[0].includes('ENC') ? 1 : 0);
        const changed = changedLines(text, saved.text).filter((l) => !/lastmodified|mac/.test(l));
        assert.deepEqual(changed, expected);
        const again = await decryptSopsText(name, saved.text, f.keys);
        assert.ok(again.plaintext.toString().includes(to));
        const independent = JSON.stringify(await independentDecrypt(f, decrypted.document.format, saved.text));
        assert.ok(independent.includes(to.replace(/^.*?[:=] ?"?/, '').replace(/"$/, '')), independent);
      });
    }

    it('an edit of the KMS + age file keeps the age entry, and the data key still opens with the age identity', async function () {
      const text = fixture('kms-and-age.sops.env');
      const decrypted = await decryptSops(readSopsFile('kms-and-age.sops.env', text)!, f.keys);
      const saved = saveEdit(
        decrypted,
        Buffer.from(emitPlain('dotenv', decrypted.plain).toString().replace('API_KEY=fixture-key-1', 'API_KEY=rotated')),
      );
      const ageLines = (t: string) => t.split('\n').filter((l) => l.startsWith('sops_age'));
      assert.deepEqual(ageLines(saved.text), ageLines(text));
      const doc = readSopsFile('kms-and-age.sops.env', saved.text)!;
      const armored = flattenTree(doc.metadataTree).find(([k]) => k === 'age__list_0__map_enc')![1];
      let ageKey: Buffer;
      try {
        ageKey = execFileSync('age', ['-d', '-i', join(FIXTURES, 'age-identity.txt')], { input: armored });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return this.skip();
        throw error;
      }
      assert.deepEqual(ageKey, decrypted.dataKey);
      const again = await decryptSopsText('kms-and-age.sops.env', saved.text, f.keys);
      assert.match(again.plaintext.toString(), /API_KEY=rotated/);
    });

    it('refuses plaintext with a top-level sops key', async () => {
      const decrypted = await decryptSops(readSopsFile('app.sops.yaml', fixture('app.sops.yaml'))!, f.keys);
      assert.throws(() => saveEdit(decrypted, Buffer.from('a: 1\nsops: x\n')), /"sops"/);
    });
  });

  describe('writing new files', () => {
    const cases: Array<[SopsFormat, string]> = [
      ['yaml', 'plain/app.yaml'],
      ['json', 'plain/app.json'],
      ['dotenv', 'plain/app.env'],
      ['ini', 'plain/app.ini'],
      ['binary', 'plain/blob.bin'],
    ];
    for (const [format, source] of cases) {
      it(`encrypts ${source} as ${format} the way sops lays it out, readable by us and by sops-decoder`, async () => {
        const plaintext = Buffer.from(execFileSync('cat', [join(FIXTURES, source)]));
        const text = await encryptNew(plaintext, { format, keys: [{ arn: KEY1 }] }, f.keys);
        const reference = fixture(
          { yaml: 'app.sops.yaml', json: 'app.sops.json', dotenv: 'app.sops.env', ini: 'app.sops.ini', binary: 'blob.sops.json' }[format],
        );
        const mask = (t: string) =>
          t
            .replace(/ENC\[[^\]]*\]/g, 'ENC')
            .replace(/AQICAH[A-Za-z0-9+/=]+/g, 'BLOB')
            .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, 'TIME');
        const ours = mask(text).split('\n');
        const theirs = mask(reference).split('\n');
        if (format === 'ini') assert.deepEqual([...ours].sort(), [...theirs].sort(), 'same lines (go-ini writes metadata in map order)');
        else assert.deepEqual(ours, theirs);
        const name = format === 'binary' ? 'blob.bin' : `x.${format === 'dotenv' ? 'env' : format}`;
        const back = await decryptSopsText(name, text, f.keys);
        assert.deepEqual(
          back.plaintext,
          expectedPlain(
            { yaml: 'app.sops.yaml', json: 'app.sops.json', dotenv: 'app.sops.env', ini: 'app.sops.ini', binary: 'blob.sops.json' }[format],
          ),
        );
        const independent = (await independentDecrypt(f, format, text)) as Record<string, unknown>;
        if (format === 'yaml') assert.equal((independent.db as Record<string, unknown>).password, 'fixture-s3cret');
        if (format === 'binary') assert.equal(independent.data, plaintext.toString('utf8'));
      });
    }

    const options: Array<[string, Record<string, unknown>, string[]]> = [
      ['encrypted_regex', { encryptedRegex: '^(password|api_key)$' }, ['password', 'api_key']],
      ['encrypted_suffix', { encryptedSuffix: '_secret' }, []],
      // only one option applies: with unencrypted_regex the default _unencrypted suffix does not
      ['unencrypted_regex', { unencryptedRegex: '^(user|port)$' }, ['password', 'api_key', 'description_unencrypted']],
      ['unencrypted_suffix', { unencryptedSuffix: '_unencrypted' }, ['user', 'password', 'port', 'api_key']],
      ['mac_only_encrypted', { encryptedRegex: '^password$', macOnlyEncrypted: true }, ['password']],
    ];
    for (const [label, opts, encrypted] of options) {
      it(`honours ${label}: the right values are encrypted, and both readers agree`, async () => {
        const text = await encryptNew(
          Buffer.from(fixture('plain/partial.yaml')),
          { format: 'yaml', keys: [{ arn: KEY1, context: { team: 'a' } }], ...opts },
          f.keys,
        );
        const tree = parseYamlText(text) as Record<string, Record<string, unknown>>;
        const enc = (v: unknown) => typeof v === 'string' && v.startsWith('ENC[');
        const found = [
          ...Object.entries(tree.db)
            .filter(([, v]) => enc(v))
            .map(([k]) => k),
          ...['api_key', 'description_unencrypted'].filter((k) => enc(tree[k])),
        ];
        assert.deepEqual(found.sort(), [...encrypted].sort());
        const back = await decryptSopsText('p.yaml', text, f.keys);
        assert.equal(back.plaintext.toString(), fixture('plain/partial.yaml'));
        const independent = (await independentDecrypt(f, 'yaml', text)) as Record<string, Record<string, unknown>>;
        assert.equal(independent.db.password, 'fixture-s3cret');
        if (opts.macOnlyEncrypted) {
          // a clear value can change without a MAC mismatch
          const changed = text.replace('user: admin', 'user: someone');
          assert.match((await decryptSopsText('p.yaml', changed, f.keys)).plaintext.toString(), /user: someone/);
        }
      });
    }

    it('writes YAML edge values as go-yaml does and reads them back', async () => {
      const source =
        'a: "123"\nb: "yes"\nc: "null"\nd: \'#x\'\ne: "line1\\nline2"\nf: 1e+21\ng: 1234567.5\nh: ~\ni: []\nj: {}\nk: "2020-01-01"\nl: -3\nm: \'a: b\'\n';
      const text = await encryptNew(Buffer.from(source), { format: 'yaml', keys: [{ arn: KEY1 }] }, f.keys);
      const out = (await decryptSopsText('e.yaml', text, f.keys)).plaintext.toString();
      assert.equal(
        out,
        'a: "123"\nb: "yes"\nc: "null"\nd: \'#x\'\ne: |-\n    line1\n    line2\nf: 1e+21\ng: 1.2345675e+06\nh: null\ni: []\nj: {}\nk: "2020-01-01"\nl: -3\nm: \'a: b\'\n',
      );
    });
  });

  describe('keys of a file', () => {
    it('adds a KMS key (data key re-wrapped, values and other entries untouched) and removes one', async () => {
      const text = fixture('kms-and-age.sops.env');
      const added = await updateKmsKeys(readSopsFile('a.env', text)!, { add: [{ arn: KEY2 }] }, f.keys);
      assert.deepEqual(added.added, [KEY2]);
      const valueLines = (t: string) => t.split('\n').filter((l) => !l.startsWith('sops_kms'));
      assert.deepEqual(valueLines(added.text), valueLines(text));
      const removed = await updateKmsKeys(readSopsFile('a.env', added.text)!, { remove: [KEY1] }, f.keys);
      const doc = readSopsFile('a.env', removed.text)!;
      assert.deepEqual(
        doc.metadata.groups[0].kms.map((k) => k.arn),
        [KEY2],
      );
      assert.equal(doc.metadata.groups[0].others.length, 1, 'age entry kept');
      await f.gateway.disableKey(KEY1);
      try {
        assert.equal((await decryptSopsText('a.env', removed.text, f.keys)).plaintext.toString(), fixture('plain/app.env'));
      } finally {
        await f.gateway.enableKey(KEY1);
      }
      await assert.rejects(
        updateKmsKeys(readSopsFile('a.yaml', fixture('app.sops.yaml'))!, { remove: [KEY1] }, f.keys),
        /no master key at all/,
      );
      await assert.rejects(updateKmsKeys(readSopsFile('a.yaml', fixture('app.sops.yaml'))!, { remove: [KEY2] }, f.keys), /has no KMS key/);
    });

    it('rotates the data key: every value re-encrypted, the same plaintext, refused for a file with age keys', async () => {
      const text = fixture('two-keys.sops.yaml');
      const rotated = await rotateDataKey(readSopsFile('t.yaml', text)!, f.keys);
      const encOf = (t: string) => (t.match(/ENC\[[^\]]*\]/g) ?? []).join();
      assert.equal(changedLines(text, rotated).filter((l) => l.includes('ENC')).length, (text.match(/ENC\[/g) ?? []).length);
      assert.notEqual(encOf(text), encOf(rotated));
      const a = await openDataKey(readSopsFile('t.yaml', text)!, f.keys);
      const b = await openDataKey(readSopsFile('t.yaml', rotated)!, f.keys);
      assert.notDeepEqual(a.dataKey, b.dataKey);
      assert.equal((await decryptSopsText('t.yaml', rotated, f.keys)).plaintext.toString(), expectedPlain('two-keys.sops.yaml').toString());
      await assert.rejects(rotateDataKey(readSopsFile('a.env', fixture('kms-and-age.sops.env'))!, f.keys), /age/);
    });
  });

  describe('.sops.yaml creation rules', () => {
    const config = join(FIXTURES, 'creation-rules/.sops.yaml');
    it('resolves the first matching rule by the path relative to the config', () => {
      const text = fixture('creation-rules/.sops.yaml');
      const prod = matchCreationRule(text, config, join(FIXTURES, 'creation-rules/secrets/prod/app.yaml'))!;
      assert.equal(prod.index, 0);
      assert.deepEqual(
        prod.kms.map((k) => k.arn),
        [KEY1, KEY2],
      );
      assert.equal(prod.encryptedRegex, '^(password|api_key|token)$');
      const dev = matchCreationRule(text, config, join(FIXTURES, 'creation-rules/secrets/dev/app.env'))!;
      assert.equal(dev.index, 1);
      assert.deepEqual(
        dev.kms.map((k) => k.arn),
        [KEY1],
      );
      assert.equal(
        matchCreationRule(text, config, join(FIXTURES, 'creation-rules/secrets/prod/app.env')),
        undefined,
        'the prod rule wants .yaml',
      );
      assert.equal(matchCreationRule(text, config, join(FIXTURES, 'creation-rules/other/app.yaml')), undefined);
      assert.deepEqual(kmsKeysFromString(` ${KEY1} , ${KEY2}+arn:aws:iam::111122223333:role/r`, { a: 'b' }, 'p'), [
        { arn: KEY1, role: undefined, context: { a: 'b' }, awsProfile: 'p' },
        { arn: KEY2, role: 'arn:aws:iam::111122223333:role/r', context: { a: 'b' }, awsProfile: 'p' },
      ]);
    });

    it("finds .sops.yaml from the file's own folder upwards, and a file encrypted under the rule matches what sops wrote", async () => {
      const match = (await creationRuleFor(join(FIXTURES, 'creation-rules/secrets/prod/app.yaml')))!;
      assert.equal(match.configPath, config);
      const text = await encryptNew(
        Buffer.from(fixture('plain/app.yaml')),
        { format: 'yaml', keys: match.rule.kms, encryptedRegex: match.rule.encryptedRegex },
        f.keys,
      );
      const mask = (t: string) =>
        t
          .replace(/ENC\[[^\]]*\]/g, 'ENC')
          .replace(/AQICAH[A-Za-z0-9+/=]+/g, 'BLOB')
          .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, 'TIME');
      assert.equal(mask(text), mask(fixture('creation-rules/secrets/prod/app.yaml')));
      const dev = (await creationRuleFor(join(FIXTURES, 'creation-rules/secrets/dev/app.env')))!;
      const envText = await encryptNew(Buffer.from(fixture('plain/app.env')), { format: 'dotenv', keys: dev.rule.kms }, f.keys);
      assert.equal(mask(envText), mask(fixture('creation-rules/secrets/dev/app.env')));
      const dir = join(f.dir, 'nested/deeper');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(f.dir, '.sops.yaml'), `creation_rules:\n  - kms: ${KEY2}\n    unencrypted_regex: ^public$\n`);
      const nested = (await creationRuleFor(join(dir, 'x.json'), { stopAt: f.dir }))!;
      assert.deepEqual(
        nested.rule.kms.map((k) => k.arn),
        [KEY2],
      );
      assert.equal(nested.rule.unencryptedRegex, '^public$');
      assert.equal(await creationRuleFor(join(dir, 'x.json'), { stopAt: dir }), undefined, 'not looked for above stopAt');
    });
  });

  describe('as encrypted files of the extension (detection, Decrypt File, decrypted editing)', () => {
    it('detects SOPS files as encrypted, with their KMS keys, in every store; inspectFile reads past its head for them', async () => {
      for (const name of READABLE) {
        const format = detectFileFormat(Buffer.from(fixture(name)), Buffer.byteLength(fixture(name)), name.split('/').pop());
        assert.equal(format.kind, 'sops', name);
        assert.ok(isEncryptedFormat(format));
      }
      const big = join(f.dir, 'big.sops.yaml');
      const doc = readSopsFile('app.sops.yaml', fixture('app.sops.yaml'))!;
      const decrypted = await decryptSops(doc, f.keys);
      const padding = Array.from({ length: 4000 }, (_, i) => `key${i}: value number ${i}`).join('\n');
      writeFileSync(big, saveEdit(decrypted, Buffer.from(`${emitPlain('yaml', decrypted.plain).toString()}${padding}\n`)).text);
      const inspection = await inspectFile(big);
      assert.equal(inspection.format.kind, 'sops');
      assert.ok(inspection.size > 64 * 1024);
    });

    it('Decrypt File writes what sops --decrypt prints', async () => {
      const path = join(f.dir, 'app.sops.yaml');
      writeFileSync(path, fixture('app.sops.yaml'));
      const out = await decryptFileInPlace(path, {}, { envelope: undefined as never, gatewayFor: () => f.gateway, sopsKeys: f.keys });
      assert.equal(out.format, 'sops');
      assert.equal(readFileSync(path, 'utf8'), expectedPlain('app.sops.yaml').toString());
    });

    it('decrypted editing: opens a SOPS file in memory and saves an edit with only the edited value re-encrypted, after the key check', async () => {
      const checked: string[][] = [];
      const crypto = {
        envelope: undefined as never,
        gatewayFor: () => f.gateway,
        sopsKeys: f.keys,
        checkSopsKeys: (keys: readonly string[]) => {
          checked.push([...keys]);
          return Promise.resolve();
        },
      };
      const content = await decryptBytesToMemory(Buffer.from(fixture('two-keys.sops.yaml')), 'two-keys.sops.yaml at HEAD', {}, crypto);
      assert.equal(content.plaintext.toString(), expectedPlain('two-keys.sops.yaml').toString());
      assert.equal(content.target.format, 'sops');
      const edited = Buffer.from(content.plaintext.toString().replace('token: fixture-token', 'token: new-token'));
      const bytes = await encryptForTarget(edited, content.target, 'two-keys.sops.yaml', crypto);
      assert.deepEqual(checked, [[KEY1, KEY2]]);
      assert.deepEqual(
        changedLines(fixture('two-keys.sops.yaml'), bytes.toString()).filter((l) => !/lastmodified|mac/.test(l)),
        ['token: ENC[…]'],
      );
      const refusing = { ...crypto, checkSopsKeys: () => Promise.reject(new Error('foreign account')) };
      await assert.rejects(encryptForTarget(edited, content.target, 'two-keys.sops.yaml', refusing), /foreign account/);
    });
  });

  describe('helpers', () => {
    it("writes an age entry's multi-line enc the way go-yaml does (block at the list item's indent + 4)", () => {
      const text = [
        'a: ENC[AES256_GCM,data:AAAA,iv:BBBB,tag:CCCC,type:str]',
        'sops:',
        '    kms: []',
        '    age:',
        '        - recipient: age1example',
        '          enc: |',
        '            -----BEGIN AGE ENCRYPTED FILE-----',
        '            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+',
        '            -----END AGE ENCRYPTED FILE-----',
        '        - enc: |',
        '            -----BEGIN AGE ENCRYPTED FILE-----',
        '            -----END AGE ENCRYPTED FILE-----',
        '          recipient: age1other',
        '    lastmodified: "2026-08-18T00:00:00Z"',
        '    version: 3.8.1',
        '',
      ].join('\n');
      assert.equal(emitYaml(parseYaml(text)), text);
    });

    it('formats floats as Go does', () => {
      assert.equal(goFormatFloat(0.75, 'f'), '0.75');
      assert.equal(goFormatFloat(5432, 'f'), '5432');
      assert.equal(goFormatFloat(1e21, 'f'), '1000000000000000000000');
      assert.equal(goFormatFloat(1.5e-7, 'f'), '0.00000015');
      assert.equal(goFormatFloat(1234567, 'g'), '1.234567e+06');
      assert.equal(goFormatFloat(123456, 'g'), '123456');
      assert.equal(goFormatFloat(0.0001, 'g'), '0.0001');
      assert.equal(goFormatFloat(0.00001, 'g'), '1e-05');
      assert.equal(goFormatFloat(1.5e-7, 'json'), '1.5e-7');
    });

    it('splits and recombines Shamir shares', () => {
      const secret = Buffer.from('0123456789abcdef0123456789abcdef');
      const shares = splitSecret(secret, 3, 2);
      assert.deepEqual(combineShares([shares[0], shares[2]]), secret);
      assert.deepEqual(combineShares([shares[1], shares[0]]), secret);
      assert.notDeepEqual(combineShares([shares[1], Buffer.from(shares[0].map((b, i) => (i === 0 ? b ^ 1 : b)))]), secret);
    });
  });
});
