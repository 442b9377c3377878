import * as assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { checkMessageLength, decodeBase64, decodeMessage, encodeBytes, fromPem, toPem } from '../../../src/core/keyOps/encoding';

describe('keyOps encodings', () => {
  it('armours a DER public key as PEM that Node reads back', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const der = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
    const pem = toPem(der, 'PUBLIC KEY');
    assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.match(pem, /\n-----END PUBLIC KEY-----\n$/);
    for (const line of pem.trim().split('\n').slice(1, -1)) assert.ok(line.length <= 64, `line of ${line.length}`);
    assert.equal(createPublicKey(pem).export({ type: 'spki', format: 'pem' }), publicKey.export({ type: 'spki', format: 'pem' }));
    assert.deepEqual(fromPem(pem), der);
  });

  it('encodes bytes as base64, hex or base64url', () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0x00, 0x10]);
    assert.equal(encodeBytes(bytes, 'base64'), '+/8AEA==');
    assert.equal(encodeBytes(bytes, 'hex'), 'fbff0010');
    assert.equal(encodeBytes(bytes, 'base64url'), '-_8AEA');
  });

  it('decodes messages as text, hex or base64, strictly', () => {
    assert.deepEqual(decodeMessage('hé', 'text'), { ok: true, value: new Uint8Array([0x68, 0xc3, 0xa9]) });
    assert.deepEqual(decodeMessage('0a FF', 'hex'), { ok: true, value: new Uint8Array([0x0a, 0xff]) });
    assert.deepEqual(decodeMessage('+/8AEA==', 'base64'), { ok: true, value: new Uint8Array([0xfb, 0xff, 0x00, 0x10]) });
    assert.deepEqual(decodeBase64('-_8AEA', 'x'), { ok: true, value: new Uint8Array([0xfb, 0xff, 0x00, 0x10]) });
    const badHex = decodeMessage('abc', 'hex');
    assert.match(badHex.ok ? '' : badHex.problem, /not hex/);
    const badBase64 = decodeMessage('not base64!', 'base64', 'The signature');
    assert.match(badBase64.ok ? '' : badBase64.problem, /The signature is not base64/);
    const oneCharTooMany = decodeBase64('AAAAA', 'x');
    assert.equal(oneCharTooMany.ok, false);
  });

  it('checks message lengths of 1 to 4096 bytes', () => {
    assert.equal(checkMessageLength(new Uint8Array(4096), 4096).ok, true);
    const empty = checkMessageLength(new Uint8Array(0), 4096);
    assert.match(empty.ok ? '' : empty.problem, /empty/);
    const long = checkMessageLength(new Uint8Array(4097), 4096, 'The message', 'Sign a digest instead.');
    assert.match(long.ok ? '' : long.problem, /4097 bytes; KMS takes at most 4096\. Sign a digest instead\./);
  });
});
