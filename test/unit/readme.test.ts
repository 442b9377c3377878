// The README's command reference is generated from package.json and the commands' JSDoc
// (scripts/command-reference.mjs); this fails when a command is added, renamed or documented
// differently without regenerating it, or when a command has no JSDoc naming its arguments.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');

describe('README', () => {
  it('lists every command with its arguments and result, as the source documents them', () => {
    const run = spawnSync(process.execPath, [join(root, 'scripts', 'command-reference.mjs'), '--check'], { cwd: root, encoding: 'utf8' });
    assert.equal(run.status, 0, `${run.stderr}${run.stdout}`);
  });
});
