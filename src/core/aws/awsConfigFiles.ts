import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadAwsSdk } from '../lazy/loadAwsSdk';

/** Env vars the extension reads; passed in so tests and other hosts can supply their own. */
export type Environment = Readonly<Record<string, string | undefined>>;

export type ProfileKind = 'static' | 'sso' | 'role' | 'process' | 'web-identity' | 'other';

export interface ProfileInfo {
  readonly name: string;
  readonly kind: ProfileKind;
  readonly region?: string;
  /** Where its settings come from: the config file, the credentials file, or both. */
  readonly sources: readonly ('config' | 'credentials')[];
}

type Section = Readonly<Record<string, string | undefined>>;

/**
 * A snapshot of the shared AWS config and credentials files, read with the SDK's own
 * parser (so `[profile x]`, `[sso-session x]` and `[services x]` mean what they mean to
 * the SDK and the CLI), honouring AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE.
 */
export class AwsConfigFiles {
  private constructor(
    readonly configPath: string,
    readonly credentialsPath: string,
    private readonly config: Readonly<Record<string, Section>>,
    private readonly credentials: Readonly<Record<string, Section>>,
  ) {}

  static paths(env: Environment): { configPath: string; credentialsPath: string } {
    const home = env.HOME || env.USERPROFILE || homedir();
    return {
      configPath: env.AWS_CONFIG_FILE || join(home, '.aws', 'config'),
      credentialsPath: env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'),
    };
  }

  /** Reads both files afresh (a missing file is an empty one). */
  static async load(env: Environment): Promise<AwsConfigFiles> {
    const { configPath, credentialsPath } = AwsConfigFiles.paths(env);
    const sdk = await loadAwsSdk();
    const files = await sdk.loadSharedConfigFiles({ configFilepath: configPath, filepath: credentialsPath, ignoreCache: true });
    return new AwsConfigFiles(configPath, credentialsPath, files.configFile, files.credentialsFile);
  }

  static fromSections(config: Record<string, Section>, credentials: Record<string, Section> = {}): AwsConfigFiles {
    return new AwsConfigFiles('(memory)', '(memory)', config, credentials);
  }

  /** Profile names from both files, sorted, `default` first. */
  profileNames(): string[] {
    const names = new Set<string>();
    for (const key of Object.keys(this.config)) if (!isSpecialSection(key)) names.add(key);
    for (const key of Object.keys(this.credentials)) names.add(key);
    return [...names].sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b)));
  }

  hasProfile(name: string): boolean {
    return this.config[name] !== undefined || this.credentials[name] !== undefined;
  }

  /** Settings of one profile, the config file's overridden by the credentials file's. */
  profile(name: string): Section | undefined {
    const fromConfig = this.config[name];
    const fromCredentials = this.credentials[name];
    if (!fromConfig && !fromCredentials) return undefined;
    return { ...fromConfig, ...fromCredentials };
  }

  profileInfo(name: string): ProfileInfo | undefined {
    const settings = this.profile(name);
    if (!settings) return undefined;
    const sources: ('config' | 'credentials')[] = [];
    if (this.config[name]) sources.push('config');
    if (this.credentials[name]) sources.push('credentials');
    return { name, kind: profileKind(settings), region: settings.region, sources };
  }

  profiles(): ProfileInfo[] {
    return this.profileNames().flatMap((n) => this.profileInfo(n) ?? []);
  }

  /** `[services NAME]` section, keys like `kms.endpoint_url`. */
  servicesSection(name: string): Section | undefined {
    return this.config[`services.${name}`];
  }

  ssoSession(name: string): Section | undefined {
    return this.config[`sso-session.${name}`];
  }
}

function isSpecialSection(key: string): boolean {
  return key.startsWith('services.') || key.startsWith('sso-session.');
}

function profileKind(s: Section): ProfileKind {
  if (s.sso_session || s.sso_start_url || s.sso_account_id) return 'sso';
  if (s.role_arn && s.web_identity_token_file) return 'web-identity';
  if (s.role_arn) return 'role';
  if (s.credential_process) return 'process';
  if (s.aws_access_key_id) return 'static';
  return 'other';
}
