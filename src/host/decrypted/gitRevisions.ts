// Reading a file's bytes at a Git revision through the built-in Git extension's API
// (`vscode.git`, getAPI(1)): `repository.buffer(ref, path)` runs `git show <ref>:<path>` and
// hands the bytes back in memory, so an encrypted revision never lands on disk decrypted.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { KmsError } from '../../core/kms/errors';

/** The part of the Git extension's API used here (extensions/git/src/api/git.d.ts). */
interface GitRepository {
  readonly rootUri: vscode.Uri;
  buffer(ref: string, path: string): Promise<Buffer>;
}

interface GitApi {
  getRepository(uri: vscode.Uri): GitRepository | null;
  openRepository(root: vscode.Uri): Promise<GitRepository | null>;
}

interface GitExtension {
  readonly enabled: boolean;
  getAPI(version: 1): GitApi;
}

export interface GitRevisions {
  /** The bytes of `file` at `ref`. */
  revision(file: vscode.Uri, ref: string): Promise<Buffer>;
  /** The repository `file` is in (its root folder). */
  repositoryRoot(file: vscode.Uri): Promise<vscode.Uri>;
}

export class VscodeGitRevisions implements GitRevisions {
  async revision(file: vscode.Uri, ref: string): Promise<Buffer> {
    const repository = await this.repository(file);
    try {
      return Buffer.from(await repository.buffer(ref, file.fsPath));
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new KmsError(
        'NotInRevision',
        `${basename(file.fsPath)} has no version at ${ref} in ${repository.rootUri.fsPath} (is it new, ` +
          `untracked, or is ${ref} not a revision?)${/fatal: (.*)/.exec(detail)?.[1] ? `: ${/fatal: (.*)/.exec(detail)![1]}` : ''}.`,
      );
    }
  }

  async repositoryRoot(file: vscode.Uri): Promise<vscode.Uri> {
    return (await this.repository(file)).rootUri;
  }

  private async repository(file: vscode.Uri): Promise<GitRepository> {
    const api = await gitApi();
    const known = api.getRepository(file);
    if (known) return known;
    // A repository the Git extension has not opened (created after it scanned, or outside the workspace).
    const root = findGitRoot(dirname(file.fsPath));
    const opened = root ? await api.openRepository(vscode.Uri.file(root)) : null;
    if (!opened)
      throw new KmsError(
        'NotInGit',
        `${basename(file.fsPath)} is not in a Git repository, so there is no committed version to compare with.`,
      );
    return opened;
  }
}

async function gitApi(): Promise<GitApi> {
  const extension = vscode.extensions.getExtension<GitExtension>('vscode.git');
  if (!extension)
    throw new KmsError(
      'GitUnavailable',
      'The built-in Git extension is not installed or is disabled: enable "Git" (vscode.git) in the Extensions view to compare with Git history.',
    );
  const git = extension.isActive ? extension.exports : await extension.activate();
  if (!git.enabled)
    throw new KmsError('GitUnavailable', 'Git is turned off in VS Code (setting git.enabled): turn it on to compare with Git history.');
  return git.getAPI(1);
}

function findGitRoot(dir: string): string | undefined {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, '.git'))) return current;
    if (dirname(current) === current) return undefined;
  }
}
