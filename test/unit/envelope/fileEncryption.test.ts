// Files encrypted, decrypted and re-encrypted in place against the emulator: sizes around
// the blob limit and the frame length, every format, the header-only re-wrap, and every
// refusal and failure leaving the file byte-identical with no temporary file.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Base64ArmorDecoder } from '../../../src/core/envelope/base64';
import {
  decryptFileInPlace,
  encryptFileInPlace,
  type FileJob,
  inspectFile,
  reEncryptFileInPlace,
} from '../../../src/core/envelope/fileEncryption';
import { parseMessageHeader } from '../../../src/core/envelope/messageFormat';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';
import { code } from '../../support/kmsErrors';

const MiB = 1024 * 1024;

function decodeArmor(text: Buffer): Buffer {
  const decoder = new Base64ArmorDecoder();
  const out: Buffer[] = [];
  decoder.on('data', (c: Buffer) => out.push(c));
  decoder.end(text);
  return Buffer.concat(out);
}

describe('files in place', function () {
  this.timeout(60_000);
  let kms: KmsFixture;
  let key: string;
  let other: string;
  let folder: string;
  let n = 0;

  before(async () => {
    kms = await startKmsFixture();
    key = await kms.createKey({ alias: 'alias/files' });
    other = await kms.createKey();
  });
  after(() => kms.close());
  beforeEach(() => {
    folder = join(kms.dir, `case-${++n}`);
    mkdirSync(folder);
  });
  afterEach(() => kms.emulator.faults.clear());

  function fileWith(content: Buffer, name = 'app.env'): string {
    const path = join(folder, name);
    writeFileSync(path, content);
    return path;
  }

  /** The file still holds `content`, and the folder holds only it. */
  function untouched(path: string, content: Buffer): void {
    assert.ok(readFileSync(path).equals(content), 'the file is byte-identical');
    assert.deepEqual(readdirSync(folder), [path.slice(folder.length + 1)], 'no temporary file is left');
  }

  for (const size of [0, 1, 4096, 4097, MiB, MiB + 1, 3 * MiB]) {
    for (const format of ['base64', 'binary'] as const) {
      it(`round-trips ${size} bytes as ${format}, keeping the file mode on encrypt`, async () => {
        const plaintext = randomBytes(size);
        const path = fileWith(plaintext);
        chmodSync(path, 0o640);
        const enc = await encryptFileInPlace(path, { keyId: 'alias/files', encryptionContext: { file: 'app.env' }, format }, kms);
        assert.equal(enc.keyId, key);
        assert.equal(enc.format, format);
        const inspection = await inspectFile(path);
        assert.equal(inspection.format.kind, 'message');
        assert.equal(inspection.format.kind === 'message' && inspection.format.armor, format);
        assert.deepEqual(inspection.info?.encryptionContext, { file: 'app.env' });
        assert.deepEqual(inspection.info?.keyArns, [key]);
        if (format === 'base64') assert.match(readFileSync(path, 'latin1'), /^([A-Za-z0-9+/=]{1,76}\n)+$/);
        assert.equal(statSync(path).mode & 0o777, 0o640);
        // The plaintext is readable by its owner only, unless asked to keep the mode.
        const dec = await decryptFileInPlace(path, size % 2 ? { mode: 'keep' } : {}, kms);
        assert.equal(dec.keyId, key);
        assert.equal(dec.format, format);
        assert.deepEqual(dec.encryptionContext, { file: 'app.env' });
        assert.ok(readFileSync(path).equals(plaintext), 'decrypted byte for byte');
        assert.equal(statSync(path).mode & 0o777, size % 2 ? 0o640 : 0o600);
        assert.deepEqual(readdirSync(folder), ['app.env']);
      });
    }
  }

  it('encrypts and decrypts with reads that do not line up with the frames (the SDK miscounts those when told the length)', async () => {
    const plaintext = randomBytes(3 * MiB + 12_345);
    const path = fileWith(plaintext);
    for (const chunkSize of [700 * 1024, 3 * MiB - 1]) {
      await encryptFileInPlace(path, { keyId: key, format: 'binary' }, { ...kms, chunkSize });
      await decryptFileInPlace(path, {}, { ...kms, chunkSize });
      assert.ok(readFileSync(path).equals(plaintext), `chunks of ${chunkSize} bytes`);
    }
    const big = randomBytes(2 * MiB + 1);
    const enc = await kms.envelope.encryptBuffer(big, { keyId: key });
    assert.deepEqual((await kms.envelope.decryptBuffer(enc.message)).plaintext, big);
  });

  it('re-encrypts a message by rewriting only its header: same message id and body, the old key no longer opens it', async () => {
    const plaintext = randomBytes(2 * MiB + 3);
    const path = fileWith(plaintext);
    await encryptFileInPlace(path, { keyId: key, encryptionContext: { v: '1' } }, kms);
    const before = decodeArmor(readFileSync(path));
    const oldHeader = parseMessageHeader(before)!;
    kms.emulator.resetCalls();
    const re = await reEncryptFileInPlace(path, { keyId: other }, kms);
    assert.equal(re.method, 'rewrap');
    assert.equal(re.keyId, other);
    assert.equal(re.sourceKeyId, key);
    assert.equal(re.format, 'base64');
    assert.deepEqual(kms.emulator.calls(), { Decrypt: 1, ReEncrypt: 1 });
    const after = decodeArmor(readFileSync(path));
    const newHeader = parseMessageHeader(after)!;
    assert.deepEqual(newHeader.messageId, oldHeader.messageId);
    assert.ok(after.subarray(newHeader.length).equals(before.subarray(oldHeader.length)), 'the encrypted content is unchanged');
    assert.deepEqual(
      newHeader.encryptedDataKeys.map((k) => k.providerInfo),
      [other],
    );
    await assert.rejects(decryptFileInPlace(path, { keyId: key }, kms), code('IncorrectKeyException'));
    // Re-wrap into binary, with a new context, then decrypt.
    const re2 = await reEncryptFileInPlace(path, { keyId: key, encryptionContext: { v: '2' }, format: 'binary' }, kms);
    assert.equal(re2.format, 'binary');
    assert.deepEqual(re2.encryptionContext, { v: '2' });
    await assert.rejects(
      decryptFileInPlace(path, { encryptionContext: { v: '1' } }, kms),
      code('EncryptionContextMismatch', /expected v=1 \(it has v=2\)/),
    );
    await decryptFileInPlace(path, { encryptionContext: { v: '2' } }, kms);
    assert.ok(readFileSync(path).equals(plaintext));
  });

  it('re-wraps to a key in another region with Encrypt (ReEncrypt does not cross regions)', async () => {
    const west = await kms.createKey({ region: 'eu-west-1' });
    const plaintext = randomBytes(10_000);
    const path = fileWith(plaintext);
    await encryptFileInPlace(path, { keyId: key }, kms);
    kms.emulator.resetCalls();
    const re = await reEncryptFileInPlace(path, { keyId: west }, kms);
    assert.equal(re.method, 'rewrap');
    assert.deepEqual(kms.emulator.calls(), { Decrypt: 1, Encrypt: 1 });
    assert.deepEqual((await inspectFile(path)).info?.keyArns, [west]);
    const dec = await decryptFileInPlace(path, {}, kms);
    assert.equal(dec.keyId, west, 'decrypted through a client for eu-west-1');
    assert.ok(readFileSync(path).equals(plaintext));
  });

  it('writes a KMS blob when asked, for files up to 4,096 bytes, and reads and re-encrypts it', async () => {
    const plaintext = Buffer.from('API_KEY=abc123\n');
    const path = fileWith(plaintext);
    const enc = await encryptFileInPlace(path, { keyId: key, encryptionContext: { f: 'x' }, format: 'blob' }, kms);
    assert.equal(enc.format, 'blob');
    assert.match(readFileSync(path, 'latin1'), /^AQICAHh[A-Za-z0-9+/]+=*\n$/);
    const re = await reEncryptFileInPlace(path, { keyId: other, sourceEncryptionContext: { f: 'x' } }, kms);
    assert.equal(re.method, 'blob');
    await assert.rejects(decryptFileInPlace(path, {}, kms), code('InvalidCiphertextException'));
    await decryptFileInPlace(path, { encryptionContext: { f: 'x' } }, kms);
    assert.ok(readFileSync(path).equals(plaintext));

    const big = randomBytes(4097);
    const bigPath = fileWith(big, 'big.key');
    await assert.rejects(
      encryptFileInPlace(bigPath, { keyId: key, format: 'blob' }, kms),
      code('PlaintextTooLarge', /4,097 bytes: too large for a KMS ciphertext blob/),
    );
    const empty = fileWith(Buffer.alloc(0), 'empty.key');
    await assert.rejects(encryptFileInPlace(empty, { keyId: key, format: 'blob' }, kms), code('PlaintextEmpty'));
    assert.ok(readFileSync(bigPath).equals(big));
  });

  it('refuses to encrypt what is encrypted and to decrypt what is not, leaving both as they were', async () => {
    const path = fileWith(Buffer.from('A=1\n'));
    await encryptFileInPlace(path, { keyId: key }, kms);
    const encrypted = readFileSync(path);
    await assert.rejects(
      encryptFileInPlace(path, { keyId: key, format: 'binary' }, kms),
      code('AlreadyEncrypted', new RegExp(`app.env is already encrypted \\(an AWS Encryption SDK message \\(base64\\) under ${key}\\)`)),
    );
    untouched(path, encrypted);
    const plain = Buffer.from('A=1\n');
    const plainPath = join(folder, 'plain.env');
    writeFileSync(plainPath, plain);
    await assert.rejects(decryptFileInPlace(plainPath, {}, kms), code('NotEncrypted', /plain.env is not encrypted/));
    await assert.rejects(reEncryptFileInPlace(plainPath, { keyId: key }, kms), code('NotEncrypted'));
    assert.ok(readFileSync(plainPath).equals(plain));
  });

  it('gives a clear error and leaves the file unchanged for a wrong context, a disabled key and a tampered or truncated file', async () => {
    const disabled = await kms.createKey();
    const path = fileWith(randomBytes(3 * MiB));
    await encryptFileInPlace(path, { keyId: disabled, encryptionContext: { app: 'web' }, format: 'binary' }, kms);
    const encrypted = readFileSync(path);
    await assert.rejects(decryptFileInPlace(path, { encryptionContext: { app: 'api' } }, kms), code('EncryptionContextMismatch'));
    untouched(path, encrypted);
    await kms.gateway.disableKey(disabled);
    await assert.rejects(decryptFileInPlace(path, {}, kms), code('DisabledException', /disabled/));
    untouched(path, encrypted);
    await assert.rejects(reEncryptFileInPlace(path, { keyId: key }, kms), code('DisabledException'));
    untouched(path, encrypted);
    await kms.gateway.enableKey(disabled);

    const tampered = Buffer.from(encrypted);
    tampered[encrypted.length - 2 * MiB] ^= 1;
    writeFileSync(path, tampered);
    await assert.rejects(decryptFileInPlace(path, {}, kms), code('TamperedCiphertext', /altered or is damaged/));
    untouched(path, tampered);
    // Re-encrypting reads the header and the final frame only: damage inside the body stays for
    // decrypting to find (the body is not rewritten), damage in the final frame is refused.
    const re = await reEncryptFileInPlace(path, { keyId: key }, kms);
    assert.equal(re.method, 'rewrap');
    const header = parseMessageHeader(tampered)!;
    assert.ok(readFileSync(path).subarray(header.length).equals(tampered.subarray(header.length)), 'the body is as it was');
    await assert.rejects(decryptFileInPlace(path, {}, kms), code('TamperedCiphertext', /frame 2 does not authenticate/));
    const finalTampered = Buffer.from(encrypted);
    finalTampered[encrypted.length - 20] ^= 1;
    writeFileSync(path, finalTampered);
    await assert.rejects(reEncryptFileInPlace(path, { keyId: key }, kms), code('TamperedCiphertext', /frame 3 does not authenticate/));
    untouched(path, finalTampered);

    const truncated = encrypted.subarray(0, encrypted.length - 100);
    writeFileSync(path, truncated);
    await assert.rejects(decryptFileInPlace(path, {}, kms), code('TamperedCiphertext', /truncated/));
    untouched(path, truncated);
    await assert.rejects(reEncryptFileInPlace(path, { keyId: key }, kms), code('TamperedCiphertext', /truncated/));
    untouched(path, truncated);

    const armored = fileWith(Buffer.from('AgR4not really a message\n'), 'bad.kms');
    await assert.rejects(decryptFileInPlace(armored, {}, kms));
    assert.equal(readFileSync(armored, 'latin1'), 'AgR4not really a message\n');
  });

  it('leaves the original byte-identical with no temporary file when KMS fails mid-way or the write fails', async () => {
    const plaintext = randomBytes(2 * MiB);
    const path = fileWith(plaintext);
    kms.emulator.faults.set('GenerateDataKey', { drop: 1 });
    await assert.rejects(encryptFileInPlace(path, { keyId: key }, kms), code('EndpointUnreachable'));
    untouched(path, plaintext);

    await encryptFileInPlace(path, { keyId: key }, kms);
    const encrypted = readFileSync(path);
    kms.emulator.faults.set('Decrypt', { failOnCall: 1, error: { name: 'KMSInternalException' } });
    await assert.rejects(decryptFileInPlace(path, {}, kms), code('KMSInternalException'));
    untouched(path, encrypted);
    kms.emulator.faults.set('ReEncrypt', { drop: 1 });
    await assert.rejects(reEncryptFileInPlace(path, { keyId: other }, kms), code('EndpointUnreachable'));
    untouched(path, encrypted);
    kms.emulator.faults.clear();

    const writeFaults = [
      {
        beforeWrite: (written: number, length: number) => {
          if (written + length > MiB) throw new Error('ENOSPC: no space left on device');
        },
      },
      {
        beforeSync: () => {
          throw new Error('EIO: i/o error');
        },
      },
      {
        beforeRename: () => {
          throw new Error('EXDEV: rename failed');
        },
      },
    ];
    // Encrypting: the Encryption SDK's stream is torn down half-way (it must not throw uncaught errors then).
    const other2 = fileWith(plaintext, 'other.bin');
    for (const faults of writeFaults) {
      await assert.rejects(encryptFileInPlace(other2, { keyId: key }, { ...kms, faults }), /ENOSPC|EIO|EXDEV/);
      assert.ok(readFileSync(other2).equals(plaintext));
    }
    for (const faults of writeFaults) {
      await assert.rejects(decryptFileInPlace(path, {}, { ...kms, faults }), /ENOSPC|EIO|EXDEV/);
      assert.ok(readFileSync(path).equals(encrypted));
    }
    // Re-encrypting rewrites the header in place (a few hundred bytes): a failed write, flush or
    // commit puts the original header back, and leaves no journal.
    const inPlaceFaults = [
      {
        beforeWrite: () => {
          throw new Error('ENOSPC: no space left on device');
        },
      },
      ...writeFaults.slice(1),
    ];
    for (const faults of inPlaceFaults) {
      await assert.rejects(reEncryptFileInPlace(path, { keyId: other }, { ...kms, faults }), /ENOSPC|EIO|EXDEV/);
      assert.ok(readFileSync(path).equals(encrypted));
    }
    // Give a torn-down stream time to finish on its own: no uncaught error may follow.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(readdirSync(folder).sort(), ['app.env', 'other.bin']);
  });

  it('reports progress and stops on cancel, leaving the file as it was', async () => {
    const plaintext = randomBytes(8 * MiB);
    const path = fileWith(plaintext);
    const seen: number[] = [];
    await encryptFileInPlace(path, { keyId: key }, { ...kms, onProgress: (done, total) => seen.push(done / total) });
    assert.ok(seen.length >= 8, `${seen.length} progress reports`);
    assert.equal(seen.at(-1), 1);
    const encrypted = readFileSync(path);
    const controller = new AbortController();
    const job: FileJob = { ...kms, signal: controller.signal, onProgress: (done) => (done > 2 * MiB ? controller.abort() : undefined) };
    await assert.rejects(decryptFileInPlace(path, {}, job), (e: Error) => e.name === 'AbortError');
    untouched(path, encrypted);
    // Cancel while encrypting, and while re-encrypting a signed message (two SDK streams).
    writeFileSync(path, plaintext);
    const encrypting = new AbortController();
    await assert.rejects(
      encryptFileInPlace(
        path,
        { keyId: key },
        { ...kms, signal: encrypting.signal, onProgress: (done) => (done > 2 * MiB ? encrypting.abort() : undefined) },
      ),
      (e: Error) => e.name === 'AbortError',
    );
    untouched(path, plaintext);
    await new Promise((resolve) => setTimeout(resolve, 300));
  });
});
