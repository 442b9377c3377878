import * as assert from 'node:assert/strict';
import { fromDecryptedUriParts, isValidRef, plaintextNameOf, toDecryptedUriParts } from '../../../src/core/decrypted/names';

describe('decrypted editor names and URIs', () => {
  it('drops an encryption suffix so the language mode follows the real name', () => {
    assert.equal(plaintextNameOf('app.json.kms'), 'app.json');
    assert.equal(plaintextNameOf('secrets.yaml.ENC'), 'secrets.yaml');
    assert.equal(plaintextNameOf('db.env.encrypted'), 'db.env');
    assert.equal(plaintextNameOf('.env'), '.env');
    assert.equal(plaintextNameOf('.env.kms'), '.env');
    assert.equal(plaintextNameOf('.kms'), '.kms', 'nothing would be left');
    assert.equal(plaintextNameOf('notes.txt'), 'notes.txt');
    assert.equal(plaintextNameOf('ckms'), 'ckms');
  });

  it('round-trips the working copy and Git revisions of a file', () => {
    for (const location of [
      { realPath: '/ws/config/app.json.kms' },
      { realPath: '/ws/.env' },
      { realPath: '/ws/a b/ünï code.json.kms', ref: 'HEAD' },
      { realPath: '/ws/x.yaml', ref: 'HEAD~1' },
      { realPath: '/ws/x.yaml', ref: 'a1b2c3d4' },
    ]) {
      const parts = toDecryptedUriParts(location);
      assert.deepEqual(fromDecryptedUriParts(parts), location, JSON.stringify(parts));
    }
  });

  it('shows the plaintext name and names the real file in the query only when they differ', () => {
    assert.deepEqual(toDecryptedUriParts({ realPath: '/ws/app.json.kms' }), { path: '/ws/app.json', query: 'file=app.json.kms' });
    assert.deepEqual(toDecryptedUriParts({ realPath: '/ws/.env' }), { path: '/ws/.env', query: '' });
    assert.deepEqual(toDecryptedUriParts({ realPath: '/ws/.env', ref: 'HEAD' }), { path: '/ws/.env', query: 'ref=HEAD' });
  });

  it('keeps an encrypted file and a plaintext-named one apart', () => {
    const a = toDecryptedUriParts({ realPath: '/ws/app.json.kms' });
    const b = toDecryptedUriParts({ realPath: '/ws/app.json' });
    assert.equal(a.path, b.path);
    assert.notEqual(a.query, b.query);
  });

  it('refuses paths and queries that are not ours', () => {
    assert.equal(fromDecryptedUriParts({ path: 'relative/x', query: '' }), undefined);
    assert.equal(fromDecryptedUriParts({ path: '/ws/', query: '' }), undefined);
    assert.equal(fromDecryptedUriParts({ path: '/ws/app.json', query: 'file=../etc/passwd' }), undefined);
    assert.equal(fromDecryptedUriParts({ path: '/ws/app.json', query: 'file=other.kms' }), undefined, 'the file must be the shown name plus a suffix');
    assert.equal(fromDecryptedUriParts({ path: '/ws/app.json', query: 'file=app.json.kms&extra=1' }), undefined);
    assert.equal(fromDecryptedUriParts({ path: '/ws/app.json', query: 'ref=--output=/tmp/x' }), undefined);
    assert.throws(() => toDecryptedUriParts({ realPath: 'x.kms' }), /absolute/);
    assert.throws(() => toDecryptedUriParts({ realPath: '/x.kms', ref: 'a b' }), /revision/);
  });

  it('accepts the revisions people type, not option-like or range text', () => {
    for (const ok of ['HEAD', 'HEAD~2', 'HEAD^', 'main', 'origin/main', 'v1.2.3', 'stash@{0}', 'deadbeef']) assert.ok(isValidRef(ok), ok);
    for (const bad of ['', '-p', 'a b', 'a..b', 'x;rm', '$(id)']) assert.ok(!isValidRef(bad), bad);
  });
});
