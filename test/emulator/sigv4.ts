// Signature Version 4 verification: recompute the signature with @smithy/signature-v4 over
// exactly the headers the client says it signed, with its X-Amz-Date and credential scope, and
// compare. Errors carry the names and wording AWS uses.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { timingSafeEqual } from 'node:crypto';
import { apiError, type KmsApiError } from './errors';
import { sha256Hex } from './crypto';

export interface EmulatorCredential {
  accessKeyId: string;
  secretAccessKey: string;
  /** Answer ExpiredTokenException for this key, to test expired credentials. */
  expired?: boolean;
  /**
   * Who the key belongs to: an IAM user name (the caller is arn:aws:iam::<account>:user/<name>)
   * or a whole IAM/STS ARN. Default: a user named like the access key id.
   */
  principal?: string;
}

export interface SignedRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface VerifiedCaller {
  accessKeyId: string;
  region: string;
  principal?: string;
}

/** The caller's ARN as IAM names it (CloudTrail's userIdentity.arn, AccessDeniedException messages). */
export function callerArnOf(accountId: string, caller: { accessKeyId: string; principal?: string }): string {
  const p = caller.principal?.trim();
  if (p?.startsWith('arn:')) return p;
  return `arn:aws:iam::${accountId}:user/${p || caller.accessKeyId}`;
}

const maxSkewMs = 5 * 60 * 1000;

const incomplete = (message: string): KmsApiError => apiError('IncompleteSignatureException', message);
const badSignature = (message: string): KmsApiError => apiError('InvalidSignatureException', message);

function header(headers: SignedRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/**
 * Verifies the request's SigV4 signature (for `expectedService`, default kms). Returns the caller (access key, and the region from the
 * credential scope) or throws the error KMS would answer with.
 */
export async function verifySignature(
  request: SignedRequest,
  credentials: readonly EmulatorCredential[],
  now = new Date(),
  expectedService = 'kms',
): Promise<VerifiedCaller> {
  const authorization = header(request.headers, 'authorization');
  if (!authorization) throw apiError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const m = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)\s*$/.exec(authorization);
  if (!m)
    throw incomplete(
      `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters with the AWS4-HMAC-SHA256 algorithm. Authorization=${authorization.split(' ')[0]}`,
    );
  const [, credential, signedHeaderList, signature] = m as unknown as [string, string, string, string];
  const scope = credential.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request')
    throw incomplete(`Credential should be scoped to a valid region, not a malformed scope. Credential=${credential}`);
  const [accessKeyId, shortDate, region, service] = scope as [string, string, string, string];
  if (service !== expectedService) throw badSignature(`Credential should be scoped to correct service: '${expectedService}'.`);

  const amzDate = header(request.headers, 'x-amz-date');
  const signingDate = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!amzDate || !signingDate) throw incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (amzDate.slice(0, 8) !== shortDate)
    throw badSignature(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${shortDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );

  const known = credentials.find((c) => c.accessKeyId === accessKeyId);
  if (!known) throw apiError('UnrecognizedClientException', 'The security token included in the request is invalid.');

  const signedHeaders = signedHeaderList.split(';');
  for (const required of ['host']) {
    if (!signedHeaders.includes(required)) throw badSignature(`'${required}' must be a 'SignedHeader' in the AWS Authorization.`);
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = header(request.headers, name);
    if (value === undefined)
      throw badSignature(
        `The request signature we calculated does not match the signature you provided: signed header '${name}' is missing from the request.`,
      );
    headers[name] = value;
  }
  const contentHash = header(request.headers, 'x-amz-content-sha256');
  if (contentHash !== undefined && contentHash !== sha256Hex(request.body))
    throw badSignature("The provided 'x-amz-content-sha256' header does not match what was computed.");

  const url = new URL(request.url, 'http://localhost');
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prior = query[k];
    query[k] = prior === undefined ? v : Array.isArray(prior) ? [...prior, v] : [prior, v];
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey: known.secretAccessKey },
    region,
    service: expectedService,
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: headers.host ?? 'localhost',
      path: url.pathname,
      query,
      headers,
      body: request.body,
    },
    { signingDate, signingRegion: region, signingService: expectedService, signableHeaders: new Set(signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization ?? signed.headers.Authorization))?.[1] ?? '';
  const signedNames = /SignedHeaders=([^,\s]+)/.exec(String(signed.headers.authorization ?? signed.headers.Authorization))?.[1];
  const same =
    expected.length === signature.length &&
    signedNames === signedHeaderList &&
    timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
  if (!same) {
    throw badSignature(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  const fmt = (d: Date): string =>
    d
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
  if (signingDate.getTime() < now.getTime() - maxSkewMs) {
    throw badSignature(
      `Signature expired: ${amzDate} is now earlier than ${fmt(new Date(now.getTime() - maxSkewMs))} (${fmt(now)} - 5 min.)`,
    );
  }
  if (signingDate.getTime() > now.getTime() + maxSkewMs) {
    throw badSignature(
      `Signature not yet current: ${amzDate} is still later than ${fmt(new Date(now.getTime() + maxSkewMs))} (${fmt(now)} + 5 min.)`,
    );
  }
  if (known.expired) throw apiError('ExpiredTokenException', 'The security token included in the request is expired');
  return { accessKeyId, region, principal: known.principal };
}
