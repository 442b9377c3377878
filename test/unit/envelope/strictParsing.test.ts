// Strict parsing of Encryption SDK messages: bytes after the end of a message are refused
// (files, streamed; buffers, as selections decrypt them), a file is a message only when its
// whole header parses, and base64 armor with a byte order mark or CRLF line ends is read.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { armorBase64 } from '../../../src/core/envelope/base64';
import { detectFileFormat, detectTextCiphertext } from '../../../src/core/envelope/detect';
import { decryptFileInPlace, encryptFileInPlace, inspectFile, reEncryptFileInPlace } from '../../../src/core/envelope/fileEncryption';
import { checkMessageEnd } from '../../../src/core/envelope/messageEnd';
import { parseMessageHeader } from '../../../src/core/envelope/messageFormat';
import { decryptSecret } from '../../../src/core/envelope/secretText';
import type { KmsError } from '../../../src/core/kms/errors';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';
import { directEncryptionSdk } from './encryptionSdk';

const MiB = 1024 * 1024;
const tamperedError = (e: KmsError): boolean => {
  assert.equal(e.code, 'TamperedCiphertext', e.message);
  return true;
};

describe('strict parsing of messages', function () {
  this.timeout(60_000);
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
    folder = join(kms.dir, `strict-${++n}`);
    mkdirSync(folder);
  });

  function fileWith(content: Buffer, name = 'secret.bin'): string {
    const path = join(folder, name);
    writeFileSync(path, content);
    return path;
  }

  function untouched(path: string, content: Buffer): void {
    assert.ok(readFileSync(path).equals(content), 'the file is byte-identical');
    assert.equal(readdirSync(folder).length, 1, 'no temporary file is left');
  }

  async function message(plaintext: Buffer): Promise<Buffer> {
    return (await kms.envelope.encryptBuffer(plaintext, { keyId: key })).message;
  }

  describe('bytes after the end of a message', () => {
    for (const size of [0, 100, MiB, MiB + 5]) {
      it(`a second message appended to a binary file (${size} bytes) is refused, the file left as it was`, async () => {
        const content = Buffer.concat([await message(randomBytes(size)), await message(Buffer.from('second'))]);
        const path = fileWith(content);
        await assert.rejects(decryptFileInPlace(path, {}, kms), tamperedError);
        untouched(path, content);
      });
    }

    it('a second message appended to base64 armor is refused', async () => {
      const content = Buffer.concat([armorBase64(await message(randomBytes(5000))), armorBase64(await message(Buffer.from('x')))]);
      const path = fileWith(content, 'secret.txt');
      await assert.rejects(decryptFileInPlace(path, {}, kms), tamperedError);
      untouched(path, content);
    });

    it('"AAAA" appended to base64 armor is refused, with and without padding before it', async () => {
      let sawUnpadded = false;
      let sawPadded = false;
      for (let size = 0; size < 6 && !(sawPadded && sawUnpadded); size++) {
        const armor = armorBase64(await message(randomBytes(size)));
        const padded = armor.includes('=');
        if (padded) sawPadded = true;
        else sawUnpadded = true;
        const content = Buffer.concat([armor, Buffer.from('AAAA\n')]);
        const path = fileWith(content, `secret-${size}.txt`);
        await assert.rejects(decryptFileInPlace(path, {}, kms), tamperedError);
        assert.ok(readFileSync(path).equals(content));
      }
      assert.ok(sawPadded && sawUnpadded, 'both shapes of armor were tried');
    });

    it('re-encrypting a file with bytes after its message is refused', async () => {
      const content = Buffer.concat([await message(randomBytes(3000)), Buffer.from([0, 0, 0])]);
      const path = fileWith(content);
      await assert.rejects(reEncryptFileInPlace(path, { keyId: key }, kms), tamperedError);
      untouched(path, content);
    });

    it('in memory (a selection): appended bytes and an appended message are refused, the exact message decrypts', async () => {
      const m = await message(Buffer.from('hello'));
      assert.equal((await kms.envelope.decryptBuffer(m)).plaintext.toString(), 'hello');
      await assert.rejects(kms.envelope.decryptBuffer(Buffer.concat([m, m])), tamperedError);
      await assert.rejects(kms.envelope.decryptBuffer(Buffer.concat([m, Buffer.from([0, 0, 0])])), tamperedError);
      const text = Buffer.concat([m, Buffer.from([0, 0, 0])]).toString('base64');
      const found = detectTextCiphertext(text);
      assert.equal(found?.kind, 'message');
      await assert.rejects(decryptSecret(found, {}, kms), tamperedError);
    });

    it('a signed message (the Encryption SDK default) is walked to its footer: whole, it decrypts; with bytes after it, it is refused', async () => {
      const direct = await directEncryptionSdk(kms);
      try {
        const { result } = await direct.client.encrypt(direct.keyring(key), Buffer.from('signed secret'));
        const header = parseMessageHeader(result)!;
        assert.ok(header.suite.signed);
        checkMessageEnd(result, header);
        assert.throws(() => checkMessageEnd(result.subarray(0, result.length - 1), header), tamperedError);
        assert.throws(() => checkMessageEnd(Buffer.concat([result, Buffer.from('x')]), header), tamperedError);
        const path = fileWith(Buffer.concat([result, Buffer.from('x')]));
        await assert.rejects(decryptFileInPlace(path, {}, kms), tamperedError);
        writeFileSync(path, result);
        await decryptFileInPlace(path, {}, kms);
        assert.equal(readFileSync(path, 'utf8'), 'signed secret');
      } finally {
        direct.close();
      }
    });
  });

  describe('false positives', () => {
    const lookalikes: [string, Buffer][] = [
      ['text starting "AgV4"', Buffer.from('AgV4 is how our notes start\n')],
      ['base64-looking text starting "AgV4"', Buffer.from('AgV4' + 'QUJD'.repeat(30) + '\n')],
      ['a long base64-looking file starting "AgV4"', Buffer.from('AgV4' + 'A'.repeat(200_000))],
      ['bytes 02 05 78 then random bytes', Buffer.concat([Buffer.from([0x02, 0x05, 0x78]), randomBytes(300)])],
      ['exactly the bytes 02 05 78', Buffer.from([0x02, 0x05, 0x78])],
      ['a message header cut short', Buffer.alloc(0)],
    ];

    for (const [what, fixed] of lookalikes) {
      it(`${what} is plaintext, and encrypts`, async () => {
        const content = fixed.length ? fixed : (await message(Buffer.from('x'))).subarray(0, 40);
        assert.equal(detectFileFormat(content, content.length).kind, 'plaintext');
        const path = fileWith(content);
        assert.equal((await inspectFile(path)).format.kind, 'plaintext');
        await encryptFileInPlace(path, { keyId: key, format: 'binary' }, kms);
        await decryptFileInPlace(path, {}, kms);
        assert.ok(readFileSync(path).equals(content));
      });
    }

    it('in text, "AgV4…" that is not a whole header is not taken for a message', async () => {
      assert.equal(detectTextCiphertext('AgV4')?.kind, undefined);
      assert.notEqual(detectTextCiphertext('AgV4' + 'QUJD'.repeat(10))?.kind, 'message');
      const cut = (await message(Buffer.from('x'))).subarray(0, 60).toString('base64');
      assert.notEqual(detectTextCiphertext(cut)?.kind, 'message');
    });

    it('a file whose head ends inside a large header is still read further and recognised', async () => {
      const context = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v'.repeat(3000)]));
      const m = (await kms.envelope.encryptBuffer(Buffer.from('big header'), { keyId: key, encryptionContext: context })).message;
      const armor = armorBase64(m);
      assert.ok(
        armor.length > 64 * 1024 && Math.ceil((parseMessageHeader(m)!.length * 4) / 3) > 64 * 1024,
        'the armored header is longer than the first read',
      );
      const path = fileWith(armor);
      const inspection = await inspectFile(path);
      assert.equal(inspection.format.kind, 'message');
      assert.ok(inspection.header);
    });
  });

  describe('armor written on Windows', () => {
    for (const [what, transform] of [
      ['a UTF-8 byte order mark', (a: Buffer) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), a])],
      ['CRLF line ends', (a: Buffer) => Buffer.from(a.toString('latin1').replace(/\n/g, '\r\n'), 'latin1')],
      [
        'both',
        (a: Buffer) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(a.toString('latin1').replace(/\n/g, '\r\n'), 'latin1')]),
      ],
    ] as const) {
      it(`is recognised and decrypts with ${what}`, async () => {
        const plaintext = randomBytes(2 * MiB + 17);
        const armor = transform(armorBase64(await message(plaintext)));
        const path = fileWith(armor, 'secret.txt');
        const inspection = await inspectFile(path);
        assert.equal(inspection.format.kind === 'message' && inspection.format.armor, 'base64');
        await decryptFileInPlace(path, {}, kms);
        assert.ok(readFileSync(path).equals(plaintext));
      });
    }

    it('a KMS blob file with a byte order mark and CRLF is recognised and decrypts', async () => {
      const { ciphertext } = await kms.gateway.encrypt({ keyId: key, plaintext: Buffer.from('blob secret') });
      const path = fileWith(
        Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${Buffer.from(ciphertext).toString('base64')}\r\n`)]),
        'blob.txt',
      );
      assert.equal((await inspectFile(path)).format.kind, 'blob');
      await decryptFileInPlace(path, {}, kms);
      assert.equal(readFileSync(path, 'utf8'), 'blob secret');
    });
  });
});
