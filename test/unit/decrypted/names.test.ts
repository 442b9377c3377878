import * as assert from 'node:assert/strict';
import { fromDecryptedUriParts, isValidRef, plaintextNameOf, realFolderOf, toDecryptedUriParts } from '../../../src/core/decrypted/names';

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
    assert.equal(
      fromDecryptedUriParts({ path: '/ws/app.json', query: 'file=other.kms' }),
      undefined,
      'the file must be the shown name plus a suffix',
    );
    assert.equal(fromDecryptedUriParts({ path: '/ws/app.json', query: 'file=app.json.kms&extra=1' }), undefined);
    assert.equal(fromDecryptedUriParts({ path: '/ws/app.json', query: 'ref=--output=/tmp/x' }), undefined);
    assert.throws(() => toDecryptedUriParts({ realPath: 'x.kms' }), /absolute/);
    assert.throws(() => toDecryptedUriParts({ realPath: '/x.kms', ref: 'a b' }), /revision/);
  });

  it('is workspace-relative inside a workspace folder (breadcrumbs and tooltips read as for the file), the real file in the query', () => {
    const one = [{ name: 'ws', path: '/tmp/demo/ws' }];
    const parts = toDecryptedUriParts({ realPath: '/tmp/demo/ws/config/app.json.kms' }, one);
    assert.deepEqual(parts, { path: '/config/app.json', query: 'real=%2Ftmp%2Fdemo%2Fws%2Fconfig%2Fapp.json.kms' });
    assert.deepEqual(fromDecryptedUriParts(parts), { realPath: '/tmp/demo/ws/config/app.json.kms' });
    assert.deepEqual(toDecryptedUriParts({ realPath: '/tmp/demo/ws/.env', ref: 'HEAD' }, one).path, '/.env');
    assert.deepEqual(fromDecryptedUriParts(toDecryptedUriParts({ realPath: '/tmp/demo/ws/.env', ref: 'HEAD' }, one)), {
      realPath: '/tmp/demo/ws/.env',
      ref: 'HEAD',
    });
    // Several folders: the folder's name first, as VS Code shows it.
    const two = [...one, { name: 'Backend', path: '/srv/api' }];
    const multi = toDecryptedUriParts({ realPath: '/srv/api/secrets/db.env' }, two);
    assert.equal(multi.path, '/Backend/secrets/db.env');
    assert.deepEqual(fromDecryptedUriParts(multi), { realPath: '/srv/api/secrets/db.env' });
    // Outside every folder: as before.
    assert.deepEqual(toDecryptedUriParts({ realPath: '/elsewhere/app.json.kms' }, one), {
      path: '/elsewhere/app.json',
      query: 'file=app.json.kms',
    });
  });

  it('refuses a real file that is not what the path shows', () => {
    const q = (real: string): string => new URLSearchParams({ real }).toString();
    assert.equal(fromDecryptedUriParts({ path: '/config/app.json', query: q('/ws/other/app.json.kms') }), undefined);
    assert.equal(fromDecryptedUriParts({ path: '/config/app.json', query: q('/ws/config/evil.kms') }), undefined);
    assert.equal(fromDecryptedUriParts({ path: '/config/app.json', query: q('/ws/../config/app.json') }), undefined);
    assert.equal(fromDecryptedUriParts({ path: '/config/app.json', query: q('config/app.json') }), undefined);
    assert.equal(fromDecryptedUriParts({ path: '/config/app.json', query: `${q('/ws/config/app.json')}&file=app.json` }), undefined);
  });

  it('maps the folders of a workspace-relative path back to the folders on disk', () => {
    const view = (real: string): string => toDecryptedUriParts({ realPath: real }, [{ name: 'ws', path: '/tmp/ws' }]).path;
    const query = new URLSearchParams({ real: '/tmp/ws/config/deep/app.json.kms' }).toString();
    assert.equal(realFolderOf('/config/deep', query, view), '/tmp/ws/config/deep');
    assert.equal(realFolderOf('/config', query, view), '/tmp/ws/config');
    assert.equal(realFolderOf('/', query, view), '/tmp/ws');
    assert.equal(realFolderOf('/other', query, view), undefined);
    assert.equal(realFolderOf('/config', '', view), undefined);
  });

  it('accepts the revisions people type, not option-like or range text', () => {
    for (const ok of ['HEAD', 'HEAD~2', 'HEAD^', 'main', 'origin/main', 'v1.2.3', 'stash@{0}', 'deadbeef']) assert.ok(isValidRef(ok), ok);
    for (const bad of ['', '-p', 'a b', 'a..b', 'x;rm', '$(id)']) assert.ok(!isValidRef(bad), bad);
  });
});
