// Atomic in-place replacement: the original stays byte-identical on any failure, the
// temporary file never outlives the call, the mode is kept, and a file that changes while
// it is rewritten is not overwritten.
import * as assert from 'node:assert/strict';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isTemporaryFileName, removeStaleTemporaryFiles, replaceFileAtomically } from '../../../src/core/files/atomicReplace';
import type { KmsError } from '../../../src/core/kms/errors';

describe('atomic in-place replacement', () => {
  let dir: string;
  let file: string;
  const original = Buffer.from('original content\n');
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kmswb-atomic-'));
    file = join(dir, 'secret.env');
    writeFileSync(file, original);
    chmodSync(file, 0o640);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write =
    (...chunks: string[]) =>
    (sink: NodeJS.WritableStream) =>
      pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), sink);
  const untouched = () => {
    assert.deepEqual(readFileSync(file), original, 'the original is byte-identical');
    assert.deepEqual(readdirSync(dir).sort(), ['secret.env'], 'no temporary file is left');
  };

  it('replaces the content, keeping the mode, through a temporary file in the same folder', async () => {
    let seen: string[] = [];
    const result = await replaceFileAtomically(file, async (sink) => {
      seen = readdirSync(dir);
      await write('new ', 'content')(sink);
    });
    assert.equal(result.bytesWritten, 11);
    assert.equal(readFileSync(file, 'utf8'), 'new content');
    assert.equal(statSync(file).mode & 0o777, 0o640);
    assert.equal(seen.length, 2);
    assert.ok(seen.some(isTemporaryFileName), `a temporary file beside the original: ${seen.join(', ')}`);
    assert.deepEqual(readdirSync(dir), ['secret.env']);
  });

  it('creates the temporary file with the original mode from the start (owner-only files stay owner-only)', async () => {
    chmodSync(file, 0o600);
    await replaceFileAtomically(file, async (sink) => {
      const temp = readdirSync(dir).find(isTemporaryFileName)!;
      assert.equal(statSync(join(dir, temp)).mode & 0o777, 0o600);
      await write('x')(sink);
    });
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it('leaves the original byte-identical and no temporary file when the writer fails, a write fails, the flush fails or the rename fails', async () => {
    await assert.rejects(
      replaceFileAtomically(file, async (sink) => {
        await write('partial')(sink);
        throw new Error('producer failed');
      }),
      /producer failed/,
    );
    untouched();
    await assert.rejects(
      replaceFileAtomically(file, write('a'.repeat(100), 'b'.repeat(100)), {
        faults: {
          beforeWrite: (written) => {
            if (written >= 100) throw new Error('ENOSPC: no space left on device');
          },
        },
      }),
      /ENOSPC/,
    );
    untouched();
    await assert.rejects(
      replaceFileAtomically(file, write('x'), {
        faults: {
          beforeSync: () => {
            throw new Error('EIO: fsync failed');
          },
        },
      }),
      /EIO/,
    );
    untouched();
    await assert.rejects(
      replaceFileAtomically(file, write('x'), {
        faults: {
          beforeRename: () => {
            throw new Error('crash before rename');
          },
        },
      }),
      /crash/,
    );
    untouched();
  });

  it('stops on cancel and leaves the original', async () => {
    const controller = new AbortController();
    const endless = Readable.from(
      (function* () {
        for (let i = 0; ; i++) {
          if (i === 10) controller.abort();
          yield Buffer.alloc(1000);
        }
      })(),
    );
    await assert.rejects(
      replaceFileAtomically(file, (sink) => pipeline(endless, sink, { signal: controller.signal }), { signal: controller.signal }),
      (e: Error) => e.name === 'AbortError',
    );
    untouched();
  });

  it('does not overwrite a file that changed on disk meanwhile', async () => {
    await assert.rejects(
      replaceFileAtomically(file, async (sink) => {
        await write('x')(sink);
        writeFileSync(file, 'changed by someone else');
      }),
      (e: KmsError) => e.code === 'FileChangedOnDisk' && /changed on disk/.test(e.message),
    );
    assert.equal(readFileSync(file, 'utf8'), 'changed by someone else');
    assert.deepEqual(readdirSync(dir), ['secret.env']);
  });

  it('replaces the target of a symbolic link and keeps the link', async () => {
    mkdirSync(join(dir, 'links'));
    const link = join(dir, 'links', 'link.env');
    symlinkSync(file, link);
    const result = await replaceFileAtomically(link, write('via link'));
    assert.equal(result.path, file);
    assert.equal(readFileSync(file, 'utf8'), 'via link');
    assert.ok(statSync(link).isFile());
    assert.deepEqual(readdirSync(join(dir, 'links')), ['link.env']);
  });

  it('refuses what is not a regular file', async () => {
    await assert.rejects(replaceFileAtomically(dir, write('x')), (e: KmsError) => e.code === 'NotAFile');
  });

  it('removes temporary files a crash left behind (older than ten minutes), and only those', async () => {
    const stale = join(dir, '.secret.env.kmswb-0123456789abcdef.tmp');
    const fresh = join(dir, '.other.kmswb-fedcba9876543210.tmp');
    const unrelated = join(dir, '.secret.env.tmp');
    for (const f of [stale, fresh, unrelated]) writeFileSync(f, 'x');
    const old = new Date(Date.now() - 11 * 60 * 1000);
    utimesSync(stale, old, old);
    utimesSync(unrelated, old, old);
    assert.deepEqual(await removeStaleTemporaryFiles(dir), [stale]);
    assert.deepEqual(readdirSync(dir).sort(), ['.other.kmswb-fedcba9876543210.tmp', '.secret.env.tmp', 'secret.env']);
  });
});
