import type { AwsConfigFiles, Environment } from './awsConfigFiles';
import type { Connection } from './connection';

/**
 * The endpoint of another AWS service (CloudTrail, STS…) for a connection, found the way the
 * SDK finds the KMS one, so it follows the connection:
 *
 * - a connection with an explicit `endpoint` (LocalStack, the emulator) sends every service
 *   there: such servers answer all services on one port;
 * - otherwise `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, the profile's `services`
 *   section (`<service> = endpoint_url = …`), the profile's `endpoint_url`; none of them when
 *   `ignore_configured_endpoint_urls` is set (env or profile);
 * - else undefined: the service's public endpoint in the connection's region.
 *
 * `service` is the SDK's service id in lower case as the config files write it (`cloudtrail`,
 * `sts`); its environment variable is the upper-case form (AWS_ENDPOINT_URL_CLOUDTRAIL).
 */
export function serviceEndpoint(
  connection: Pick<Connection, 'profile' | 'endpoint' | 'endpointSource'>,
  service: string,
  env: Environment,
  files: Pick<AwsConfigFiles, 'profile' | 'servicesSection'>,
): { url: string; source: string } | undefined {
  if (connection.endpoint && connection.endpointSource === 'connection') return { url: connection.endpoint, source: 'connection' };
  const profileName = connection.profile ?? env.AWS_PROFILE ?? 'default';
  const settings = files.profile(profileName);
  if (isTrue(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS) || isTrue(settings?.ignore_configured_endpoint_urls)) return undefined;
  const variable = `AWS_ENDPOINT_URL_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  const fromServiceEnv = nonEmpty(env[variable]);
  if (fromServiceEnv) return checked(fromServiceEnv, variable);
  const fromEnv = nonEmpty(env.AWS_ENDPOINT_URL);
  if (fromEnv) return checked(fromEnv, 'AWS_ENDPOINT_URL');
  const servicesName = nonEmpty(settings?.services);
  if (servicesName) {
    const fromServices = nonEmpty(files.servicesSection(servicesName)?.[`${service}.endpoint_url`]);
    if (fromServices) return checked(fromServices, 'profile services section');
  }
  const fromProfile = nonEmpty(settings?.endpoint_url);
  if (fromProfile) return checked(fromProfile, 'profile endpoint_url');
  return undefined;
}

export class ServiceEndpointError extends Error {
  override readonly name = 'ServiceEndpointError';
}

function checked(url: string, source: string): { url: string; source: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ServiceEndpointError(`Endpoint "${url}" (from ${source}) is not a URL: write it like http://localhost:4566.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new ServiceEndpointError(`Endpoint "${url}" (from ${source}) must start with http:// or https://.`);
  return { url, source };
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

function isTrue(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'true';
}
