// Which paths are secrets files: the kmsWorkbench.secretsFiles globs (relative to a workspace
// folder or repository root) and the path_regex of each SOPS creation rule (relative to the
// folder of its .sops.yaml, as sops applies them). Used by the Problems entries and by the
// pre-commit hook alike, so both refuse the same files.
import { secretsScan } from '../lazy/loadSecretsScan';
import { goRegex } from '../sops/sopsWalk';

/** The default of kmsWorkbench.secretsFiles (package.json says the same). */
export const DEFAULT_SECRETS_GLOBS: readonly string[] = ['**/.env*', '**/*.env', '**/*secret*', '**/*.pem', '**/*.key', '**/*.kms'];

export interface SopsPathRule {
  /** Folder of the .sops.yaml, relative to the root ('' for the root), with '/' separators. */
  readonly configDir: string;
  readonly pathRegex: RegExp;
  readonly source: string;
}

/**
 * The path_regex of every creation rule of a .sops.yaml (rules without one match every file
 * sops encrypts, not "every file is a secret", so they are left out). Unreadable configs give none.
 */
export function sopsPathRules(configText: string, configDir: string): SopsPathRule[] {
  let conf: unknown;
  try {
    conf = secretsScan().parse(configText);
  } catch {
    return [];
  }
  const rules = (conf as { creation_rules?: unknown } | null)?.creation_rules;
  if (!Array.isArray(rules)) return [];
  const out: SopsPathRule[] = [];
  for (const r of rules) {
    const source = r && typeof r === 'object' ? (r as { path_regex?: unknown }).path_regex : undefined;
    if (typeof source !== 'string' || source === '') continue;
    try {
      out.push({ configDir: configDir.replace(/\\/g, '/').replace(/\/+$/, ''), pathRegex: goRegex(source), source });
    } catch {
      // an invalid regex matches nothing; sops itself reports it when used
    }
  }
  return out;
}

export interface SecretsMatcher {
  /** `relPath`: relative to the root, '/' separators. */
  (relPath: string): boolean;
}

/** A matcher for both kinds of pattern. Globs match dot files too (like VS Code's). */
export function secretsMatcher(globs: readonly string[], sopsRules: readonly SopsPathRule[] = []): SecretsMatcher {
  const valid = globs.filter((g) => typeof g === 'string' && g.trim() !== '');
  const globMatch = valid.length ? secretsScan().picomatch(valid, { dot: true }) : () => false;
  return (relPath: string) => {
    const p = relPath.replace(/\\/g, '/');
    if (globMatch(p)) return true;
    for (const rule of sopsRules) {
      if (rule.configDir && !p.startsWith(`${rule.configDir}/`)) continue;
      const rel = rule.configDir ? p.slice(rule.configDir.length + 1) : p;
      if (rule.pathRegex.test(rel)) return true;
    }
    return false;
  };
}
