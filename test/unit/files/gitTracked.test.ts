// "Is this file tracked by git?" answered from the index file in-process (gitIndex.ts,
// gitRepository.ts), compared with git's own answer (`git ls-files --error-unmatch`) for
// real repositories made with the git CLI: index versions 2, 3 and 4, conflicts, intent-to-add,
// linked worktrees, `.git` files, nested repositories, symbolic links; and the cases left to
// git (split and sparse index, GIT_DIR, a corrupt index, sha256), which must still give git's answer.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { clearGitIndexCache, parseGitIndex, parseGitIndexInSlices } from '../../../src/core/files/gitIndex';
import { isTrackedByGit, trackedByIndex } from '../../../src/core/files/gitTracked';

const CASE_INSENSITIVE = process.platform === 'darwin' || process.platform === 'win32';
const LONG_PATH = `${'l'.repeat(200)}/`.repeat(21) + 'long.txt';

function git(cwd: string, ...args: string[]): string {
  const run = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${run.stderr}`);
  return run.stdout;
}

/** git's own answer, run as isTrackedByGit runs it (in the file's folder, the name literal). */
function gitSays(path: string): boolean {
  const run = spawnSync('git', ['--literal-pathspecs', 'ls-files', '--error-unmatch', '--', basename(path)], {
    cwd: dirname(path),
    encoding: 'utf8',
  });
  return run.status === 0;
}

function write(path: string, text = 'x\n'): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function indexVersion(gitDir: string): number {
  return readFileSync(join(gitDir, 'index')).readUInt32BE(4);
}

/** The index answers each path itself, and agrees with git. */
async function expectIndexAnswers(paths: string[], expectTracked?: boolean[]): Promise<void> {
  for (const [i, path] of paths.entries()) {
    const want = gitSays(path);
    if (expectTracked) assert.equal(want, expectTracked[i], `the fixture: git's answer for ${path}`);
    const fromIndex = await trackedByIndex(path);
    if (CASE_INSENSITIVE && !want) assert.ok(fromIndex === false || typeof fromIndex === 'object', path);
    else assert.equal(fromIndex, want, `the index's answer for ${path}`);
    assert.equal(await isTrackedByGit(path), want, `isTrackedByGit(${path})`);
  }
}

/** The index leaves these to git (for the reason given), and the answer is git's. */
async function expectGitAnswers(paths: string[], reason: RegExp): Promise<void> {
  for (const path of paths) {
    const fromIndex = await trackedByIndex(path);
    assert.ok(typeof fromIndex === 'object', `${path}: expected to be left to git, got ${JSON.stringify(fromIndex)}`);
    assert.match(fromIndex.askGit, reason);
    assert.equal(await isTrackedByGit(path), gitSays(path), `isTrackedByGit(${path})`);
  }
}

