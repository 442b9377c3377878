// Whether git tracks a file: a decrypted file that git tracks is one `git commit -a` away
// from being committed in plaintext. No repository, no git, or no answer in time all mean
// "not known to be tracked".
//
// The answer comes from the repository's index file, read in-process (gitRepository.ts finds
// the repository as git does, gitIndex.ts reads and caches the index): starting `git` forks
// the extension host, which blocks its main thread for 5-25 ms, and git's own run adds more.
// Git itself answers (`git ls-files --error-unmatch`, with a time limit) whenever anything
// is unusual: the environment moves the repository, a config or index this reader does not
// fully understand (split or sparse index, sha256, core.worktree, ...), a parse error; and,
// on macOS and Windows, whenever the index has no exact match (their file systems usually
// ignore case, which git's core.ignoreCase follows and an exact lookup does not).
import { execFile } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { basename, dirname, relative, sep } from 'node:path';
import { indexKey, readGitIndexPaths } from './gitIndex';
import { findGitRepository } from './gitRepository';

const GIT_TIMEOUT_MS = 5_000;
const CASE_INSENSITIVE = process.platform === 'darwin' || process.platform === 'win32';

export interface GitTrackedOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export async function isTrackedByGit(path: string, options: GitTrackedOptions = {}): Promise<boolean> {
  if (options.signal?.aborted) return false;
  const fromIndex = await trackedByIndex(path);
  if (typeof fromIndex === 'boolean') return fromIndex;
  return askGit(path, options);
}

/**
 * The index's answer for a file: true or false, or `{ askGit }` (why git must answer).
 * Exported for the tests, which check that the index answers where it should.
 */
export async function trackedByIndex(path: string): Promise<boolean | { askGit: string }> {
  try {
    // As git run in the file's folder sees it: the folder's real path, the name as given.
    const folder = await realpath(dirname(path));
    const repository = await findGitRepository(folder);
    if (repository.kind === 'none') return false;
    if (repository.kind === 'ask-git') return { askGit: repository.reason };
    const relativePath = [...relative(repository.worktreeRoot, folder).split(sep), basename(path)].filter((part) => part !== '').join('/');
    if (relativePath.split('/').some((part) => part.toLowerCase() === '.git')) return { askGit: 'a path inside .git' };
    let paths: Set<string>;
    try {
      paths = await readGitIndexPaths(repository.indexPath);
    } catch (error) {
      // A repository without an index yet (nothing was ever added) tracks nothing.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    if (paths.has(indexKey(relativePath))) return true;
    return CASE_INSENSITIVE ? { askGit: 'no exact match on a case-insensitive platform' } : false;
  } catch (error) {
    return { askGit: error instanceof Error ? error.message : String(error) };
  }
}

function askGit(path: string, options: GitTrackedOptions): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      'git',
      // core.fsmonitor off: a repository's own config must not make this run a program.
      // Literal pathspecs: a name with `*`, `?`, `[` or a leading `:` means only that file.
      ['--literal-pathspecs', '-c', 'core.fsmonitor=false', 'ls-files', '--error-unmatch', '--', basename(path)],
      {
        cwd: dirname(path),
        timeout: options.timeoutMs ?? GIT_TIMEOUT_MS,
        signal: options.signal,
        windowsHide: true,
        env: gitEnvironment(),
      },
      (error) => resolve(!error),
    );
  });
}

/** The environment git runs in: no optional locks, and no pathspec setting that fights --literal-pathspecs. */
function gitEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_OPTIONAL_LOCKS: '0' };
  for (const name of ['GIT_GLOB_PATHSPECS', 'GIT_NOGLOB_PATHSPECS', 'GIT_ICASE_PATHSPECS']) delete env[name];
  return env;
}
