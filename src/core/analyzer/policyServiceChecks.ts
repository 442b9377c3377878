/**
 * The service's own checks of a key policy for the editor: IAM Access Analyzer's
 * ValidatePolicy (policy type RESOURCE_POLICY, resource type AWS::KMS::Key) and the caller's
 * identity from sts:GetCallerIdentity (for the lockout check). Both follow the connection as
 * KMS does: the connection's credentials (the KMS client's own provider, so a role or MFA
 * prompt is not done twice), region, and the endpoint from `serviceEndpoint` (explicit
 * connection endpoint, AWS_ENDPOINT_URL_ACCESSANALYZER, AWS_ENDPOINT_URL, the profile's
 * services section, its endpoint_url). Every call has a time limit and takes an abort signal.
 * Neither is required: a failure becomes a sentence saying what could not be checked.
 */
import type { AccessAnalyzerClient, ValidatePolicyResourceType } from '@aws-sdk/client-accessanalyzer';
import { AwsConfigFiles, type Environment } from '../aws/awsConfigFiles';
import type { Connection } from '../aws/connection';
import { serviceEndpoint } from '../aws/serviceEndpoint';
import { loadAwsSdk } from '../lazy/loadAwsSdk';
import { callerIdentity, resolveStsEndpoint } from '../trust/callerIdentity';
import type { RawServiceFinding } from '../policy/serviceFindings';

/** Connect 3 s, answer 10 s: the editor waits for neither. */
const CONNECT_TIMEOUT_MS = 3_000;
const ANSWER_TIMEOUT_MS = 10_000;
/** ValidatePolicy pages; a key policy (32 KB at most) never needs more. */
const MAX_PAGES = 10;
/**
 * The resource type asked for. The SDK's model lists only S3, DynamoDB and role-trust types
 * (its enums are open: the value is sent as is); should the service refuse it, the policy is
 * checked again with the checks of every resource policy (no resource type), as the API
 * reference describes for an omitted type.
 */
const KMS_KEY_RESOURCE_TYPE = 'AWS::KMS::Key' as ValidatePolicyResourceType;

export interface PolicyServiceChecksSettings {
  readonly env: Environment;
  readonly userAgent?: string;
  /** The connection's credential provider (the KMS client's). */
  readonly credentials: (connection: Connection) => Promise<unknown>;
}

/** Why a service could not check, in a sentence for the editor. */
export class ServiceCheckError extends Error {
  override readonly name = 'ServiceCheckError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class PolicyServiceChecks {
  private readonly analyzers = new Map<string, Promise<AccessAnalyzerClient>>();
  private readonly callers = new Map<string, Promise<string>>();

  constructor(private readonly settings: PolicyServiceChecksSettings) {}

  /** ValidatePolicy's findings for `text` (all pages). Throws ServiceCheckError saying why it could not check. */
  async validateKeyPolicy(connection: Connection, text: string, signal?: AbortSignal): Promise<RawServiceFinding[]> {
    try {
      try {
        return await this.validate(connection, text, KMS_KEY_RESOURCE_TYPE, signal);
      } catch (error) {
        const e = error as { name?: string; message?: string };
        if (e.name !== 'ValidationException' || !/validatePolicyResourceType|resource type/i.test(e.message ?? '')) throw error;
        return await this.validate(connection, text, undefined, signal);
      }
    } catch (error) {
      throw describeFailure('IAM Access Analyzer', 'access-analyzer:ValidatePolicy', error, signal);
    }
  }

