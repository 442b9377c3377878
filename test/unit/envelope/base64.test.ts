import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  armorBase64,
  armorLines,
  Base64ArmorDecoder,
  Base64ArmorEncoder,
  Base64FormatError,
  BASE64_LINE_LENGTH,
  decodeArmorLines,
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

/**
 * Runs `bytes` through a decoder that lends what it pushes (valid until its next push), as a
 * codec drives it: each push is copied at once. Returns the bytes and how many pushes reused
 * the memory of an earlier one.
 */
function borrowedThrough(bytes: Buffer, chunk: number): { bytes: Buffer; reused: number } {
  const decoder = new Base64ArmorDecoder(true);
  const parts: Buffer[] = [];
  const seen = new Set<ArrayBufferLike>();
  let reused = 0;
  decoder.push = (part: Buffer | null): boolean => {
    if (part) {
      if (seen.has(part.buffer)) reused++;
      seen.add(part.buffer);
      parts.push(Buffer.from(part));
    }
    return true;
  };
  const step = (run: (cb: (error?: Error | null) => void) => void): void => {
    let failure: Error | null | undefined;
    run((error) => (failure = error));
    if (failure) throw failure;
  };
  for (let i = 0; i < bytes.length; i += chunk)
    step((cb) => decoder._transform(bytes.subarray(i, i + chunk), 'buffer' as BufferEncoding, cb));
  step((cb) => decoder._flush(cb));
  return { bytes: Buffer.concat(parts), reused };
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

  it('decodes into one reused buffer when what it pushes is borrowed, with the same bytes whatever the chunking and layout', () => {
    for (const size of [0, 1, 57, 1000, 300_000]) {
      const bytes = randomBytes(size);
      const armor = armorBase64(bytes);
      const layouts = [
        armor,
        Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), armor]),
        Buffer.from(armor.toString('latin1').replace(/\n/g, '\r\n'), 'latin1'),
        Buffer.from(bytes.toString('base64'), 'latin1'),
      ];
      for (const [i, text] of layouts.entries()) {
        for (const chunk of size <= 1000 ? [1, 5, 77, 1000] : [77, 1000, 4096 * 77 + 3, 1 << 20]) {
          assert.deepEqual(borrowedThrough(text, chunk).bytes, bytes, `size ${size}, layout ${i}, chunk ${chunk}`);
        }
      }
    }
    // Regular lines in large chunks: every push after the first reuses the same memory.
    const big = armorBase64(randomBytes(57 * 20_000));
    const { bytes, reused } = borrowedThrough(big, 64 * 1024);
    assert.equal(bytes.length, 57 * 20_000);
    assert.ok(reused >= 10, `pushes reused the decoder's buffer (${reused})`);
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

  it('decodes whole lines of armor exactly when they are what armorLines writes (the reference: re-encode and compare)', () => {
    const reference = (file: Buffer): Buffer | undefined => {
      const bytes = Buffer.from(file.toString('latin1'), 'base64');
      return armorLines(bytes).equals(file) ? bytes : undefined;
    };
    // Changes of one character (or a line break) of canonical armor, and the armor as written.
    const replacements = [...'AQZaz09+/=-_#\r \t\n\u00e9'];
    let accepted = 0;
    let refused = 0;
    for (let round = 0; round < 3000; round++) {
      const bytes = randomBytes(1 + (round % 300));
      let file = armorLines(bytes);
      const at = (round * 7919) % file.length;
      const change = round % 5;
      if (change === 1)
        file = Buffer.concat([
          file.subarray(0, at),
          Buffer.from(replacements[round % replacements.length], 'latin1'),
          file.subarray(at + 1),
        ]);
      else if (change === 2) file = Buffer.concat([file.subarray(0, at), file.subarray(at + 1)]);
      else if (change === 3)
        file = Buffer.concat([file.subarray(0, at), Buffer.from(replacements[round % replacements.length], 'latin1'), file.subarray(at)]);
      else if (change === 4 && file.length >= 6) {
        // The last character before padding or the final newline, one bit off (stray bits of the last group).
        const last = file.length - 2 - (file[file.length - 2] === 0x3d ? (file[file.length - 3] === 0x3d ? 2 : 1) : 0);
        file = Buffer.from(file);
        file[last] = file[last] === 0x41 ? 0x42 : file[last] === 0x42 ? 0x41 : file[last];
      }
      if (file.length === 0 || file[file.length - 1] !== 0x0a) continue;
      const want = reference(file);
      const got = decodeArmorLines(file);
      assert.deepEqual(got, want, `round ${round}: ${JSON.stringify(file.toString('latin1').slice(Math.max(0, at - 8), at + 8))}`);
      if (want) accepted++;
      else refused++;
    }
    assert.ok(accepted > 500 && refused > 500, `both answers seen (${accepted} accepted, ${refused} refused)`);
    assert.equal(decodeArmorLines(Buffer.from('QUJD\n'))?.toString(), 'ABC');
    assert.equal(decodeArmorLines(Buffer.from('QUJD')), undefined, 'no final newline');
    assert.equal(decodeArmorLines(Buffer.from('QR==\n')), undefined, 'stray bits');
  });
});
