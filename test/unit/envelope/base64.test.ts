import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  armorBase64,
  Base64ArmorDecoder,
  Base64ArmorEncoder,
  Base64FormatError,
  BASE64_LINE_LENGTH,
  decodeArmorPrefix,
  decodeStrictBase64,
  isStrictBase64,
} from '../../../src/core/envelope/base64';

/** Runs `bytes` through a transform in chunks of `chunk` bytes. */
async function through(transform: NodeJS.ReadWriteStream, bytes: Buffer, chunk: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
  transform.on('data', (part: Buffer) => parts.push(part));
  await pipeline(Readable.from(chunks), transform);
  return Buffer.concat(parts);
}

describe('base64: the CLI form of blobs and the armor of encrypted files', () => {
  it('accepts only canonical padded standard base64 as a blob', () => {
    assert.ok(isStrictBase64('AQID'));
    assert.ok(isStrictBase64('AQI='));
    assert.ok(isStrictBase64('AQ=='));
    for (const bad of ['', 'AQI', 'AQ=I', 'A===', 'AQ-_', 'AQ I', 'AQ\nID', '====']) assert.ok(!isStrictBase64(bad), bad);
    assert.deepEqual(decodeStrictBase64('AQID'), Buffer.from([1, 2, 3]));
    // "AR==" carries stray bits in its last character: not what any encoder writes.
    assert.equal(decodeStrictBase64('AR=='), undefined);
  });

  it('armors in 76-character lines with a final newline, and reads that back whatever the chunking', async () => {
    for (const size of [0, 1, 56, 57, 58, 114, 1000, 100_000]) {
      const bytes = randomBytes(size);
      const whole = armorBase64(bytes);
      for (const chunk of [1, 7, 57, 4096, 1 << 20]) {
        const streamed = await through(new Base64ArmorEncoder(), bytes, chunk);
        assert.deepEqual(streamed, whole, `encode size ${size} chunk ${chunk}`);
        assert.deepEqual(await through(new Base64ArmorDecoder(), whole, chunk), bytes, `decode size ${size} chunk ${chunk}`);
      }
      const lines = whole.toString('latin1').split('\n');
      assert.equal(lines.pop(), '', 'ends with a newline');
      assert.ok(
        lines.every((l, i) => (i < lines.length - 1 ? l.length === BASE64_LINE_LENGTH : l.length <= BASE64_LINE_LENGTH)),
        `line lengths for ${size}`,
      );
      assert.equal(whole.toString('latin1').replace(/\n/g, ''), bytes.toString('base64'), 'same as one-line base64');
    }
  });

  it('reads armor with CRLF line ends, one long line, or spaces', async () => {
    const bytes = randomBytes(500);
    const b64 = bytes.toString('base64');
    for (const text of [b64, b64.replace(/(.{64})/g, '$1\r\n'), ` ${b64.slice(0, 10)} ${b64.slice(10)}\n\n`]) {
      assert.deepEqual(await through(new Base64ArmorDecoder(), Buffer.from(text, 'latin1'), 33), bytes);
    }
  });

  it('refuses characters outside the alphabet, data after the padding, and a truncated last group, naming the problem', async () => {
    await assert.rejects(
      through(new Base64ArmorDecoder(), Buffer.from('AQID\nAQ!D\n'), 4),
      (e: Error) => e instanceof Base64FormatError && /byte 0x21 at offset 7/.test(e.message),
    );
    await assert.rejects(
      through(new Base64ArmorDecoder(), Buffer.from('AQ==AQID'), 100),
      (e: Error) => e instanceof Base64FormatError && /after its padding/.test(e.message),
    );
    await assert.rejects(
      through(new Base64ArmorDecoder(), Buffer.from('AQIDAQ'), 100),
      (e: Error) => e instanceof Base64FormatError && /truncated/.test(e.message),
    );
  });

  it('finds a stray character deep inside regular 76-character lines, at its offset', async () => {
    const armor = Buffer.from(armorBase64(randomBytes(57 * 1000)));
    const at = 77 * 500 + 10;
    armor[at] = 0x21; // "!", which Node's own decoder would silently skip
    for (const chunk of [1000, 1 << 20]) {
      await assert.rejects(
        through(new Base64ArmorDecoder(), armor, chunk),
        (e: Error) => e instanceof Base64FormatError && e.message.includes(`offset ${at}`),
        `chunk ${chunk}`,
      );
    }
    const padded = Buffer.from(armorBase64(randomBytes(57 * 10 + 1)));
    assert.equal((await through(new Base64ArmorDecoder(), padded, 100)).length, 571);
  });

  it('decodes the start of armor for detection, and gives up on non-base64 text', () => {
    assert.deepEqual(decodeArmorPrefix(Buffer.from('AQID\nBAUG\nBw')), Buffer.from([1, 2, 3, 4, 5, 6]));
    assert.equal(decodeArmorPrefix(Buffer.from('hello, world')), undefined);
  });
});