  private async validate(
    connection: Connection,
    text: string,
    resourceType: ValidatePolicyResourceType | undefined,
    signal?: AbortSignal,
  ): Promise<RawServiceFinding[]> {
    const findings: RawServiceFinding[] = [];
    const [sdk, client] = await Promise.all([loadAwsSdk(), this.analyzer(connection)]);
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const signals = [AbortSignal.timeout(CONNECT_TIMEOUT_MS + ANSWER_TIMEOUT_MS), ...(signal ? [signal] : [])];
      const out = await client.send(
        new sdk.ValidatePolicyCommand({
          policyDocument: text,
          policyType: 'RESOURCE_POLICY',
          ...(resourceType ? { validatePolicyResourceType: resourceType } : {}),
          locale: 'EN',
          ...(nextToken ? { nextToken } : {}),
        }),
        { abortSignal: AbortSignal.any(signals) },
      );
      findings.push(...((out.findings ?? []) as RawServiceFinding[]));
      nextToken = out.nextToken;
      if (!nextToken) break;
    }
    return findings;
  }

  /** The caller's ARN from sts:GetCallerIdentity, asked once per connection (a failure is asked again next time). */
  callerArn(connection: Connection, signal?: AbortSignal): Promise<string> {
    let arn = this.callers.get(connection.id);
    if (!arn) {
      arn = this.askCaller(connection, signal);
      this.callers.set(connection.id, arn);
      arn.catch(() => this.callers.delete(connection.id));
    }
    return arn;
  }

  forget(): void {
    for (const client of this.analyzers.values()) client.then((c) => c.destroy()).catch(() => undefined);
    this.analyzers.clear();
    this.callers.clear();
  }

  private async askCaller(connection: Connection, signal?: AbortSignal): Promise<string> {
    try {
      const files = await AwsConfigFiles.load(this.settings.env);
      const sts = resolveStsEndpoint(connection, this.settings.env, files);
      const identity = await callerIdentity({
        endpoint: sts.url,
        region: connection.region,
        credentials: await this.settings.credentials(connection),
        signal,
      });
      return identity.arn;
    } catch (error) {
      throw describeFailure('STS', 'sts:GetCallerIdentity', error, signal);
    }
  }

  private analyzer(connection: Connection): Promise<AccessAnalyzerClient> {
    let client = this.analyzers.get(connection.id);
    if (!client) {
      client = this.createAnalyzer(connection);
      this.analyzers.set(connection.id, client);
      client.catch(() => this.analyzers.delete(connection.id));
    }
    return client;
  }

  private async createAnalyzer(connection: Connection): Promise<AccessAnalyzerClient> {
    const [sdk, files, credentials] = await Promise.all([
      loadAwsSdk(),
      AwsConfigFiles.load(this.settings.env),
      this.settings.credentials(connection),
    ]);
    const endpoint = serviceEndpoint(connection, 'accessanalyzer', this.settings.env, files);
    return new sdk.AccessAnalyzerClient({
      region: connection.region,
      ...(endpoint ? { endpoint: endpoint.url } : {}),
      credentials: credentials as never,
      maxAttempts: 2,
      customUserAgent: this.settings.userAgent,
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: ANSWER_TIMEOUT_MS, throwOnRequestTimeout: true },
    });
  }
}

/** A failure of `service` as the editor says it: what happened and what would fix it. */
export function describeFailure(service: string, permission: string, error: unknown, signal?: AbortSignal): ServiceCheckError {
  if (error instanceof ServiceCheckError) return error;
  const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? 'Error';
  const message = (e.message ?? String(error)).split('\n')[0].trim().slice(0, 300);
  if (signal?.aborted) return new ServiceCheckError('Cancelled', 'Cancelled.');
  if (name === 'AbortError' || name === 'TimeoutError' || e.code === 'ABORT_ERR')
    return new ServiceCheckError('Timeout', `${service} did not answer in time.`);
  const status = e.$metadata?.httpStatusCode;
  switch (name) {
    case 'AccessDeniedException':
    case 'AccessDenied':
      return new ServiceCheckError(name, `${service} refused: this identity needs ${permission} in its IAM policy. (${message})`);
    case 'UnrecognizedClientException':
    case 'InvalidClientTokenId':
    case 'InvalidSignatureException':
    case 'SignatureDoesNotMatch':
    case 'ExpiredTokenException':
    case 'ExpiredToken':
      return new ServiceCheckError(name, `${service} refused the connection's credentials: ${message}`);
    case 'ThrottlingException':
      return new ServiceCheckError(name, `${service} is throttling requests: it checks again after the next change.`);
    case 'UnsupportedOperationException':
    case 'UnknownOperationException':
    case 'InvalidAction':
      return new ServiceCheckError('NotSupportedByEndpoint', `the endpoint does not offer ${service} (${message})`);
  }
  // A server without the service answers in another protocol (a KMS JSON error to STS's XML client).
  if (/Deserialization error|parse error|Unexpected token|not valid JSON/i.test(e.message ?? ''))
    return new ServiceCheckError('NotSupportedByEndpoint', `the endpoint does not offer ${service} (it answered in another protocol).`);
  if (status === 404 || status === 501)
    return new ServiceCheckError('NotSupportedByEndpoint', `the endpoint does not offer ${service} (HTTP ${status}).`);
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|socket hang up/i.test(`${e.code ?? ''} ${message}`))
    return new ServiceCheckError('Unreachable', `${service} could not be reached (${message}).`);
  return new ServiceCheckError(name, `${service} failed: ${message}`);
}
