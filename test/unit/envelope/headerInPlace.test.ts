// Re-encrypt File, header only, in place (headerInPlace.ts, prefixJournal.ts) against the
// emulator: only the header's bytes (or the base64 lines holding them) change, the file keeps
// its inode, the body is left as it is, and it decrypts under the new key; a new header of
// another length, a format change or odd armor take the streamed path. Crashes are simulated
// by leaving what a crash leaves (a journal, a torn header) and running the next operation.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import {
  decryptFileInPlace,
  encryptFileInPlace,
  type FileJob,
  inspectFile,
  reEncryptFileInPlace,
  rekeyFileInPlace,
} from '../../../src/core/envelope/fileEncryption';
import { parseMessageHeader } from '../../../src/core/envelope/messageFormat';
import { journalPathFor, recoverPrefixJournal, rewritePrefix, writePrefixJournal } from '../../../src/core/files/prefixJournal';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';
import { code } from '../../support/kmsErrors';

const MiB = 1024 * 1024;

describe('Re-encrypt File in place, header only', function () {
  this.timeout(60_000);
  let kms: KmsFixture;
  let key: string;
  let other: string;
  let folder: string;
  let n = 0;

  before(async () => {
    kms = await startKmsFixture();
    key = await kms.createKey();
    other = await kms.createKey();
  });
  after(() => kms.close());
  beforeEach(() => {
    folder = join(kms.dir, `in-place-${++n}`);
    mkdirSync(folder);
  });
  afterEach(() => kms.emulator.faults.clear());

  async function encrypted(plaintext: Buffer, format: 'base64' | 'binary', job: FileJob = kms): Promise<string> {
    const path = join(folder, 'data.kms');
    writeFileSync(path, plaintext);
    await encryptFileInPlace(path, { keyId: key, encryptionContext: { app: 'web' }, format }, job);
    return path;
  }

  /** How many leading bytes of `a` and `b` differ at most (the rest is identical). */
  function changedPrefix(a: Buffer, b: Buffer): number {
    assert.equal(a.length, b.length, 'same length');
    let last = -1;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) last = i;
    return last + 1;
  }

  for (const format of ['binary', 'base64'] as const) {
    it(`rewrites only the ${format} header where it is, and the file decrypts under the new key only`, async () => {
      const plaintext = randomBytes(3 * MiB + 4321);
      const path = await encrypted(plaintext, format);
      const before = readFileSync(path);
      const ino = statSync(path).ino;
      const header = (await inspectFile(path)).header!;
      const re = await reEncryptFileInPlace(path, { keyId: other }, kms);
      assert.equal(re.method, 'rewrap');
      assert.equal(re.keyId, other);
      assert.equal(re.sourceKeyId, key);
      assert.equal(re.bytes, before.length);
      const after = readFileSync(path);
      assert.equal(statSync(path).ino, ino, 'the same file, written in place (not replaced)');
      // Binary: the header's bytes; base64: the lines holding them (57 bytes a line).
      const limit = format === 'binary' ? header.length : Math.ceil(header.length / 57) * 77;
      const changed = changedPrefix(before, after);
      assert.ok(changed > 0 && changed <= limit, `${changed} leading bytes changed, at most ${limit}`);
      assert.deepEqual(readdirSync(folder), ['data.kms'], 'no journal or temporary file left');
      assert.deepEqual((await inspectFile(path)).info?.keyArns, [other]);
      await kms.gateway.disableKey(key);
      try {
        const dec = await decryptFileInPlace(path, {}, kms);
        assert.equal(dec.keyId, other);
        assert.deepEqual(dec.encryptionContext, { app: 'web' });
      } finally {
        await kms.gateway.enableKey(key);
      }
      assert.ok(readFileSync(path).equals(plaintext));
    });
  }

  it('works in place for small messages too, where the header and the final frame share base64 lines', async () => {
    for (const size of [0, 1, 57, 1000, 4096]) {
      for (const format of ['binary', 'base64'] as const) {
        const plaintext = randomBytes(size);
        const path = await encrypted(plaintext, format);
        const ino = statSync(path).ino;
        const re = await reEncryptFileInPlace(path, { keyId: other }, kms);
        assert.equal(re.keyId, other);
        assert.equal(statSync(path).ino, ino, `${size} bytes, ${format}: in place`);
        const dec = await decryptFileInPlace(path, {}, kms);
        assert.equal(dec.keyId, other);
        assert.ok(readFileSync(path).equals(plaintext), `${size} bytes, ${format}`);
      }
    }
  });

  it('takes the streamed path when the header changes length, the format changes or the armor is not its own', async () => {
    const plaintext = randomBytes(MiB + 17);
    let path = await encrypted(plaintext, 'base64');
    let ino = statSync(path).ino;
    // A new encryption context: a longer header, so the whole file is written anew.
    const longer = await reEncryptFileInPlace(path, { keyId: other, encryptionContext: { app: 'web', stage: 'prod' } }, kms);
    assert.equal(longer.method, 'rewrap');
    assert.notEqual(statSync(path).ino, ino, 'replaced');
    ino = statSync(path).ino;
    await reEncryptFileInPlace(path, { keyId: key, format: 'binary' }, kms);
    assert.notEqual(statSync(path).ino, ino, 'replaced');
    const format = (await inspectFile(path)).format;
    assert.equal(format.kind === 'message' && format.armor, 'binary');
    const dec = await decryptFileInPlace(path, {}, kms);
    assert.deepEqual(dec.encryptionContext, { app: 'web', stage: 'prod' });
    assert.ok(readFileSync(path).equals(plaintext));

    // Another hard link keeps the old content, as the person agreed to: replaced, not written in place.
    path = await encrypted(plaintext, 'binary');
    const link = join(folder, 'link.kms');
    linkSync(path, link);
    const linked = readFileSync(link);
    await reEncryptFileInPlace(path, { keyId: other }, { ...kms, allowHardLinks: true });
    assert.ok(readFileSync(link).equals(linked), 'the other name keeps the old content');
    assert.deepEqual((await inspectFile(path)).info?.keyArns, [other]);
    // The same with the caller's inspection (the command's; no second inspection before the in-place attempt).
    const inspected = await inspectFile(path);
    const relinked = readFileSync(link);
    const again = await reEncryptFileInPlace(path, { keyId: key, inspected }, { ...kms, allowHardLinks: true });
    assert.equal(again.method, 'rewrap');
    assert.ok(readFileSync(link).equals(relinked), 'the other name keeps the old content');
    assert.deepEqual((await inspectFile(path)).info?.keyArns, [key]);
    rmSync(link);

    // CRLF line ends (an editor on Windows): read fine, rewritten whole, as this extension writes armor.
    path = await encrypted(plaintext, 'base64');
    writeFileSync(path, readFileSync(path, 'latin1').replace(/\n/g, '\r\n'), 'latin1');
    ino = statSync(path).ino;
    await reEncryptFileInPlace(path, { keyId: other }, kms);
    assert.notEqual(statSync(path).ino, ino, 'replaced');
    assert.doesNotMatch(readFileSync(path, 'latin1'), /\r/);
    await decryptFileInPlace(path, {}, kms);
    assert.ok(readFileSync(path).equals(plaintext));
  });

  it('adds and removes keys in place when the header keeps its length', async () => {
    const plaintext = randomBytes(2 * MiB);
    const path = await encrypted(plaintext, 'binary');
    const ino = statSync(path).ino;
    const swapped = await rekeyFileInPlace(path, { keyIds: [other] }, kms);
    assert.deepEqual([swapped.added, swapped.removed], [[other], [key]]);
    assert.equal(statSync(path).ino, ino, 'written in place');
    const added = await rekeyFileInPlace(path, { add: [key] }, kms);
    assert.deepEqual(added.keyIds, [other, key]);
    assert.notEqual(statSync(path).ino, ino, 'a longer header: replaced');
    await decryptFileInPlace(path, {}, kms);
    assert.ok(readFileSync(path).equals(plaintext));
  });

  it("asks KMS for the new header of the caller's inspection before the lock; a file changed since gets one made from what it holds", async () => {
    for (const format of ['binary', 'base64'] as const) {
      const plaintext = randomBytes(MiB + 7);
      const path = await encrypted(plaintext, format);
      const inspected = await inspectFile(path);
      const calls = (): number => kms.emulator.callCount('Decrypt') + kms.emulator.callCount('ReEncrypt');
      let before = calls();
      const re = await reEncryptFileInPlace(path, { keyId: other, inspected }, kms);
      assert.equal(re.method, 'rewrap');
      assert.equal(calls() - before, 2, `${format}: one Decrypt and one ReEncrypt, asked once`);
      assert.deepEqual((await inspectFile(path)).info?.keyArns, [other]);
      // Stale: the file was re-encrypted (to `key`) after this inspection, which still shows `other`'s header.
      const stale = await inspectFile(path);
      await reEncryptFileInPlace(path, { keyId: key }, kms);
      before = calls();
      const again = await reEncryptFileInPlace(path, { keyId: other, inspected: stale }, kms);
      assert.equal(again.sourceKeyId, key, 'made from the header the file holds now');
      assert.equal(calls() - before, 4, `${format}: the early header was made, then dropped for the current one`);
      await decryptFileInPlace(path, {}, kms);
      assert.ok(readFileSync(path).equals(plaintext), `${format}: decrypts`);
      rmSync(path);
    }
  });

  it("waits for the new key's check running alongside KMS: its refusal is the error, whatever KMS answered, and nothing is written", async () => {
    for (const format of ['binary', 'base64'] as const) {
      const plaintext = randomBytes(MiB + 99);
      const path = await encrypted(plaintext, format);
      const original = readFileSync(path);
      // The check settles after KMS has answered (Decrypt and ReEncrypt are fast here).
      const refusal = (): Promise<void> =>
        new Promise((_, reject) =>
          setTimeout(() => reject(Object.assign(new Error('other: the key is disabled.'), { code: 'ActionNotAllowed' })), 200),
        );
      await assert.rejects(reEncryptFileInPlace(path, { keyId: other, keyChecked: refusal() }, kms), code('ActionNotAllowed', /disabled/));
      assert.ok(readFileSync(path).equals(original), `${format}: untouched`);
      assert.deepEqual(readdirSync(folder), ['data.kms'], 'no journal or temporary file left');
      // KMS refuses too (the key really is disabled): the check's sentence is still the error.
      await kms.gateway.disableKey(other);
      try {
        await assert.rejects(reEncryptFileInPlace(path, { keyId: other, keyChecked: refusal() }, kms), code('ActionNotAllowed'));
      } finally {
        await kms.gateway.enableKey(other);
      }
      assert.ok(readFileSync(path).equals(original));
      // Accepted late: the header is rewritten once the check passes.
      const accepted = new Promise<void>((resolve) => setTimeout(resolve, 200));
      const re = await reEncryptFileInPlace(path, { keyId: other, keyChecked: accepted }, kms);
      assert.equal(re.keyId, other);
      assert.equal(re.method, 'rewrap');
      await decryptFileInPlace(path, {}, kms);
      assert.ok(readFileSync(path).equals(plaintext));
      rmSync(path);
    }
  });

  it('makes good a ReEncrypt refused for want of kms:ReEncrypt* with Encrypt of the opened data key: the same file in the end', async () => {
    const denied = {
      name: 'AccessDeniedException',
      message: 'User: arn:aws:iam::111122223333:user/u is not authorized to perform: kms:ReEncryptFrom',
    };
    for (const format of ['binary', 'base64'] as const) {
      for (const early of [true, false]) {
        const plaintext = randomBytes(MiB + 17);
        const path = await encrypted(plaintext, format);
        const ino = statSync(path).ino;
        const inspected = early ? await inspectFile(path) : undefined;
        kms.emulator.resetCalls();
        kms.emulator.faults.set('ReEncrypt', { failOnCall: 1, error: denied });
        const re = await reEncryptFileInPlace(path, { keyId: other, inspected }, kms);
        const what = `${format}, ${early ? 'asked before the lock' : 'asked under the lock'}`;
        assert.equal(re.method, 'rewrap', what);
        assert.equal(re.keyId, other, what);
        assert.equal(re.sourceKeyId, key, what);
        const calls = kms.emulator.calls();
        assert.deepEqual(
          [calls.Decrypt, calls.ReEncrypt, calls.Encrypt],
          [1, 1, 1],
          `${what}: Decrypt, the refused ReEncrypt, then Encrypt`,
        );
        assert.equal(statSync(path).ino, ino, `${what}: written in place`);
        assert.deepEqual(readdirSync(folder), ['data.kms'], `${what}: no journal left`);
        assert.deepEqual((await inspectFile(path)).info?.keyArns, [other]);
        await decryptFileInPlace(path, {}, kms);
        assert.ok(readFileSync(path).equals(plaintext), `${what}: decrypts under the new key`);
        rmSync(path);
      }
    }
  });

  it("falls back to Encrypt only when ReEncrypt is denied, only once the new key's check passed, and says why when Encrypt is denied too", async () => {
    const plaintext = randomBytes(MiB + 3);
    const path = await encrypted(plaintext, 'binary');
    const original = readFileSync(path);
    const untouched = (why: string): void => {
      assert.ok(readFileSync(path).equals(original), `${why}: untouched`);
      assert.deepEqual(readdirSync(folder), ['data.kms'], `${why}: no journal left`);
    };
    // Encrypt refused as well: that refusal, naming the permission, is the error.
    kms.emulator.resetCalls();
    kms.emulator.faults.set('ReEncrypt', {
      failOnCall: 1,
      error: { name: 'AccessDeniedException', message: 'not authorized to perform: kms:ReEncryptTo' },
    });
    kms.emulator.faults.set('Encrypt', {
      failOnCall: 1,
      error: { name: 'AccessDeniedException', message: 'not authorized to perform: kms:Encrypt' },
    });
    await assert.rejects(reEncryptFileInPlace(path, { keyId: other }, kms), code('AccessDeniedException', /kms:Encrypt/));
    assert.equal(kms.emulator.callCount('Encrypt'), 1);
    untouched('Encrypt denied too');
    // Another refusal of ReEncrypt (here the key's state) is the answer: no Encrypt.
    kms.emulator.faults.clear();
    kms.emulator.resetCalls();
    kms.emulator.faults.set('ReEncrypt', { failOnCall: 1, error: { name: 'KMSInternalException' } });
    await assert.rejects(reEncryptFileInPlace(path, { keyId: other }, kms), code('KMSInternalException'));
    assert.equal(kms.emulator.callCount('Encrypt'), 0, 'no fallback for other failures');
    untouched('ReEncrypt failed');
    // The new key's check refuses it: nothing is encrypted under it, and the check's sentence is the error.
    kms.emulator.faults.clear();
    kms.emulator.resetCalls();
    kms.emulator.faults.set('ReEncrypt', { failOnCall: 1, error: { name: 'AccessDeniedException' } });
    const refusal = new Promise<void>((_, reject) =>
      setTimeout(() => reject(Object.assign(new Error('other: the key is disabled.'), { code: 'ActionNotAllowed' })), 200),
    );
    await assert.rejects(reEncryptFileInPlace(path, { keyId: other, keyChecked: refusal }, kms), code('ActionNotAllowed', /disabled/));
    assert.equal(kms.emulator.callCount('Encrypt'), 0, 'no Encrypt under a refused key');
    untouched('key refused');
  });

  it('refuses a file changed while KMS answered, a message cut short or extended, and stops on cancel, leaving each as it is', async () => {
    const plaintext = randomBytes(2 * MiB + 5);
    const path = await encrypted(plaintext, 'binary');
    const original = readFileSync(path);
    // Changed on disk during the KMS call (same size): refused, the change kept.
    kms.emulator.faults.set('ReEncrypt', { latencyMs: 400 });
    const changed = Buffer.from(original);
    changed[changed.length - 1] ^= 1;
    const racing = reEncryptFileInPlace(path, { keyId: other }, kms);
    await new Promise((resolve) => setTimeout(resolve, 150));
    writeFileSync(path, changed);
    await assert.rejects(racing, code('FileChangedOnDisk'));
    assert.ok(readFileSync(path).equals(changed));
    kms.emulator.faults.clear();

    for (const [damaged, why] of [
      [original.subarray(0, original.length - 1), /truncated/],
      [Buffer.concat([original, Buffer.from('x')]), /after|truncated/],
    ] as const) {
      writeFileSync(path, damaged);
      await assert.rejects(reEncryptFileInPlace(path, { keyId: other }, kms), code('TamperedCiphertext', why));
      assert.ok(readFileSync(path).equals(damaged));
    }

    writeFileSync(path, original);
    kms.emulator.faults.set('ReEncrypt', { latencyMs: 400 });
    const controller = new AbortController();
    const cancelled = reEncryptFileInPlace(path, { keyId: other }, { ...kms, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(cancelled, (e: Error) => e.name === 'AbortError');
    assert.ok(readFileSync(path).equals(original));
    assert.deepEqual(readdirSync(folder), ['data.kms']);
  });

  describe('after a crash', () => {
    /**
     * What a crash while re-encrypting under `other` leaves: the journal, and `written` bytes of
     * the new header on disk (the new header made by a real re-encrypt of a copy).
     */
    async function crashedRewrite(path: string, written: 'none' | 'half' | 'all'): Promise<void> {
      const content = readFileSync(path);
      const length = parseMessageHeader(content)!.length;
      const copy = join(kms.dir, `copy-${n}`);
      writeFileSync(copy, content);
      await reEncryptFileInPlace(copy, { keyId: other }, kms);
      const after = readFileSync(copy).subarray(0, length);
      const handle = await open(path, 'r+');
      try {
        await writePrefixJournal(path, handle, 0, content.subarray(0, length), after);
        const upTo = written === 'none' ? 0 : written === 'half' ? Math.floor(length / 2) : length;
        if (upTo) await handle.write(after, 0, upTo, 0);
      } finally {
        await handle.close();
      }
    }

    for (const written of ['none', 'half', 'all'] as const) {
      it(`the next operation on the file first recovers it (journal written, ${written} of the header written)`, async () => {
        const plaintext = randomBytes(MiB + 3);
        const path = await encrypted(plaintext, 'binary');
        await crashedRewrite(path, written);
        assert.ok(readdirSync(folder).includes('.data.kms.kmswb-journal'));
        // Half of the new header: the original one is put back. None or all of it: the file is
        // kept as it is (as it was, or as the re-encrypt made it). Either way it decrypts.
        const dec = await decryptFileInPlace(path, {}, kms);
        assert.equal(dec.keyId, written === 'all' ? other : key);
        assert.ok(readFileSync(path).equals(plaintext));
        assert.deepEqual(readdirSync(folder), ['data.kms'], 'the journal is gone');
      });
    }

    it('drops a journal torn by the crash (the file was not touched yet) and one that no longer fits the file', async () => {
      const path = await encrypted(randomBytes(4096), 'binary');
      const original = readFileSync(path);
      await crashedRewrite(path, 'none');
      const journal = journalPathFor(path);
      writeFileSync(journal, readFileSync(journal).subarray(0, 100));
      assert.equal(await recoverPrefixJournal(path), 'discarded');
      assert.ok(readFileSync(path).equals(original));

      await crashedRewrite(path, 'half');
      const torn = readFileSync(path);
      writeFileSync(path, Buffer.concat([torn, Buffer.from('more')]));
      assert.equal(await recoverPrefixJournal(path), 'discarded', 'another size: not the file the journal was written for');
      assert.deepEqual(readdirSync(folder), ['data.kms']);
      assert.equal(await recoverPrefixJournal(path), 'none');
    });

    it('a failed write puts the original bytes back at once and removes the journal', async () => {
      const path = join(folder, 'plain.bin');
      const content = randomBytes(1000);
      writeFileSync(path, content);
      const handle = await open(path, 'r+');
      try {
        const after = randomBytes(100);
        await assert.rejects(
          rewritePrefix(
            path,
            handle,
            { offset: 10, before: content.subarray(10, 110), after },
            {
              beforeSync: () => {
                throw new Error('EIO: i/o error');
              },
            },
          ),
          /EIO/,
        );
        assert.ok(readFileSync(path).equals(content));
        await rewritePrefix(path, handle, { offset: 10, before: content.subarray(10, 110), after });
        assert.ok(readFileSync(path).equals(Buffer.concat([content.subarray(0, 10), after, content.subarray(110)])));
      } finally {
        await handle.close();
      }
      assert.deepEqual(readdirSync(folder), ['plain.bin']);
    });

    it("writes nothing when the caller's check refuses the file's facts (stat'ed while the journal opens), and leaves no journal", async () => {
      const path = join(folder, 'plain.bin');
      const content = randomBytes(1000);
      writeFileSync(path, content);
      const handle = await open(path, 'r+');
      try {
        const seen: number[] = [];
        await assert.rejects(
          rewritePrefix(path, handle, {
            offset: 0,
            before: content.subarray(0, 100),
            after: randomBytes(100),
            unchanged: (now) => {
              seen.push(now.size);
              throw new Error('changed on disk');
            },
          }),
          /changed on disk/,
        );
        assert.deepEqual(seen, [1000], 'the file as it is, asked once');
        assert.ok(readFileSync(path).equals(content), 'untouched');
        assert.deepEqual(readdirSync(folder), ['plain.bin'], 'the journal opened meanwhile is removed');
      } finally {
        await handle.close();
      }
    });
  });
});
