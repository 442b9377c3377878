// The pre-commit guard: refuses a commit that stages a plaintext secrets file. Runs outside
// VS Code (bundled into dist/secretsScan.js, copied into the repository's hooks folder by
// kmsWorkbench.installPreCommitHook), with the same detection and the same patterns as the
// Problems entries: kmsWorkbench.secretsFiles globs (captured when the hook is installed, or
// the defaults) and the path_regex of the staged .sops.yaml creation rules.
import { spawn } from 'node:child_process';
import { posix } from 'node:path';
import { classifyBytes } from './classify';
import { DEFAULT_SECRETS_GLOBS, secretsMatcher, sopsPathRules, type SopsPathRule } from './secretsPatterns';

/** Set to 1 to let one commit through without the check (or use git commit --no-verify). */
export const SKIP_ENV = 'KMS_WORKBENCH_SKIP_PRECOMMIT';
/** Staged files larger than this are read only up to it (a plaintext secrets file is small). */
const MAX_BLOB_BYTES = 8 * 1024 * 1024;
const GIT_TIMEOUT_MS = 30_000;

export interface PreCommitConfig {
  /** kmsWorkbench.secretsFiles at install time. */
  readonly secretsFiles?: readonly string[];
}

export interface PreCommitVerdict {
  readonly refused: readonly { path: string; reason: string }[];
  readonly checked: number;
}

/** Runs git with a timeout; resolves stdout (at most `maxBytes`, then stops reading). */
export function git(
  cwd: string,
  args: readonly string[],
  options: { maxBytes?: number; timeoutMs?: number; allowFailure?: boolean } = {},
): Promise<{ stdout: Buffer; code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let truncated = false;
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`git ${args[0]} did not finish within ${Math.round((options.timeoutMs ?? GIT_TIMEOUT_MS) / 1000)} s.`));
    }, options.timeoutMs ?? GIT_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      if (truncated) return;
      const room = (options.maxBytes ?? Infinity) - size;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      size += Math.min(chunk.length, room);
      if (size >= (options.maxBytes ?? Infinity)) {
        truncated = true;
        child.kill();
      }
    });
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const out = { stdout: Buffer.concat(chunks), code: truncated ? 0 : (code ?? 1), stderr };
      if (out.code !== 0 && !options.allowFailure) reject(new Error(`git ${args.join(' ')} failed: ${stderr.trim() || `exit ${code}`}`));
      else resolve(out);
    });
  });
}

/** Checks what is staged in the repository at `cwd`. */
export async function checkStaged(cwd: string, config: PreCommitConfig): Promise<PreCommitVerdict> {
  const names = (await git(cwd, ['diff', '--cached', '--name-only', '--diff-filter=ACMR', '-z'])).stdout
    .toString('utf8')
    .split('\0')
    .filter(Boolean);
  // .sops.yaml creation rules as staged (or, when not staged, as committed/in the index).
  const configs = (await git(cwd, ['ls-files', '-z', '--cached', '--', '.sops.yaml', '*/.sops.yaml'])).stdout
    .toString('utf8')
    .split('\0')
    .filter(Boolean);
  const rules: SopsPathRule[] = [];
  for (const c of configs) {
    const text = (await git(cwd, ['show', `:${c}`], { maxBytes: 1024 * 1024, allowFailure: true })).stdout.toString('utf8');
    rules.push(...sopsPathRules(text, posix.dirname(c) === '.' ? '' : posix.dirname(c)));
  }
  const isSecret = secretsMatcher(config.secretsFiles ?? DEFAULT_SECRETS_GLOBS, rules);
  const refused: { path: string; reason: string }[] = [];
  let checked = 0;
  for (const name of names) {
    if (!isSecret(name) || posix.basename(name) === '.sops.yaml') continue;
    checked++;
    const sizeText = (await git(cwd, ['cat-file', '-s', `:${name}`], { allowFailure: true })).stdout.toString('utf8').trim();
    const size = Number(sizeText);
    if (!Number.isFinite(size) || size === 0) continue;
    const bytes = (await git(cwd, ['cat-file', 'blob', `:${name}`], { maxBytes: MAX_BLOB_BYTES })).stdout;
    const entry = await classifyBytes(name, bytes, Math.min(size, bytes.length));
    if (!entry) refused.push({ path: name, reason: 'matches a secrets pattern and is not encrypted' });
  }
  return { refused, checked };
}

/** What the hook prints when it refuses (no file contents, only names). */
export function refusalText(verdict: PreCommitVerdict): string {
  const lines = [
    `KMS Workbench: commit refused: ${verdict.refused.length === 1 ? 'a secrets file is' : `${verdict.refused.length} secrets files are`} staged in plaintext:`,
    ...verdict.refused.map((r) => `  ${r.path}  (${r.reason})`),
    '',
    'Encrypt them first (in VS Code: right-click → KMS: Encrypt File, or sops --encrypt -i), then stage them again.',
    'If this file is not a secret, change kmsWorkbench.secretsFiles (or the .sops.yaml path_regex) and reinstall the hook.',
    `To commit once without this check: git commit --no-verify  (or ${SKIP_ENV}=1 git commit)`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The hook's main: returns the exit code. */
export async function runPreCommit(
  cwd: string,
  config: PreCommitConfig,
  env: NodeJS.ProcessEnv,
  out: { error(text: string): void },
): Promise<number> {
  if (env[SKIP_ENV] === '1') {
    out.error(`KMS Workbench: pre-commit check skipped (${SKIP_ENV}=1).\n`);
    return 0;
  }
  try {
    const verdict = await checkStaged(cwd, config);
    if (verdict.refused.length === 0) return 0;
    out.error(refusalText(verdict));
    return 1;
  } catch (error) {
    out.error(
      'KMS Workbench: the pre-commit check could not ' +
        `run: ${error instanceof Error ? error.message : String(error)}\nTo commit once without it: git commit --no-verify\n`,
    );
    return 1;
  }
}
