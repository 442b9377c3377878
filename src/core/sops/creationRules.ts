// `.sops.yaml` creation rules as sops applies them: the config is looked for from the file's own
// folder upwards; the first rule whose `path_regex` matches the file's path relative to the
// config's folder (or that has no path_regex) decides the keys and the partial-encryption options.
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { secretsScan } from '../lazy/loadSecretsScan';
import type { PartialEncryption } from './metadata';
import type { NewKmsKey } from './sopsFile';
import { goRegex } from './sopsWalk';
import { SopsError } from './tree';

export const SOPS_CONFIG_NAME = '.sops.yaml';

export interface CreationRule extends PartialEncryption {
  /** Index of the rule in `creation_rules` (0-based), for messages. */
  readonly index: number;
  readonly pathRegex?: string;
  readonly kms: NewKmsKey[];
  /** Master keys the rule names that KMS Workbench cannot wrap a data key for (age, PGP, …). */
  readonly unsupportedKeys: string[];
  readonly shamirThreshold?: number;
  readonly keyGroupCount: number;
}

export interface RuleMatch {
  readonly configPath: string;
  readonly rule: CreationRule;
}

/** The nearest `.sops.yaml` from `fromDir` upwards (stopping after `stopAt` when given). */
export async function findSopsConfig(fromDir: string, stopAt?: string): Promise<{ path: string; text: string } | undefined> {
  let dir = fromDir;
  for (let depth = 0; depth < 100; depth++) {
    const candidate = join(dir, SOPS_CONFIG_NAME);
    try {
      return { path: candidate, text: await readFile(candidate, 'utf8') };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
    }
    if (stopAt !== undefined && (dir === stopAt || relative(stopAt, dir).startsWith('..'))) return undefined;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

function str(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** sops's `kms` string: comma-separated ARNs, each optionally `ARN+ROLE_ARN`. */
export function kmsKeysFromString(value: string, context?: Record<string, string>, awsProfile?: string): NewKmsKey[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const plus = s.indexOf('+');
      const arn = plus >= 0 ? s.slice(0, plus) : s;
      const role = plus >= 0 ? s.slice(plus + 1) : undefined;
      return { arn, role, context: context && Object.keys(context).length ? context : undefined, awsProfile: awsProfile || undefined };
    });
}

function otherKeys(source: Record<string, unknown>, where: string): string[] {
  const out: string[] = [];
  const names: Record<string, string> = {
    age: 'age',
    pgp: 'PGP',
    gcp_kms: 'Google Cloud KMS',
    azure_keyvault: 'Azure Key Vault',
    hc_vault_transit_uri: 'HashiCorp Vault',
    hc_vault: 'HashiCorp Vault',
    azure_kv: 'Azure Key Vault',
    merge: 'merged groups',
  };
  for (const [k, label] of Object.entries(names)) {
    const v = source[k];
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    out.push(`${label} keys (${where})`);
  }
  return out;
}

function parseRule(raw: unknown, index: number, cliContext?: Record<string, string>): CreationRule {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new SopsError('SopsRule', `Creation rule ${index + 1} of .sops.yaml is not a mapping.`);
  const r = raw as Record<string, unknown>;
  const awsProfile = str(r.aws_profile);
  let kms: NewKmsKey[] = [];
  const unsupported: string[] = [];
  let keyGroupCount = 1;
  if (Array.isArray(r.key_groups) && r.key_groups.length > 0) {
    keyGroupCount = r.key_groups.length;
    r.key_groups.forEach((g: unknown, gi: number) => {
      const group = (g ?? {}) as Record<string, unknown>;
      for (const k of Array.isArray(group.kms) ? group.kms : []) {
        const entry = (k ?? {}) as Record<string, unknown>;
        const arn = str(entry.arn);
        if (!arn)
          throw new SopsError('SopsRule', `A KMS key of key group ${gi + 1} in creation rule ${index + 1} of .sops.yaml has no arn.`);
        const ctx =
          entry.context && typeof entry.context === 'object'
            ? Object.fromEntries(Object.entries(entry.context as Record<string, unknown>).map(([a, b]) => [a, str(b) ?? '']))
            : undefined;
        kms.push({
          arn,
          role: str(entry.role) || undefined,
          context: ctx && Object.keys(ctx).length ? ctx : undefined,
          awsProfile: str(entry.aws_profile) || undefined,
        });
      }
      unsupported.push(...otherKeys(group, `key group ${gi + 1}`));
    });
  } else {
    const kmsString = str(r.kms);
    if (kmsString) kms = kmsKeysFromString(kmsString, cliContext, awsProfile);
    unsupported.push(...otherKeys(r, 'creation rule'));
  }
  const threshold = r.shamir_threshold === undefined ? undefined : Number(r.shamir_threshold);
  const rule: CreationRule = {
    index,
    pathRegex: str(r.path_regex),
    kms,
    unsupportedKeys: unsupported,
    shamirThreshold: threshold,
    keyGroupCount,
    unencryptedSuffix: str(r.unencrypted_suffix) || undefined,
    encryptedSuffix: str(r.encrypted_suffix) || undefined,
    unencryptedRegex: str(r.unencrypted_regex) || undefined,
    encryptedRegex: str(r.encrypted_regex) || undefined,
    unencryptedCommentRegex: str(r.unencrypted_comment_regex) || undefined,
    encryptedCommentRegex: str(r.encrypted_comment_regex) || undefined,
    macOnlyEncrypted: r.mac_only_encrypted === true || undefined,
  };
  return rule;
}

/**
 * The creation rule of `.sops.yaml` (text at `configPath`) for `filePath`, or undefined when no
 * rule matches. `cliContext` is the encryption context given for the `kms` string form (sops's
 * --encryption-context); key groups carry their own.
 */
export function matchCreationRule(
  configText: string,
  configPath: string,
  filePath: string,
  cliContext?: Record<string, string>,
): CreationRule | undefined {
  let conf: unknown;
  try {
    conf = secretsScan().parse(configText);
  } catch (error) {
    throw new SopsError('SopsRule', `${configPath} is not valid YAML: ${(error as Error).message}`);
  }
  if (conf === null || conf === undefined) return undefined;
  const rules = (conf as { creation_rules?: unknown }).creation_rules;
  if (rules === undefined || rules === null) return undefined;
  if (!Array.isArray(rules)) throw new SopsError('SopsRule', `creation_rules in ${configPath} must be a list.`);
  let rel = relative(dirname(configPath), filePath);
  if (sep !== '/') rel = rel.split(sep).join('/');
  for (let i = 0; i < rules.length; i++) {
    const raw = rules[i] as Record<string, unknown> | null;
    const pathRegex = raw && typeof raw === 'object' ? str(raw.path_regex) : undefined;
    if (!pathRegex || goRegex(pathRegex).test(rel)) return parseRule(raw, i, cliContext);
  }
  return undefined;
}

/** The matching creation rule for a file, from the nearest `.sops.yaml`, or undefined. */
export async function creationRuleFor(
  filePath: string,
  options: { stopAt?: string; context?: Record<string, string> } = {},
): Promise<RuleMatch | undefined> {
  const config = await findSopsConfig(dirname(filePath), options.stopAt);
  if (!config) return undefined;
  const rule = matchCreationRule(config.text, config.path, filePath, options.context);
  return rule ? { configPath: config.path, rule } : undefined;
}
