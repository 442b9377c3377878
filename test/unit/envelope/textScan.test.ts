import * as assert from 'node:assert/strict';
import { contextMismatches, formatEncryptionContext, parseEncryptionContext } from '../../../src/core/envelope/encryptionContext';
import { splitQuoted, tokenAt, tokensIn } from '../../../src/core/envelope/textScan';
import { ArgumentError } from '../../../src/core/args/argumentError';

describe('selections and the token under the cursor', () => {
  it('keeps matching quotes outside, and whitespace too when trimming', () => {
    assert.deepEqual(splitQuoted('"s3cret"', { trim: false }), { prefix: '"', inner: 's3cret', suffix: '"' });
    assert.deepEqual(splitQuoted("'a b'", { trim: false }), { prefix: "'", inner: 'a b', suffix: "'" });
    assert.deepEqual(splitQuoted('`x`', { trim: false }), { prefix: '`', inner: 'x', suffix: '`' });
    assert.deepEqual(
      splitQuoted(' "x" ', { trim: false }),
      { prefix: '', inner: ' "x" ', suffix: '' },
      'whitespace is content when encrypting',
    );
    assert.deepEqual(splitQuoted('  "AQICAH=="\n', { trim: true }), { prefix: '  "', inner: 'AQICAH==', suffix: '"\n' });
    assert.deepEqual(splitQuoted('"x\'', { trim: false }), { prefix: '', inner: '"x\'', suffix: '' }, 'different quotes stay');
    assert.deepEqual(splitQuoted('"', { trim: false }), { prefix: '', inner: '"', suffix: '' });
    assert.deepEqual(splitQuoted('""', { trim: false }), { prefix: '"', inner: '', suffix: '"' });
  });

  it('finds the base64 token under the cursor, taking "=" only as padding', () => {
    const line = 'DB_PASSWORD=AQICAHhAbc+/xyz== # note';
    const value = { start: 12, end: 29, text: 'AQICAHhAbc+/xyz==' };
    assert.deepEqual(tokenAt(line, 12), value);
    assert.deepEqual(tokenAt(line, 20), value);
    assert.deepEqual(tokenAt(line, 29), value, 'right after the token');
    assert.deepEqual(tokenAt(line, 11), value, 'on the "=" of the key, the value is meant');
    assert.deepEqual(tokenAt(line, 3), { start: 3, end: 12, text: 'PASSWORD=' });
    assert.equal(tokenAt(line, 30), undefined);
    assert.equal(tokenAt(line, 20, 40), undefined, 'shorter than the minimum');
    assert.deepEqual(tokenAt('"AQID"', 3), { start: 1, end: 5, text: 'AQID' });
    assert.deepEqual(
      tokensIn('a=AQIDBAUG, b="BwgJ"', 4).map((t) => t.text),
      ['AQIDBAUG', 'BwgJ'],
    );
  });
});

describe('encryption context as typed', () => {
  it('parses key=value pairs separated by commas or lines, or JSON', () => {
    assert.deepEqual(parseEncryptionContext(''), {});
    assert.deepEqual(parseEncryptionContext(' app = web , env=prod\nteam=x '), { app: 'web', env: 'prod', team: 'x' });
    assert.deepEqual(parseEncryptionContext('url=https://a/b?c=d'), { url: 'https://a/b?c=d' });
    assert.deepEqual(parseEncryptionContext('{"a,b": "c=d, e"}'), { 'a,b': 'c=d, e' });
  });

  it('refuses what KMS or the Encryption SDK would, naming the fix', () => {
    for (const [text, pattern] of [
      ['app', /not a key=value pair/],
      ['=x', /not a key=value pair/],
      ['a=1, a=2', /twice/],
      ['a=', /value of "a" is empty/],
      ['aws-crypto-public-key=x', /reserved/],
      ['{"a": 1}', /object of string values/],
      ['{oops', /not valid JSON/],
    ] as const) {
      assert.throws(
        () => parseEncryptionContext(text),
        (e: Error) => e instanceof ArgumentError && pattern.test(e.message),
        text,
      );
    }
  });

  it('formats sorted pairs, as JSON when a pair would not read back', () => {
    assert.equal(formatEncryptionContext({ b: '2', a: '1' }), 'a=1, b=2');
    assert.equal(formatEncryptionContext({}), '');
    assert.equal(formatEncryptionContext({ a: 'x, y' }), '{"a":"x, y"}');
    for (const ctx of [{ b: '2', a: '1' }, { a: 'x, y' }, { 'k=v': 'z' }] as Record<string, string>[])
      assert.deepEqual(parseEncryptionContext(formatEncryptionContext(ctx)), ctx);
  });

  it('lists expected pairs a context lacks or differs in', () => {
    assert.deepEqual(contextMismatches({ a: '1', b: '2' }, { a: '1' }), []);
    assert.deepEqual(contextMismatches({ a: '1' }, { a: '2', c: '3' }), ['a=2 (it has a=1)', 'c=3 (missing)']);
  });
});
