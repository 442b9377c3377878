// Installing and removing the pre-commit hook, reversibly: the hooks folder is the one git
// uses (core.hooksPath honoured); an existing pre-commit hook is kept as
// pre-commit.kms-workbench-previous and run first by ours, and put back on uninstall.
import { chmod, copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { KmsError } from '../kms/errors';
import { git } from './preCommit';

export const HOOK_MARKER = '# kms-workbench pre-commit hook';
export const PREVIOUS_HOOK = 'pre-commit.kms-workbench-previous';
export const HOOK_SCRIPT = 'kms-workbench-precommit.js';
export const HOOK_CONFIG = 'kms-workbench-precommit.json';

export interface HookLocation {
  /** Top level of the working tree. */
  readonly root: string;
  readonly hooksDir: string;
  readonly hookPath: string;
}

/** The repository containing `folder`, and its hooks folder (core.hooksPath honoured). */
export async function hookLocation(folder: string): Promise<HookLocation> {
  const top = await git(folder, ['rev-parse', '--show-toplevel'], { allowFailure: true });
  if (top.code !== 0)
    throw new KmsError(
      'NotAGitRepository',
      `${folder} is not in a git repository: run git init first, or choose a folder inside a repository.`,
    );
  const root = top.stdout.toString('utf8').trim();
  const configured = (await git(root, ['config', '--get', 'core.hooksPath'], { allowFailure: true })).stdout.toString('utf8').trim();
  let hooksDir: string;
  if (configured) hooksDir = isAbsolute(configured) ? configured : join(root, configured);
  else {
    const p = (await git(root, ['rev-parse', '--git-path', 'hooks'])).stdout.toString('utf8').trim();
    hooksDir = isAbsolute(p) ? p : join(root, p);
  }
  return { root, hooksDir, hookPath: join(hooksDir, 'pre-commit') };
}

function hookText(): string {
  return [
    '#!/bin/sh',
    HOOK_MARKER,
    '# Refuses a commit of a plaintext secrets file. Installed by KMS Workbench (KMS: Install Pre-commit Hook);',
    '# KMS: Uninstall Pre-commit Hook removes it and puts back the hook that was here before, if any.',
    '# Bypass once: git commit --no-verify   (or KMS_WORKBENCH_SKIP_PRECOMMIT=1 git commit)',
    'hooks_dir=$(dirname "$0")',
    `if [ -x "$hooks_dir/${PREVIOUS_HOOK}" ]; then`,
    `  "$hooks_dir/${PREVIOUS_HOOK}" "$@" || exit $?`,
    'fi',
    'if ! command -v node >/dev/null 2>&1; then',
    '  echo "KMS Workbench: node is not on PATH, so the pre-commit check of secrets files cannot run. Install Node.js, or commit with --no-verify." >&2',
    '  exit 1',
    'fi',
    `exec node "$hooks_dir/${HOOK_SCRIPT}" --config "$hooks_dir/${HOOK_CONFIG}"`,
    '',
  ].join('\n');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export interface InstallResult {
  readonly hookPath: string;
  /** Where the hook that was there before now is (it still runs first). */
  readonly previousHook?: string;
  readonly reinstalled: boolean;
}

/** Installs (or refreshes) the hook; `scriptPath` is the bundled dist/secretsScan.js (the pre-commit check when node runs it). */
export async function installHook(
  folder: string,
  options: { scriptPath: string; secretsFiles: readonly string[] },
): Promise<InstallResult> {
  const where = await hookLocation(folder);
  await mkdir(where.hooksDir, { recursive: true });
  let reinstalled = false;
  let previousHook: string | undefined;
  if (await exists(where.hookPath)) {
    const current = await readFile(where.hookPath, 'utf8');
    if (current.includes(HOOK_MARKER)) reinstalled = true;
    else {
      const previous = join(where.hooksDir, PREVIOUS_HOOK);
      if (await exists(previous))
        throw new KmsError(
          'HookConflict',
          `${previous} already exists: a previous pre-commit hook was set aside there and not put back. Move it away first.`,
        );
      await rename(where.hookPath, previous);
      previousHook = previous;
    }
  }
  if (!previousHook && (await exists(join(where.hooksDir, PREVIOUS_HOOK)))) previousHook = join(where.hooksDir, PREVIOUS_HOOK);
  await copyFile(options.scriptPath, join(where.hooksDir, HOOK_SCRIPT));
  await writeFile(join(where.hooksDir, HOOK_CONFIG), `${JSON.stringify({ secretsFiles: options.secretsFiles }, null, 2)}\n`);
  await writeFile(where.hookPath, hookText(), { mode: 0o755 });
  await chmod(where.hookPath, 0o755);
  return { hookPath: where.hookPath, previousHook, reinstalled };
}

export interface UninstallResult {
  readonly hookPath: string;
  readonly removed: boolean;
  /** The hook put back in place, if one had been set aside. */
  readonly restored?: string;
}

/** Removes our hook and puts back the one that was there before. Never removes a hook that is not ours. */
export async function uninstallHook(folder: string): Promise<UninstallResult> {
  const where = await hookLocation(folder);
  const previous = join(where.hooksDir, PREVIOUS_HOOK);
  if (await exists(where.hookPath)) {
    const current = await readFile(where.hookPath, 'utf8');
    if (!current.includes(HOOK_MARKER))
      throw new KmsError(
        'HookNotOurs',
        `${where.hookPath} is not the KMS Workbench hook (it was changed or replaced); remove it by hand if you mean to.`,
      );
  } else if (!(await exists(previous))) {
    return { hookPath: where.hookPath, removed: false };
  }
  await rm(where.hookPath, { force: true });
  await rm(join(where.hooksDir, HOOK_SCRIPT), { force: true });
  await rm(join(where.hooksDir, HOOK_CONFIG), { force: true });
  if (await exists(previous)) {
    await rename(previous, where.hookPath);
    return { hookPath: where.hookPath, removed: true, restored: where.hookPath };
  }
  return { hookPath: where.hookPath, removed: true };
}
