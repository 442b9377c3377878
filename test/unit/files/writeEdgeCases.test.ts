// In-place writes against the file-system edge cases, through the real file operations and
// the emulator: hard links, symbolic links, read-only files, many operations on one file at
// once, a change made while KMS is slow to answer, a server that never answers, and a cancel
// in the middle of a large file.
import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  createReadStream,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import {
  decryptFileInPlace,
  encryptFileInPlace,
  type FileJob,
  inspectFile,
  reEncryptFileInPlace,
} from '../../../src/core/envelope/fileEncryption';
import { decryptSecret, encryptSecret } from '../../../src/core/envelope/secretText';
import { detectTextCiphertext } from '../../../src/core/envelope/detect';
import { fileFacts, withFileLock } from '../../../src/core/files/atomicReplace';
import { DEFAULT_CALL_TIMEOUTS } from '../../../src/core/kms/client';
import type { KmsError } from '../../../src/core/kms/errors';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';
import { code } from '../../support/kmsErrors';

const MiB = 1024 * 1024;

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), what);
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('in-place writes: file-system edge cases', function () {
  this.timeout(120_000);
  let kms: KmsFixture;
  let key: string;
  let folder: string;
  let n = 0;

  before(async () => {
    kms = await startKmsFixture();
    key = await kms.createKey();
  });
  after(() => kms.close());
  beforeEach(() => {
    folder = join(kms.dir, `edge-${++n}`);
    mkdirSync(folder);
  });
  afterEach(() => kms.emulator.faults.clear());

  function fileWith(content: Buffer | string, name = 'app.env'): string {
    const path = join(folder, name);
    writeFileSync(path, content);
    return path;
  }

  it('a file with another hard link is reported, refused without consent, and rewritten only with it (the other name keeps the old content)', async () => {
    const path = fileWith('DB_PASSWORD=hunter2\n');
    const other = join(folder, 'copy.env');
    linkSync(path, other);
    assert.equal((await fileFacts(path)).otherHardLinks, 1);
    await assert.rejects(encryptFileInPlace(path, { keyId: key }, kms), code('HardLinked', /1 other hard link.*confirm: true/));
    assert.equal(readFileSync(path, 'utf8'), 'DB_PASSWORD=hunter2\n');
    assert.deepEqual(readdirSync(folder).sort(), ['app.env', 'copy.env']);
    await encryptFileInPlace(path, { keyId: key }, { ...kms, allowHardLinks: true });
    assert.equal((await inspectFile(path)).format.kind, 'message');
    assert.equal(readFileSync(other, 'utf8'), 'DB_PASSWORD=hunter2\n', 'the other name still holds the old content');
    assert.equal((await fileFacts(path)).otherHardLinks, 0);
  });

  it('a symbolic link is reported with its target; the target is rewritten and the link stays a link', async () => {
    const target = fileWith('TOKEN=abc\n', 'real.env');
    const link = join(folder, 'link.env');
    symlinkSync(target, link);
    const facts = await fileFacts(link);
    assert.equal(facts.symlink, true);
    assert.equal(facts.realPath, target);
    assert.equal((await fileFacts(target)).symlink, false);
    await encryptFileInPlace(link, { keyId: key }, kms);
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal((await inspectFile(target)).format.kind, 'message');
    await decryptFileInPlace(link, {}, kms);
    assert.equal(readFileSync(target, 'utf8'), 'TOKEN=abc\n');
  });

  it('a read-only file is reported as such (the host asks before rewriting it) and keeps its mode when encrypted', async () => {
    const path = fileWith('KEY=1\n');
    chmodSync(path, 0o444);
    assert.equal((await fileFacts(path)).readOnly, true);
    await encryptFileInPlace(path, { keyId: key }, kms);
    assert.equal(statSync(path).mode & 0o777, 0o444);
    chmodSync(path, 0o644);
    assert.equal((await fileFacts(path)).readOnly, false);
  });

  for (const format of ['base64', 'blob'] as const) {
    it(`100 concurrent encrypts of one file (${format}): exactly one encrypts, the others are refused as already encrypted`, async () => {
      const plaintext = 'API_KEY=abcdef\n';
      const path = fileWith(plaintext);
      const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => encryptFileInPlace(path, { keyId: key, format }, kms)));
      const done = outcomes.filter((o) => o.status === 'fulfilled');
      const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      assert.equal(done.length, 1);
      assert.equal(refused.length, 99);
      for (const r of refused) assert.equal((r.reason as KmsError).code, 'AlreadyEncrypted', (r.reason as Error).message);
      await decryptFileInPlace(path, {}, kms);
      assert.equal(readFileSync(path, 'utf8'), plaintext, 'one decrypt gives the plaintext back: it was encrypted once');
      assert.deepEqual(readdirSync(folder), ['app.env']);
    });
  }

  it('the lock is per real path: a file and a symbolic link to it share it, and a failing task does not block the next', async () => {
    const target = fileWith('x', 'real.env');
    const link = join(folder, 'link.env');
    symlinkSync(target, link);
    const order: string[] = [];
    let release: () => void = () => undefined;
    const first = withFileLock(target, async () => {
      order.push('first start');
      await new Promise<void>((r) => (release = r));
      order.push('first end');
      throw new Error('first fails');
    });
    // The second call starts once the first holds the lock: which call resolves its real path
    // first is up to the file system, so calling both at once does not fix their order.
    await until(() => order.length === 1, 'the first task started');
    const second = withFileLock(link, () => {
      order.push('second');
      return Promise.resolve(2);
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(order, ['first start'], 'the link waits for the lock its target holds');
    release();
    await assert.rejects(first, /first fails/);
    assert.equal(await second, 2);
    assert.deepEqual(order, ['first start', 'first end', 'second']);
  });

  for (const format of ['blob', 'base64'] as const) {
    it(`a change made during a slow KMS call (${format}) is not overwritten`, async () => {
      const path = fileWith('SECRET=before\n');
      const operation = format === 'blob' ? 'Encrypt' : 'GenerateDataKey';
      kms.emulator.faults.set(operation, { latencyMs: 1500 });
      const calls = kms.emulator.calls()[operation] ?? 0;
      const encrypting = encryptFileInPlace(path, { keyId: key, format }, kms);
      await until(() => (kms.emulator.calls()[operation] ?? 0) > calls, `${operation} reached the emulator`);
      writeFileSync(path, 'SECRET=changed meanwhile\n');
      await assert.rejects(encrypting, code('FileChangedOnDisk'));
      assert.equal(readFileSync(path, 'utf8'), 'SECRET=changed meanwhile\n');
      assert.deepEqual(readdirSync(folder), ['app.env']);
    });
  }

  it('a blob file changed during a slow Decrypt call is not overwritten', async () => {
    const path = fileWith('SECRET=blob\n');
    await encryptFileInPlace(path, { keyId: key, format: 'blob' }, kms);
    const ciphertext = readFileSync(path);
    kms.emulator.faults.set('Decrypt', { latencyMs: 1500 });
    const calls = kms.emulator.calls().Decrypt ?? 0;
    const decrypting = decryptFileInPlace(path, {}, kms);
    await until(() => (kms.emulator.calls().Decrypt ?? 0) > calls, 'Decrypt reached the emulator');
    const replaced = Buffer.concat([ciphertext.subarray(0, ciphertext.length - 1), Buffer.from(' \n')]);
    writeFileSync(path, replaced);
    await assert.rejects(decrypting, code('FileChangedOnDisk'));
    assert.ok(readFileSync(path).equals(replaced));
  });

  it('a 256 MiB encrypt cancelled half-way leaves the file byte-identical, with no temporary file', async () => {
    const path = join(folder, 'big.bin');
    const block = randomBytes(MiB);
    writeFileSync(path, Buffer.alloc(0));
    for (let i = 0; i < 256; i++) writeFileSync(path, block, { flag: 'a' });
    const before = await sha256(path);
    const controller = new AbortController();
    let seen = 0;
    const job: FileJob = {
      ...kms,
      signal: controller.signal,
      onProgress: (done) => {
        seen = done;
        if (done >= 128 * MiB) controller.abort();
      },
    };
    await assert.rejects(encryptFileInPlace(path, { keyId: key }, job), (e: Error) => e.name === 'AbortError');
    assert.ok(seen >= 128 * MiB && seen < 256 * MiB, `cancelled half-way (${seen} bytes read)`);
    assert.equal(statSync(path).size, 256 * MiB);
    assert.equal(await sha256(path), before);
    assert.deepEqual(readdirSync(folder), ['big.bin']);
  });

  describe('a server that accepts connections and never answers', () => {
    let server: Server;
    let endpoint: string;
    const sockets = new Set<Socket>();
    /** Connections ever accepted: an aborted request's socket may close as the next one opens, so the open count can stay the same. */
    let accepted = 0;
    before(async () => {
      server = createServer((socket) => {
        accepted++;
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
        socket.resume();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    after(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    function hangingKms(timeouts: { connectMs: number; requestMs: number; totalMs: number }) {
      return kms.clientAt(endpoint, { id: 'hang', label: 'silent server', maxAttempts: 4, timeouts });
    }

    it('the default limits end a call, retries included, well within two minutes', () => {
      assert.ok(DEFAULT_CALL_TIMEOUTS.totalMs <= 110_000);
      assert.ok(DEFAULT_CALL_TIMEOUTS.requestMs * 4 <= DEFAULT_CALL_TIMEOUTS.totalMs + DEFAULT_CALL_TIMEOUTS.requestMs);
    });

    it('every file and text operation fails naming the endpoint, and the files stay byte-identical', async () => {
      const silent = hangingKms({ connectMs: 1_000, requestMs: 400, totalMs: 3_000 });
      try {
        const plain = fileWith('A=1\n');
        const blob = fileWith('B=2\n', 'blob.env');
        await encryptFileInPlace(blob, { keyId: key, format: 'blob' }, kms);
        const blobBytes = readFileSync(blob);
        const message = fileWith('C=3\n', 'message.env');
        await encryptFileInPlace(message, { keyId: key }, kms);
        const messageBytes = readFileSync(message);
        const named = new RegExp(
          `${endpoint.replace(/[.]/g, '\\.')} did not answer .*Check that the endpoint URL of connection "silent server"`,
        );
        for (const [what, attempt] of [
          ['encrypt file', () => encryptFileInPlace(plain, { keyId: key }, silent)],
          ['encrypt file as blob', () => encryptFileInPlace(plain, { keyId: key, format: 'blob' }, silent)],
          ['decrypt blob file', () => decryptFileInPlace(blob, {}, silent)],
          ['decrypt message file', () => decryptFileInPlace(message, {}, silent)],
          ['re-encrypt message file', () => reEncryptFileInPlace(message, { keyId: key }, silent)],
          ['encrypt selection', () => encryptSecret(Buffer.from('s3cret'), { keyId: key }, silent)],
          ['decrypt selection', () => decryptSecret(detectTextCiphertext(blobBytes.toString('latin1').trim())!, {}, silent)],
        ] as const) {
          await assert.rejects(attempt(), (e: KmsError) => {
            assert.equal(e.code, 'EndpointTimeout', `${what}: ${e.message}`);
            assert.match(e.message, named, what);
            return true;
          });
        }
        assert.equal(readFileSync(plain, 'utf8'), 'A=1\n');
        assert.ok(readFileSync(blob).equals(blobBytes));
        assert.ok(readFileSync(message).equals(messageBytes));
        assert.deepEqual(readdirSync(folder).sort(), ['app.env', 'blob.env', 'message.env']);
      } finally {
        silent.factory.forget();
      }
    });

    it('a cancel aborts the request in flight at once (long limits, so only the cancel can end it)', async () => {
      const silent = hangingKms({ connectMs: 60_000, requestMs: 60_000, totalMs: 600_000 });
      try {
        const path = fileWith('D=4\n');
        for (const format of ['base64', 'blob'] as const) {
          const controller = new AbortController();
          const before = accepted;
          const encrypting = encryptFileInPlace(path, { keyId: key, format }, { ...silent, signal: controller.signal });
          await until(() => accepted > before, 'the request reached the server');
          controller.abort();
          await assert.rejects(encrypting, (e: Error) => e.name === 'AbortError');
          assert.equal(readFileSync(path, 'utf8'), 'D=4\n');
        }
        const controller = new AbortController();
        const before = accepted;
        const selection = encryptSecret(Buffer.alloc(5000, 1), { keyId: key }, silent, controller.signal);
        await until(() => accepted > before, 'the request reached the server');
        controller.abort();
        await assert.rejects(selection, (e: Error) => e.name === 'AbortError');
      } finally {
        silent.factory.forget();
      }
    });
  });
});
