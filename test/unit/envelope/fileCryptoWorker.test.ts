// The file-crypto worker thread: the real bundle (built here with esbuild, as scripts/build.mjs
// builds dist/fileCryptoWorker.js) driven through encryptFileInPlace / decryptFileInPlace and
// through cryptFile itself: round trips read by the Encryption SDK, cancel, damaged input, and
// memory bounded by the chunks in flight whatever the file's size.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as esbuild from 'esbuild';
import { cryptFile, stopCryptoWorker } from '../../../src/core/envelope/cryptoWorker';
import { decryptFileInPlace, encryptFileInPlace, type FileJob } from '../../../src/core/envelope/fileEncryption';
import { type DirectWrites, directWrites, type OriginalFile } from '../../../src/core/files/atomicReplace';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';
import { directEncryptionSdk } from './encryptionSdk';
import { testHeader } from './messageHeaders';
import { code } from '../../support/kmsErrors';

const MiB = 1024 * 1024;

describe('file crypto in a worker thread', function () {
  this.timeout(120_000);
  let kms: KmsFixture;
  let key: string;
  let script: string;
  let buildDir: string;
  let folder: string;
  let n = 0;
  let job: FileJob;

  before(async () => {
    buildDir = mkdtempSync(join(tmpdir(), 'kmswb-worker-'));
    script = join(buildDir, 'fileCryptoWorker.js');
    await esbuild.build({
      entryPoints: ['src/core/envelope/fileCryptoWorker.ts'],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: script,
      logLevel: 'warning',
    });
    kms = await startKmsFixture();
    key = await kms.createKey({ alias: 'alias/worker' });
    job = { ...kms, workerScript: script };
  });
  after(async () => {
    await kms.close();
    rmSync(buildDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    folder = join(kms.dir, `worker-${++n}`);
    mkdirSync(folder);
  });

  function fileWith(content: Buffer, name = 'data.bin'): string {
    const path = join(folder, name);
    writeFileSync(path, content);
    return path;
  }

  function untouched(path: string, content: Buffer): void {
    assert.ok(readFileSync(path).equals(content), 'the file is byte-identical');
    assert.deepEqual(readdirSync(folder), [path.slice(folder.length + 1)], 'no temporary file is left');
  }

  // Sizes from the worker's threshold up: frame and chunk boundaries, an exact number of frames.
  for (const size of [256 * 1024, 2 * MiB, 3 * MiB + 5]) {
    for (const format of ['base64', 'binary'] as const) {
      it(`round-trips ${size} bytes as ${format}; the Encryption SDK reads what the worker wrote`, async () => {
        const plaintext = randomBytes(size);
        const path = fileWith(plaintext);
        const seen: number[] = [];
        await encryptFileInPlace(
          path,
          { keyId: key, encryptionContext: { purpose: 'worker' }, format },
          { ...job, onProgress: (done) => seen.push(done) },
        );
        assert.equal(seen.at(-1), size, 'progress reaches the whole file');
        const written = readFileSync(path);
        const message = format === 'base64' ? Buffer.from(written.toString('latin1'), 'base64') : written;
        const sdk = await directEncryptionSdk(kms);
        try {
          const { plaintext: back, messageHeader } = await sdk.client.decrypt(sdk.keyring(), message);
          assert.ok(Buffer.from(back).equals(plaintext), 'the Encryption SDK decrypts it');
          assert.equal(messageHeader.encryptionContext.purpose, 'worker');
        } finally {
          sdk.close();
        }
        const out = await decryptFileInPlace(path, {}, job);
        assert.equal(out.keyId, key);
        untouched(path, plaintext);
      });
    }
  }

  it('decrypts a message the Encryption SDK wrote with our suite and 4 KiB frames', async () => {
    const plaintext = randomBytes(MiB + 7);
    const sdk = await directEncryptionSdk(kms);
    try {
      const { result } = await sdk.client.encrypt(sdk.keyring(key), plaintext, {
        suiteId: sdk.suites.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
        frameLength: 4096,
      });
      const path = fileWith(Buffer.from(result));
      await decryptFileInPlace(path, {}, job);
      untouched(path, plaintext);
    } finally {
      sdk.close();
    }
  });

  it('a cancel half-way terminates the worker: nothing written, the original intact', async () => {
    const plaintext = randomBytes(64 * MiB);
    const path = fileWith(plaintext);
    const controller = new AbortController();
    let read = 0;
    const encrypting = encryptFileInPlace(
      path,
      { keyId: key, format: 'base64' },
      {
        ...job,
        signal: controller.signal,
        onProgress: (done) => {
          read = done;
          if (done >= 8 * MiB) controller.abort();
        },
      },
    );
    await assert.rejects(encrypting, (e: Error) => e.name === 'AbortError');
    assert.ok(read >= 8 * MiB && read < 64 * MiB, `cancelled half-way (${read} bytes read)`);
    untouched(path, plaintext);
  });

  it('keeps one worker for the next file after a clean finish, none after a cancel or a failure', async () => {
    await stopCryptoWorker();
    const plaintext = randomBytes(2 * MiB);
    const path = fileWith(plaintext);
    await encryptFileInPlace(path, { keyId: key, format: 'binary' }, job);
    // The kept worker does the next file, and is kept again.
    await decryptFileInPlace(path, {}, job);
    assert.ok(readFileSync(path).equals(plaintext));
    assert.equal(await stopCryptoWorker(), true, 'a worker was kept');
    assert.equal(await stopCryptoWorker(), false);
    const controller = new AbortController();
    await assert.rejects(
      encryptFileInPlace(path, { keyId: key }, { ...job, signal: controller.signal, onProgress: () => controller.abort() }),
      (e: Error) => e.name === 'AbortError',
    );
    assert.equal(await stopCryptoWorker(), false, 'the cancelled worker was stopped, not kept');
    await encryptFileInPlace(path, { keyId: key, format: 'binary' }, job);
    const damaged = readFileSync(path);
    damaged[damaged.length - 100] ^= 1;
    writeFileSync(path, damaged);
    await assert.rejects(decryptFileInPlace(path, {}, job), code('TamperedCiphertext'));
    assert.equal(await stopCryptoWorker(), false, 'the failed worker was stopped, not kept');
  });

  it('a damaged frame, a truncated message and altered armor fail as tampering, leaving the file as it was', async () => {
    const plaintext = randomBytes(3 * MiB);
    const path = fileWith(plaintext);
    await encryptFileInPlace(path, { keyId: key, format: 'binary' }, job);
    const encrypted = readFileSync(path);
    const damaged = Buffer.from(encrypted);
    damaged[encrypted.length - 2 * MiB] ^= 1;
    writeFileSync(path, damaged);
    await assert.rejects(decryptFileInPlace(path, {}, job), code('TamperedCiphertext', /frame \d does not authenticate/));
    untouched(path, damaged);

    const truncated = encrypted.subarray(0, encrypted.length - 100);
    writeFileSync(path, truncated);
    await assert.rejects(decryptFileInPlace(path, {}, job), code('TamperedCiphertext', /truncated/));
    untouched(path, truncated);

    const appended = Buffer.concat([encrypted, Buffer.from('more')]);
    writeFileSync(path, appended);
    await assert.rejects(decryptFileInPlace(path, {}, job), code('TamperedCiphertext', /after its final frame/));
    untouched(path, appended);

    writeFileSync(path, plaintext);
    await encryptFileInPlace(path, { keyId: key, format: 'base64' }, job);
    const armored = readFileSync(path);
    const bad = Buffer.from(armored);
    bad[armored.length - 1000] = 0x2a; // '*' is not base64
    writeFileSync(path, bad);
    await assert.rejects(decryptFileInPlace(path, {}, job), code('TamperedCiphertext', /not base64/));
    untouched(path, bad);
  });

  it('keeps a bounded number of chunks in flight whatever the size: reading waits for a slow disk', async () => {
    const size = 96 * MiB;
    const path = fileWith(Buffer.alloc(0));
    const handle = await open(path, 'w');
    for (let i = 0; i < size / (16 * MiB); i++) await handle.write(randomBytes(16 * MiB));
    await handle.close();
    const input = await open(path, 'r');
    let read = 0;
    let written = 0;
    let mostAhead = 0;
    const original: OriginalFile = {
      path,
      size,
      handle: new Proxy(input, {
        get(target, p) {
          if (p !== 'read') return Reflect.get(target, p) as unknown;
          return async (...args: Parameters<typeof input.read>) => {
            const r = await (target.read as (...a: unknown[]) => Promise<{ bytesRead: number }>)(...args);
            read += r.bytesRead;
            mostAhead = Math.max(mostAhead, read - written);
            return r;
          };
        },
      }),
      stream: () => {
        throw new Error('not used');
      },
      readAll: () => Promise.reject(new Error('not used')),
    };
    // A disk slower than the encryption: each write takes a few milliseconds.
    const sink = new Writable({
      highWaterMark: MiB,
      write(chunk: Buffer, _e, callback) {
        setTimeout(() => {
          written += chunk.length;
          callback();
        }, 3);
      },
    });
    const dataKey = randomBytes(32);
    const header = headerFor(dataKey);
    try {
      await cryptFile(original, sink, { op: 'encrypt', armor: 'binary', dataKey, header }, { workerScript: script });
    } finally {
      await input.close();
    }
    assert.equal(read, size);
    assert.ok(written > size, 'the whole message was written');
    // 4 chunks in the worker, one frame held back, the sink's buffer: far below the file's size.
    assert.ok(mostAhead <= 12 * MiB, `at most ${(mostAhead / MiB).toFixed(1)} MiB were read ahead of the disk`);
  });
  /** A message header for `dataKey` (our suite, 1 MiB frames), as the file commands make one. */
  function headerFor(dataKey: Buffer): Buffer {
    return testHeader(dataKey, MiB, key).header;
  }

  /** A sink whose "file" the worker writes itself, at `fd`; records what `done` was told. */
  function directSink(fd: number, position = 0): Writable & { doneWith?: number } {
    const sink = new Writable({
      write(_chunk, _e, callback) {
        callback(new Error('nothing is written through the stream'));
      },
    }) as Writable & { doneWith?: number; [directWrites]?: () => DirectWrites };
    sink[directWrites] = () => ({
      fd,
      position,
      flushEvery: MiB,
      done: (bytes: number) => {
        sink.doneWith = bytes;
        return Promise.resolve();
      },
    });
    return sink;
  }

  function originalOf(path: string, size: number, handle: Awaited<ReturnType<typeof open>>): OriginalFile {
    return { path, size, handle, stream: () => assert.fail('not used'), readAll: () => assert.fail('not used') };
  }

  it('writes the file itself at its position, and reports a failed write (a full disk) as it is, with the worker stopped', async () => {
    const plaintext = randomBytes(3 * MiB + 11);
    const path = fileWith(plaintext);
    const dataKey = randomBytes(32);
    const header = headerFor(dataKey);
    const input = await open(path, 'r');
    const out = await open(join(folder, 'out.bin'), 'w');
    try {
      // Into a real file, after 5 bytes already there: the message lands right after them.
      await out.write(Buffer.from('HELLO'));
      const sink = directSink(out.fd, 5);
      await cryptFile(
        originalOf(path, plaintext.length, input),
        sink,
        { op: 'encrypt', armor: 'binary', dataKey, header },
        { workerScript: script },
      );
      const written = readFileSync(join(folder, 'out.bin'));
      assert.equal(sink.doneWith, written.length - 5, 'done is told the bytes the worker wrote');
      assert.equal(written.subarray(0, 5).toString(), 'HELLO');
      assert.ok(written.subarray(5, 5 + header.length).equals(header), 'the message starts with its header');

      // /dev/full refuses every write with ENOSPC.
      const full = await open('/dev/full', 'w');
      try {
        await stopCryptoWorker();
        const failing = directSink(full.fd);
        await assert.rejects(
          cryptFile(
            originalOf(path, plaintext.length, input),
            failing,
            { op: 'encrypt', armor: 'binary', dataKey, header },
            { workerScript: script },
          ),
          (e: Error & { code?: string }) => e.code === 'ENOSPC' && /ENOSPC/.test(e.message),
        );
        assert.equal(failing.doneWith, undefined, 'a failed file is never reported done');
        assert.equal(await stopCryptoWorker(), false, 'the failed worker was stopped, not kept');
      } finally {
        await full.close();
      }
    } finally {
      await input.close();
      await out.close();
    }
  });

  it('reports a failed read of the original as it is', async () => {
    const dataKey = randomBytes(32);
    // A folder opens for reading, but reading it fails with EISDIR.
    const input = await open(folder, 'r');
    const out = await open(join(folder, 'out.bin'), 'w');
    try {
      const sink = directSink(out.fd);
      await assert.rejects(
        cryptFile(
          originalOf(folder, 4 * MiB, input),
          sink,
          { op: 'encrypt', armor: 'binary', dataKey, header: headerFor(dataKey) },
          { workerScript: script },
        ),
        (e: Error & { code?: string }) => e.code === 'EISDIR',
      );
      assert.equal(sink.doneWith, undefined);
    } finally {
      await input.close();
      await out.close();
    }
  });
});