describe('whether git tracks a file, from the index', function () {
  this.timeout(30_000);
  const savedEnv = { ...process.env };
  let root: string;
  let repo: string;

  before(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'kmswb-gitindex-')));
    const home = join(root, 'home');
    mkdirSync(home);
    for (const name of Object.keys(process.env)) if (name.startsWith('GIT_')) delete process.env[name];
    Object.assign(process.env, {
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
    });

    repo = join(root, 'repo');
    git(root, 'init', '-q', repo);
    write(join(repo, '.gitignore'), '*.log\n');
    write(join(repo, 'a.txt'));
    write(join(repo, 'ab'));
    write(join(repo, 'dir', 'sub', 'deep.env'));
    write(join(repo, 'with space é.txt'));
    write(join(repo, '日本語', 'ファイル.txt'));
    write(join(repo, 'deleted.txt'));
    write(join(repo, 'conflict.txt'), 'base\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'base');
    git(repo, 'checkout', '-q', '-b', 'other');
    write(join(repo, 'conflict.txt'), 'other\n');
    git(repo, 'commit', '-q', '-am', 'other');
    git(repo, 'checkout', '-q', '-');
    write(join(repo, 'conflict.txt'), 'main\n');
    git(repo, 'commit', '-q', '-am', 'main');
    assert.equal(spawnSync('git', ['merge', '-q', 'other'], { cwd: repo }).status, 1, 'the merge conflicts');
    // A path of 0xFFF bytes or more (the flags' name length saturates); too long for a file on disk.
    const blob = git(repo, 'rev-parse', ':a.txt').trim();
    git(repo, 'update-index', '--add', '--cacheinfo', `100644,${blob},${LONG_PATH}`);
    write(join(repo, 'intent.txt'));
    git(repo, 'add', '-N', 'intent.txt');
    unlinkSync(join(repo, 'deleted.txt'));
    write(join(repo, 'untracked.txt'));
    write(join(repo, 'a*'));
    write(join(repo, 'ignored.log'));
    write(join(repo, 'dir', 'sub', 'untracked.env'));
    write(join(repo, '日本語', 'untracked ファイル.txt'));
  });
  after(() => {
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
    rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => clearGitIndexCache());

  const mainPaths = () => [
    join(repo, 'a.txt'),
    join(repo, 'ab'),
    join(repo, 'dir', 'sub', 'deep.env'),
    join(repo, 'with space é.txt'),
    join(repo, '日本語', 'ファイル.txt'),
    join(repo, 'deleted.txt'),
    join(repo, 'conflict.txt'),
    join(repo, 'intent.txt'),
    join(repo, 'untracked.txt'),
    join(repo, 'a*'),
    join(repo, 'ignored.log'),
    join(repo, 'dir', 'sub', 'untracked.env'),
    join(repo, '日本語', 'untracked ファイル.txt'),
    join(repo, 'dir', 'sub', 'DEEP.env'),
    join(repo, 'no-such-file.txt'),
  ];
  const mainTracked = [true, true, true, true, true, true, true, true, false, false, false, false, false, false, false];

  for (const version of [2, 3, 4]) {
    it(`reads an index of version ${version}: stages, intent-to-add, deleted, non-ASCII and long names`, async () => {
      git(repo, 'update-index', '--index-version', String(version));
      git(repo, 'update-index', '--no-skip-worktree', 'ab');
      if (version === 3) git(repo, 'update-index', '--skip-worktree', 'ab');
      // intent-to-add is an extended flag: git writes version 3 for it when asked for 2.
      assert.equal(indexVersion(join(repo, '.git')), version === 2 ? 3 : version);
      await expectIndexAnswers(mainPaths(), mainTracked);
      // Every path, byte for byte, as git lists them.
      const listed = new Set(
        git(repo, 'ls-files', '-z')
          .split('\0')
          .filter((path) => path !== ''),
      );
      assert.ok(listed.has(LONG_PATH));
      const parsed = [...parseGitIndex(readFileSync(join(repo, '.git', 'index')))].map((key) =>
        Buffer.from(key, 'latin1').toString('utf8'),
      );
      assert.deepEqual(new Set(parsed), listed);
    });
  }

  it('reads a plain version 2 index (no extended flags)', async () => {
    const plain = join(root, 'plain');
    git(root, 'init', '-q', plain);
    write(join(plain, 'one.txt'));
    write(join(plain, 'x', 'two.txt'));
    git(plain, 'add', '.');
    write(join(plain, 'x', 'three.txt'));
    git(plain, 'update-index', '--index-version', '2');
    assert.equal(indexVersion(join(plain, '.git')), 2);
    await expectIndexAnswers([join(plain, 'one.txt'), join(plain, 'x', 'two.txt'), join(plain, 'x', 'three.txt')], [true, true, false]);
  });

  it('reads a large index in slices, letting the event loop run', async () => {
    const large = join(root, 'large');
    git(root, 'init', '-q', large);
    const blob = spawnSync('git', ['hash-object', '-w', '--stdin'], { cwd: large, input: 'x\n', encoding: 'utf8' }).stdout.trim();
    const lines = Array.from({ length: 25_000 }, (_, i) => `100644 ${blob}\tmany/sub${i % 7}/file${i}.txt\n`).join('');
    assert.equal(spawnSync('git', ['update-index', '--index-info'], { cwd: large, input: lines }).status, 0);
    const data = readFileSync(join(large, '.git', 'index'));
    let ticks = 0;
    const ticking = setInterval(() => ticks++, 0);
    const sliced = await parseGitIndexInSlices(data).finally(() => clearInterval(ticking));
    assert.ok(ticks > 0, 'timers ran while the index was read');
    assert.deepEqual(sliced, parseGitIndex(data));
    assert.equal(sliced.size, 25_000);
    const [first, last] = [write(join(large, 'many', 'sub0', 'file0.txt')), write(join(large, 'many', 'sub1', 'file24998.txt'))];
    await expectIndexAnswers([first, last, write(join(large, 'many', 'sub1', 'file25000.txt'))], [true, true, false]);
  });

  it('finds the repository through a linked worktree, a .git file and a nested repository', async () => {
    const linked = join(root, 'linked');
    git(repo, 'worktree', 'add', '-q', '--detach', linked, 'HEAD');
    write(join(linked, 'only-in-linked.txt'));
    git(linked, 'add', 'only-in-linked.txt');
    await expectIndexAnswers(
      [join(linked, 'a.txt'), join(linked, 'only-in-linked.txt'), join(repo, 'only-in-linked.txt'), join(linked, 'dir', 'sub', 'deep.env')],
      [true, true, false, true],
    );

    const separate = join(root, 'separate');
    git(root, 'init', '-q', '--separate-git-dir', join(root, 'separate.git'), separate);
    assert.match(readFileSync(join(separate, '.git'), 'utf8'), /^gitdir: /);
    write(join(separate, 'sep.txt'));
    write(join(separate, 'new.txt'));
    git(separate, 'add', 'sep.txt');
    await expectIndexAnswers([join(separate, 'sep.txt'), join(separate, 'new.txt')], [true, false]);

    // A relative gitdir is relative to the folder of the .git file.
    writeFileSync(join(separate, '.git'), 'gitdir: ../separate.git\n');
    await expectIndexAnswers([join(separate, 'sep.txt'), join(separate, 'new.txt')], [true, false]);

    const nested = join(repo, 'nested');
    git(repo, 'init', '-q', nested);
    write(join(nested, 'inner.txt'));
    write(join(nested, 'a.txt'));
    git(nested, 'add', 'inner.txt');
    await expectIndexAnswers([join(nested, 'inner.txt'), join(nested, 'a.txt')], [true, false]);
  });

  it('reads the own index of a submodule (its .git file, its config naming its worktree)', async () => {
    const source = join(root, 'submodule-source');
    git(root, 'init', '-q', source);
    write(join(source, 'lib.txt'));
    git(source, 'add', '.');
    git(source, 'commit', '-q', '-m', 'lib');
    const outer = join(root, 'outer');
    git(root, 'init', '-q', outer);
    git(outer, '-c', 'protocol.file.allow=always', 'submodule', '--quiet', 'add', source, 'sub');
    assert.match(readFileSync(join(outer, 'sub', '.git'), 'utf8'), /^gitdir: \.\.\/\.git\/modules\/sub/);
    assert.match(git(outer, 'config', '-f', join(outer, '.git', 'modules', 'sub', 'config'), 'core.worktree'), /sub/);
    write(join(outer, 'sub', 'new.txt'));
    await expectIndexAnswers(
      [join(outer, 'sub', 'lib.txt'), join(outer, 'sub', 'new.txt'), join(outer, '.gitmodules')],
      [true, false, true],
    );
  });

  it('follows symbolic links to the real folder, as git does', async () => {
    const outside = join(root, 'outside');
    write(join(outside, 'a.txt'));
    symlinkSync(join(repo, 'dir'), join(root, 'link-into-repo'));
    symlinkSync(outside, join(repo, 'link-out-of-repo'));
    await expectIndexAnswers(
      [
        join(root, 'link-into-repo', 'sub', 'deep.env'),
        join(root, 'link-into-repo', 'sub', 'untracked.env'),
        join(repo, 'link-out-of-repo', 'a.txt'),
      ],
      [true, false, false],
    );
  });

  it('answers "not tracked" without a repository or without an index', async () => {
    await expectIndexAnswers([write(join(root, 'no-repo', 'file.txt'))], [false]);
    const fresh = join(root, 'fresh');
    git(root, 'init', '-q', fresh);
    await expectIndexAnswers([write(join(fresh, 'file.txt'))], [false]);
  });

  it('follows the index as it changes (git add, git rm --cached)', async () => {
    const path = write(join(repo, 'later.txt'));
    await expectIndexAnswers([path], [false]);
    git(repo, 'add', 'later.txt');
    await expectIndexAnswers([path], [true]);
    git(repo, 'rm', '-q', '--cached', 'later.txt');
    await expectIndexAnswers([path], [false]);
    git(repo, 'add', 'later.txt');
    git(repo, 'rm', '-q', '--cached', 'later.txt');
    git(repo, 'add', 'later.txt');
    await expectIndexAnswers([path], [true]);
    git(repo, 'rm', '-q', '--cached', 'later.txt');
  });

  describe('left to git', () => {
    let small: string;
    beforeEach(() => {
      small = mkdtempSync(join(root, 'small-'));
      git(small, 'init', '-q');
      write(join(small, 'top.txt'));
      write(join(small, 'folder', 'inner.txt'));
      git(small, 'add', '.');
      git(small, 'commit', '-q', '-m', 'files');
      write(join(small, 'new.txt'));
    });
    const smallPaths = () => [join(small, 'top.txt'), join(small, 'new.txt')];

    it('a split index', async () => {
      git(small, 'update-index', '--split-index');
      // Entries that replace shared ones have empty names: the parse stops there or at 'link'.
      await expectGitAnswers(smallPaths(), /'link'|empty path/);
    });

    it('a sparse index', async () => {
      git(small, 'sparse-checkout', 'init', '--cone', '--sparse-index');
      git(small, 'sparse-checkout', 'set', 'other');
      await expectGitAnswers(smallPaths(), /sparse/);
      assert.equal(await isTrackedByGit(join(small, 'top.txt')), true);
    });

    it('GIT_DIR and GIT_INDEX_FILE set', async () => {
      for (const name of ['GIT_DIR', 'GIT_INDEX_FILE']) {
        process.env[name] = name === 'GIT_DIR' ? join(small, '.git') : join(small, '.git', 'index');
        try {
          await expectGitAnswers(smallPaths(), new RegExp(`${name} is set`));
          assert.equal(await isTrackedByGit(join(small, 'top.txt')), true);
        } finally {
          delete process.env[name];
        }
      }
    });

    it('git asked with a pathspec setting in the environment still takes the name literally', async () => {
      write(join(small, 'to*'));
      Object.assign(process.env, { GIT_DIR: join(small, '.git'), GIT_GLOB_PATHSPECS: '1' });
      try {
        assert.equal(await isTrackedByGit(join(small, 'top.txt')), true);
        assert.equal(await isTrackedByGit(join(small, 'to*')), false, "'to*' is not top.txt");
        assert.equal(await isTrackedByGit(join(small, 'new.txt')), false);
      } finally {
        delete process.env.GIT_DIR;
        delete process.env.GIT_GLOB_PATHSPECS;
      }
    });

    it('a corrupt (truncated) index', async () => {
      const index = join(small, '.git', 'index');
      truncateSync(index, readFileSync(index).length - 7);
      await expectGitAnswers(smallPaths(), /checksum|past the end|too short/);
    });

    it('core.worktree, core.bare, an unknown extension, an include in the config', async () => {
      for (const [key, value, reason] of [
        ['core.worktree', root, /core.worktree is/],
        ['core.bare', 'true', /core.bare/],
        ['extensions.somethingNew', 'true', /extensions.somethingnew/],
        ['include.path', join(root, 'home', 'extra.config'), /includes/],
      ] as const) {
        git(small, 'config', key, value);
        try {
          await expectGitAnswers(smallPaths(), reason);
        } finally {
          git(small, 'config', '--unset', key);
        }
      }
      await expectIndexAnswers(smallPaths(), [true, false]);
    });

    it('a malformed .git file', async () => {
      const other = join(root, 'malformed');
      write(join(other, '.git'), 'not a gitdir line\n');
      await expectGitAnswers([write(join(other, 'file.txt'))], /not a 'gitdir: <path>' file/);
    });

    it('a sha256 repository', async function () {
      const sha = join(root, 'sha256');
      if (spawnSync('git', ['init', '-q', '--object-format=sha256', sha]).status !== 0) this.skip();
      write(join(sha, 'in.txt'));
      write(join(sha, 'out.txt'));
      git(sha, 'add', 'in.txt');
      await expectGitAnswers([join(sha, 'in.txt'), join(sha, 'out.txt')], /objectformat is sha256/);
      assert.equal(await isTrackedByGit(join(sha, 'in.txt')), true);
    });
  });
});
