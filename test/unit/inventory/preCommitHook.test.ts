// The pre-commit hook in real git repositories: the shipped script (bundled by esbuild as the
// build does) refuses a plaintext secrets file, lets an encrypted one through, keeps an
// existing hook running, honours core.hooksPath and .sops.yaml rules, and uninstalls cleanly.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { HOOK_MARKER, installHook, PREVIOUS_HOOK, uninstallHook } from '../../../src/core/inventory/hookInstall';
import { secretsMatcher, sopsPathRules } from '../../../src/core/inventory/secretsPatterns';
import { FIXTURES } from '../sops/sopsFixture';
import { yamlEsm } from '../../../scripts/bundleAliases.mjs';

// A KMS blob of the emulator's shape (01 02 02 00 78 41, then a key id): encrypted as far as the hook can tell.
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const BLOB = Buffer.concat([Buffer.from([1, 2, 2, 0, 0x78, 0x41, 36]), Buffer.from(KEY_ID), Buffer.alloc(32 + 12 + 16 + 20, 7)]).toString(
  'base64',
);

describe('inventory: the pre-commit hook in a real git repository', function () {
  this.timeout(60_000);
  let base: string;
  let script: string;

  before(async function () {
    base = mkdtempSync(join(tmpdir(), 'kmswb-hook-'));
    // Built as the production build makes dist/secretsScan.js (its require of itself by name kept
    // external), and named as the installer names its copy in a hooks folder.
    script = join(base, 'kms-workbench-precommit.js');
    const result = await esbuild.build({
      entryPoints: ['src/core/lazy/secretsScan.ts'],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: script,
      logLevel: 'error',
      plugins: [
        {
          name: 'self-external',
          setup: (b) =>
            b.onResolve({ filter: /(^|\/)secretsScan$/ }, (a) =>
              a.importer.endsWith('secretsScan.ts') ? undefined : { path: './secretsScan.js', external: true },
            ),
        },
        yamlEsm, // the yaml build the production bundle uses
      ],
    });
    if (result.errors.length) throw new Error('build failed');
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  let n = 0;
  function repo(): string {
    const dir = join(base, `repo${n++}`);
    mkdirSync(dir);
    const env = { ...process.env, HOME: base, GIT_CONFIG_NOSYSTEM: '1' };
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir, env });
    execFileSync('git', ['config', 'user.email', 't@example.invalid'], { cwd: dir });
    execFileSync('git', ['config', 'user.name', 'Test'], { cwd: dir });
    execFileSync('git', ['config', 'commit.gpgsign', 'false'], { cwd: dir });
    return dir;
  }
  function commit(
    dir: string,
    files: Record<string, string>,
    env: Record<string, string> = {},
  ): { ok: boolean; stderr: string; stdout: string } {
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), content);
      execFileSync('git', ['add', name], { cwd: dir });
    }
    const r = spawnSync('git', ['commit', '-q', '-m', 'test'], { cwd: dir, env: { ...process.env, HOME: base, ...env }, encoding: 'utf8' });
    return { ok: r.status === 0, stderr: r.stderr, stdout: r.stdout };
  }

  it('refuses a plaintext secrets file, saying which and how to bypass once; an encrypted one passes', async function () {
    const dir = repo();
    const result = await installHook(dir, { scriptPath: script, secretsFiles: ['**/.env*', '**/*.pem'] });
    assert.equal(result.hookPath, join(dir, '.git', 'hooks', 'pre-commit'));
    const refused = commit(dir, { 'config/.env': 'PASSWORD=hunter2\n', 'README.md': 'hi\n' });
    assert.equal(refused.ok, false);
    assert.match(refused.stderr, /commit refused.*\n {2}config\/\.env/);
    assert.match(refused.stderr, /git commit --no-verify/);
    assert.ok(!refused.stderr.includes('hunter2'), 'the refusal must not print the secret');
    execFileSync('git', ['reset', '-q'], { cwd: dir });
    const passes = commit(dir, { 'config/.env': `PASSWORD=${BLOB}\n`, 'README.md': 'hi\n' });
    assert.equal(passes.ok, true, passes.stderr);
    // Bypass once with the environment variable.
    assert.equal(commit(dir, { 'key.pem': '-----BEGIN PRIVATE KEY-----\n' }, { KMS_WORKBENCH_SKIP_PRECOMMIT: '1' }).ok, true);
  });

  it('treats .sops.yaml path_regex as secrets patterns: a plaintext file under a rule is refused, a SOPS file passes', async function () {
    const dir = repo();
    await installHook(dir, { scriptPath: script, secretsFiles: [] });
    writeFileSync(
      join(dir, '.sops.yaml'),
      'creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    kms: arn:aws:kms:us-east-1:111122223333:key/5c0b5f7e-1d2a-4c3b-9e8f-7a6b5c4d3e2f\n',
    );
    execFileSync('git', ['add', '.sops.yaml'], { cwd: dir });
    const refused = commit(dir, { 'secrets/app.yaml': 'password: hunter2\n' });
    assert.equal(refused.ok, false);
    assert.match(refused.stderr, /secrets\/app\.yaml/);
    execFileSync('git', ['reset', '-q'], { cwd: dir });
    assert.equal(
      commit(dir, {
        '.sops.yaml': readFileSync(join(dir, '.sops.yaml'), 'utf8'),
        'secrets/app.yaml': readFileSync(join(FIXTURES, 'app.sops.yaml'), 'utf8'),
      }).ok,
      true,
    );
  });

  it('keeps an existing hook running (first), and uninstall puts it back', async function () {
    const dir = repo();
    const hook = join(dir, '.git', 'hooks', 'pre-commit');
    const original = '#!/bin/sh\necho previous-hook-ran >&2\nexit 0\n';
    writeFileSync(hook, original, { mode: 0o755 });
    const result = await installHook(dir, { scriptPath: script, secretsFiles: ['**/.env*'] });
    assert.equal(result.previousHook, join(dir, '.git', 'hooks', PREVIOUS_HOOK));
    const ok = commit(dir, { 'a.txt': 'a\n' });
    assert.equal(ok.ok, true, ok.stderr);
    assert.match(ok.stderr, /previous-hook-ran/);
    const refused = commit(dir, { '.env': 'X=1\n' });
    assert.equal(refused.ok, false);
    assert.match(refused.stderr, /previous-hook-ran/);
    // A failing previous hook still stops the commit.
    writeFileSync(join(dir, '.git', 'hooks', PREVIOUS_HOOK), '#!/bin/sh\necho previous-says-no >&2\nexit 3\n', { mode: 0o755 });
    execFileSync('git', ['reset', '-q'], { cwd: dir });
    const stopped = commit(dir, { 'b.txt': 'b\n' });
    assert.equal(stopped.ok, false);
    assert.match(stopped.stderr, /previous-says-no/);
    writeFileSync(join(dir, '.git', 'hooks', PREVIOUS_HOOK), original, { mode: 0o755 });

    // Installing twice is a refresh, not a second chain.
    assert.equal((await installHook(dir, { scriptPath: script, secretsFiles: ['**/.env*'] })).reinstalled, true);
    const removed = await uninstallHook(dir);
    assert.equal(removed.restored, hook);
    assert.equal(readFileSync(hook, 'utf8'), original);
    assert.ok(!existsSync(join(dir, '.git', 'hooks', PREVIOUS_HOOK)));
    execFileSync('git', ['reset', '-q'], { cwd: dir });
    assert.equal(commit(dir, { '.env': 'X=1\n' }).ok, true, 'after uninstall plaintext is no longer refused');
  });

  it('honours core.hooksPath, refuses to remove a hook that is not ours, and outside a repository says so', async function () {
    const dir = repo();
    execFileSync('git', ['config', 'core.hooksPath', '.githooks'], { cwd: dir });
    const result = await installHook(dir, { scriptPath: script, secretsFiles: ['**/.env*'] });
    assert.equal(result.hookPath, join(dir, '.githooks', 'pre-commit'));
    assert.ok(readFileSync(result.hookPath, 'utf8').includes(HOOK_MARKER));
    assert.equal(commit(dir, { '.env': 'X=1\n' }).ok, false);
    writeFileSync(result.hookPath, '#!/bin/sh\nexit 0\n');
    await assert.rejects(uninstallHook(dir), /not the KMS Workbench hook/);
    const outside = mkdtempSync(join(tmpdir(), 'kmswb-nogit-'));
    await assert.rejects(installHook(outside, { scriptPath: script, secretsFiles: [] }), /not in a git repository/);
    rmSync(outside, { recursive: true });
  });

  it('matches globs on dot files and SOPS rules relative to their folder', function () {
    const m = secretsMatcher(['**/.env*', '**/*.pem'], sopsPathRules('creation_rules:\n  - path_regex: prod/.*\n  - kms: x\n', 'deploy'));
    assert.ok(m('.env'));
    assert.ok(m('a/b/.env.local'));
    assert.ok(m('certs/x.pem'));
    assert.ok(m('deploy/prod/values.yaml'));
    assert.ok(!m('prod/values.yaml'), 'a rule applies under its own folder');
    assert.ok(!m('src/index.ts'));
  });
});
