import type { AwsConfigFiles, Environment } from './awsConfigFiles';

/** One entry of the `kmsWorkbench.connections` setting. */
export interface ConnectionConfig {
  readonly profile?: string;
  readonly region?: string;
  readonly endpoint?: string;
  readonly label?: string;
}

export type EndpointSource =
  | 'connection'
  | 'AWS_ENDPOINT_URL_KMS'
  | 'AWS_ENDPOINT_URL'
  | 'profile services section'
  | 'profile endpoint_url';

/** A connection with its profile, region and endpoint worked out. */
export interface Connection {
  /** Stable identity: profile, region and endpoint. */
  readonly id: string;
  readonly label: string;
  /** undefined: the environment's credential chain (env keys, AWS_PROFILE, the default profile…). */
  readonly profile?: string;
  readonly region: string;
  readonly endpoint?: string;
  readonly endpointSource?: EndpointSource;
  /** A role assumed with the profile's credentials (a SOPS file's KMS entry may name one). */
  readonly roleArn?: string;
}

export class ConnectionConfigError extends Error {
  override readonly name = 'ConnectionConfigError';
}

/** What the user allows of endpoints (read from user settings by the host; never from a workspace). */
export interface EndpointPolicy {
  /**
   * Plain http:// to hosts other than loopback ones (127.0.0.0/8, ::1, localhost). Off by
   * default: such an endpoint would see the plaintext of every encrypt and the user's signed
   * requests (session token included), and could choose the data keys.
   */
  readonly allowInsecureEndpoints?: boolean;
}

/** The user setting that allows plain http:// endpoints on other hosts than this one. */
export const ALLOW_INSECURE_ENDPOINTS_SETTING = 'kmsWorkbench.allowInsecureEndpoints';

/** What a connection entry is called in lists, before anything is resolved. */
export function describeConnectionConfig(config: ConnectionConfig): string {
  return config.label ?? `${config.profile ?? 'environment'} · ${config.region ?? 'default region'}`;
}

/**
 * Works out the profile, region and endpoint of a connection.
 *
 * Region: the connection's, else AWS_REGION, else the profile's `region`, else
 * AWS_DEFAULT_REGION. Endpoint, in this order: the connection's `endpoint`,
 * AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL, the profile's `services` section
 * (`kms = endpoint_url = …`), the profile's `endpoint_url`; all but the first are
 * skipped when `ignore_configured_endpoint_urls` is set (env or profile). The SDK reads
 * these from the default profile only, so the result is passed to the client explicitly.
 */
export function resolveConnection(
  config: ConnectionConfig,
  env: Environment,
  files: AwsConfigFiles,
  policy: EndpointPolicy = {},
): Connection {
  const profile = config.profile?.trim() || undefined;
  const effectiveProfile = profile ?? env.AWS_PROFILE ?? 'default';
  const settings = files.profile(effectiveProfile);
  if (profile && !settings) {
    throw new ConnectionConfigError(
      `Profile "${profile}" is not in ${files.configPath} or ${files.credentialsPath}. ` +
        `Add it (aws configure --profile ${profile}) or fix kmsWorkbench.connections.`,
    );
  }
  const region = nonEmpty(config.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(settings?.region) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  if (!region) {
    throw new ConnectionConfigError(
      `No region for ${profile ? `profile "${profile}"` : 'the environment connection'}: ` +
        `set "region" in kmsWorkbench.connections, the profile's region, or AWS_REGION.`,
    );
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new ConnectionConfigError(`"${region}" is not an AWS region name (like us-east-1): fix the region of the connection.`);
  }
  const endpoint = resolveEndpoint(config, env, files, effectiveProfile);
  if (endpoint) validateEndpoint(endpoint.url, endpoint.source, policy);
  const label = config.label?.trim() || `${profile ?? (env.AWS_PROFILE ? env.AWS_PROFILE : 'environment')} · ${region}`;
  return {
    id: [profile ?? '$env', region, endpoint?.url ?? ''].join('|'),
    label,
    profile,
    region,
    endpoint: endpoint?.url,
    endpointSource: endpoint?.source,
  };
}

function resolveEndpoint(
  config: ConnectionConfig,
  env: Environment,
  files: AwsConfigFiles,
  profileName: string,
): { url: string; source: EndpointSource } | undefined {
  const explicit = nonEmpty(config.endpoint);
  if (explicit) return { url: explicit, source: 'connection' };
  const settings = files.profile(profileName);
  const ignore = isTrue(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS) || isTrue(settings?.ignore_configured_endpoint_urls);
  if (ignore) return undefined;
  const fromKmsEnv = nonEmpty(env.AWS_ENDPOINT_URL_KMS);
  if (fromKmsEnv) return { url: fromKmsEnv, source: 'AWS_ENDPOINT_URL_KMS' };
  const fromEnv = nonEmpty(env.AWS_ENDPOINT_URL);
  if (fromEnv) return { url: fromEnv, source: 'AWS_ENDPOINT_URL' };
  const servicesName = nonEmpty(settings?.services);
  if (servicesName) {
    const fromServices = nonEmpty(files.servicesSection(servicesName)?.['kms.endpoint_url']);
    if (fromServices) return { url: fromServices, source: 'profile services section' };
  }
  const fromProfile = nonEmpty(settings?.endpoint_url);
  if (fromProfile) return { url: fromProfile, source: 'profile endpoint_url' };
  return undefined;
}

/**
 * Checks an endpoint from any source (a connection, AWS_ENDPOINT_URL*, a profile): a URL,
 * http or https, and plain http only to a loopback address unless the policy allows it.
 */
export function validateEndpoint(url: string, source: EndpointSource, policy: EndpointPolicy = {}): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConnectionConfigError(`Endpoint "${url}" (from ${source}) is not a URL: write it like http://localhost:4566.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConnectionConfigError(`Endpoint "${url}" (from ${source}) must start with http:// or https://.`);
  }
  if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname) && policy.allowInsecureEndpoints !== true) {
    throw new ConnectionConfigError(
      `Endpoint "${url}" (from ${source}) uses plain http:// to ${parsed.hostname}, which is not this machine: ` +
        `anyone on the way could read the plaintext and the signed requests. Use https://, an endpoint on 127.0.0.1 or localhost, ` +
        `or allow it in your user settings with "${ALLOW_INSECURE_ENDPOINTS_SETTING}": true.`,
    );
  }
}

/**
 * Whether a URL's hostname (as `new URL().hostname` gives it, which has already turned
 * `127.1` or `2130706433` into `127.0.0.1`) is a loopback address: 127.0.0.0/8, ::1 (also
 * written as an IPv4-mapped 127.x address) or the name localhost.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost') return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  if (!host.startsWith('[') || !host.endsWith(']')) return false;
  const v6 = host.slice(1, -1);
  if (v6 === '::1' || v6 === '0:0:0:0:0:0:0:1') return true;
  // IPv4-mapped: new URL() writes [::ffff:127.0.0.1] as [::ffff:7f00:1].
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(v6);
  return mapped !== null && parseInt(mapped[1], 16) >> 8 === 0x7f;
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

function isTrue(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'true';
}
