// Whether git tracks a file: a decrypted file that git tracks is one `git commit -a` away
// from being committed in plaintext. Asks git itself (`git ls-files --error-unmatch`), with a
// time limit; no git, no repository, or no answer in time all mean "not known to be tracked".
import { execFile } from 'node:child_process';
import { basename, dirname } from 'node:path';

const GIT_TIMEOUT_MS = 5_000;

export function isTrackedByGit(path: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      'git',
      // core.fsmonitor off: a repository's own config must not make this run a program.
      ['-c', 'core.fsmonitor=false', 'ls-files', '--error-unmatch', '--', basename(path)],
      {
        cwd: dirname(path),
        timeout: options.timeoutMs ?? GIT_TIMEOUT_MS,
        signal: options.signal,
        windowsHide: true,
        env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' },
      },
      (error) => resolve(!error),
    );
  });
}
