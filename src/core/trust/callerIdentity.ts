// A connection's account from sts:GetCallerIdentity: the STS endpoint that goes with the
// connection, and one call with a short timeout. STS is optional: local KMS servers
// (local-kms) have none, and the account then comes from the ARNs KMS answers with. A
// failure here is never fatal; it only means the account is not known from STS.
import type { AwsConfigFiles, Environment } from '../aws/awsConfigFiles';
import type { Connection } from '../aws/connection';
import { loadAwsSdk } from '../lazy/loadAwsSdk';
import { type AccountRef, accountOfPrincipalArn } from './accounts';

export type StsEndpointSource =
  | 'AWS_ENDPOINT_URL_STS'
  | 'AWS_ENDPOINT_URL'
  | 'profile services section'
  | 'profile endpoint_url'
  | 'the KMS endpoint'
  | 'AWS default';

/**
 * Where STS is for a connection, in the SDK's order: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL,
 * the profile's `services` section (`sts = endpoint_url = …`), the profile's `endpoint_url`
 * (all skipped under ignore_configured_endpoint_urls); then, for a connection with its own
 * KMS endpoint (LocalStack serves every service on one port; a local server's credentials
 * must never be sent to AWS), that same endpoint; else AWS's regional STS endpoint.
 */
export function resolveStsEndpoint(
  connection: Pick<Connection, 'profile' | 'endpoint'>,
  env: Environment,
  files: Pick<AwsConfigFiles, 'profile' | 'servicesSection'>,
): { url?: string; source: StsEndpointSource } {
  const profileName = connection.profile ?? env.AWS_PROFILE ?? 'default';
  const settings = files.profile(profileName);
  const ignore = isTrue(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS) || isTrue(settings?.ignore_configured_endpoint_urls);
  if (!ignore) {
    const fromStsEnv = nonEmpty(env.AWS_ENDPOINT_URL_STS);
    if (fromStsEnv) return { url: fromStsEnv, source: 'AWS_ENDPOINT_URL_STS' };
    const fromEnv = nonEmpty(env.AWS_ENDPOINT_URL);
    if (fromEnv) return { url: fromEnv, source: 'AWS_ENDPOINT_URL' };
    const servicesName = nonEmpty(settings?.services);
    const fromServices = servicesName ? nonEmpty(files.servicesSection(servicesName)?.['sts.endpoint_url']) : undefined;
    if (fromServices) return { url: fromServices, source: 'profile services section' };
    const fromProfile = nonEmpty(settings?.endpoint_url);
    if (fromProfile) return { url: fromProfile, source: 'profile endpoint_url' };
  }
  if (connection.endpoint) return { url: connection.endpoint, source: 'the KMS endpoint' };
  return { source: 'AWS default' };
}

export interface CallerIdentityOptions {
  readonly endpoint?: string;
  readonly region: string;
  /** The KMS client's credential provider (so a role or MFA prompt is not done twice). */
  readonly credentials: unknown;
  /** Default 8 s: connect 3 s, answer 5 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** The account and partition of the caller, from sts:GetCallerIdentity. Throws on any failure. */
export async function callerAccount(options: CallerIdentityOptions): Promise<AccountRef> {
  const out = await getCallerIdentity(options);
  const account = accountOfPrincipalArn(out.Arn);
  if (account && (!out.Account || out.Account === account.accountId)) return account;
  if (out.Account && /^\d{12}$/.test(out.Account)) return { partition: 'aws', accountId: out.Account };
  throw new Error('GetCallerIdentity answered without an account.');
}

/** The caller's ARN (an IAM user or role, an assumed-role session, the root) and account, from sts:GetCallerIdentity. Throws on any failure. */
export async function callerIdentity(options: CallerIdentityOptions): Promise<{ arn: string; account: AccountRef }> {
  const out = await getCallerIdentity(options);
  const account = accountOfPrincipalArn(out.Arn);
  if (!out.Arn || !account) throw new Error('GetCallerIdentity answered without a principal ARN.');
  return { arn: out.Arn, account };
}

async function getCallerIdentity(options: CallerIdentityOptions): Promise<{ Arn?: string; Account?: string }> {
  const sdk = await loadAwsSdk();
  const timeoutMs = options.timeoutMs ?? 8_000;
  const client = new sdk.STSClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    credentials: options.credentials as never,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: Math.min(3_000, timeoutMs), requestTimeout: timeoutMs, throwOnRequestTimeout: true },
  });
  const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
  try {
    return await client.send(new sdk.GetCallerIdentityCommand({}), { abortSignal: AbortSignal.any(signals) });
  } finally {
    client.destroy();
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

function isTrue(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'true';
}
