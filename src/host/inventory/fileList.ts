// The workspace's files as the inventory sees them: files.exclude applied (findFiles with the
// default exclude), and in git repositories only what git would not ignore
// (`git ls-files -co --exclude-standard`, with a timeout; without git the findFiles list stands).
import { join } from 'node:path';
import * as vscode from 'vscode';
import { git } from '../../core/inventory/preCommit';

/** Most files looked at per workspace (a larger workspace is listed up to this, and says so). */
export const MAX_FILES = 200_000;
const GIT_TIMEOUT_MS = 20_000;

export interface FolderFiles {
  readonly paths: string[];
  /** Whether .gitignore could be applied (a git repository and git answered in time). */
  readonly gitApplied: boolean;
  readonly truncated: boolean;
}

/** Files of one workspace folder, files.exclude and .gitignore applied. */
export async function listFolderFiles(folder: vscode.WorkspaceFolder, token?: vscode.CancellationToken): Promise<FolderFiles> {
  const found = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, '**/*'), undefined, MAX_FILES, token);
  let paths = found.filter((u) => u.scheme === 'file').map((u) => u.fsPath);
  const tracked = await gitVisible(folder.uri.fsPath);
  if (tracked) paths = paths.filter((p) => tracked.has(p));
  return { paths, gitApplied: tracked !== undefined, truncated: found.length >= MAX_FILES };
}

/** Absolute paths git does not ignore under `dir`, or undefined when it is no repository (or git fails). */
async function gitVisible(dir: string): Promise<Set<string> | undefined> {
  try {
    const top = await git(dir, ['rev-parse', '--show-prefix'], { allowFailure: true, timeoutMs: GIT_TIMEOUT_MS });
    if (top.code !== 0) return undefined;
    const out = await git(dir, ['ls-files', '-co', '--exclude-standard', '-z', '--', '.'], {
      timeoutMs: GIT_TIMEOUT_MS,
      maxBytes: 256 * 1024 * 1024,
    });
    return new Set(
      out.stdout
        .toString('utf8')
        .split('\0')
        .filter(Boolean)
        .map((p) => join(dir, p)),
    );
  } catch {
    return undefined;
  }
}

/** Which of `paths` (created since the scan) git ignores; empty when not a repository. */
export async function gitIgnored(dir: string, paths: readonly string[]): Promise<Set<string>> {
  if (paths.length === 0) return new Set();
  try {
    const { spawn } = await import('node:child_process');
    return await new Promise<Set<string>>((resolve) => {
      const child = spawn('git', ['check-ignore', '--stdin', '-z'], { cwd: dir, stdio: ['pipe', 'pipe', 'ignore'] });
      let out = '';
      const timer = setTimeout(() => child.kill(), GIT_TIMEOUT_MS);
      child.stdout.on('data', (c: Buffer) => void (out += c.toString('utf8')));
      child.on('error', () => resolve(new Set()));
      child.on('close', () => {
        clearTimeout(timer);
        resolve(
          new Set(
            out
              .split('\0')
              .filter(Boolean)
              .map((p) => (p.startsWith('/') ? p : join(dir, p))),
          ),
        );
      });
      // git exits at once outside a repository: a closed stdin is not an error here.
      child.stdin.on('error', () => undefined);
      child.stdin.end(paths.join('\0'));
    });
  } catch {
    return new Set();
  }
}
