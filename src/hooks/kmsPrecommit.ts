// The pre-commit check's command line (node only, no VS Code), run by dist/secretsScan.js when
// `node` runs that file directly. Usage (as the installed hook runs it):
//   node kms-workbench-precommit.js [--config <json file>]
import { readFileSync } from 'node:fs';
import { type PreCommitConfig, runPreCommit } from '../core/inventory/preCommit';

function readConfig(argv: readonly string[]): PreCommitConfig {
  const i = argv.indexOf('--config');
  if (i < 0 || !argv[i + 1]) return {};
  try {
    const parsed = JSON.parse(readFileSync(argv[i + 1], 'utf8')) as { secretsFiles?: unknown };
    const globs = Array.isArray(parsed.secretsFiles) ? parsed.secretsFiles.filter((g): g is string => typeof g === 'string') : undefined;
    return { secretsFiles: globs };
  } catch {
    return {};
  }
}

/** Runs the check in the current folder and sets the exit code (non-zero refuses the commit). */
export function runPreCommitHook(argv: readonly string[]): void {
  void runPreCommit(process.cwd(), readConfig(argv), process.env, { error: (t) => process.stderr.write(t) }).then((code) => {
    process.exitCode = code;
  });
}
