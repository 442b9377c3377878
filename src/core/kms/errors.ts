/** Where a failed call was going, for messages that name the fix. */
export interface CallContext {
  /** KMS operation name, e.g. "Decrypt". */
  readonly operation: string;
  readonly profile?: string;
  readonly region?: string;
  /** The endpoint in use, or undefined for the AWS default. */
  readonly endpoint?: string;
  readonly attempts?: number;
  /** The key the call named (KeyId of the request), when it named one. */
  readonly keyId?: string;
  /** The connection the call went through (id), so a fix can act on the same connection. */
  readonly connectionId?: string;
}

/** A command that fixes the key's state: offered with the error. */
export type KeyStateFix = 'enableKey' | 'cancelKeyDeletion';

/** Error names KMS (or the SDK, or our own checks) give, and a few of our own. */
export type KmsErrorCode = string;

/**
 * The one error type of the core: the KMS error name (or our own code) and a sentence
 * a person can act on. Only the host's command wrapper shows it.
 */
export class KmsError extends Error {
  override readonly name = 'KmsError';
  constructor(
    readonly code: KmsErrorCode,
    message: string,
    readonly details: {
      readonly operation?: string;
      /** Present when `aws sso login --profile <name>` is the fix. */
      readonly ssoLoginProfile?: string;
      /** The KMS error text as the service sent it. */
      readonly serviceMessage?: string;
      readonly cause?: unknown;
      /** What fixes it, on which key (ARN or id) and connection (id): the error offers it as a button. */
      readonly fix?: { readonly action: KeyStateFix; readonly keyId: string; readonly connectionId?: string };
    } = {},
  ) {
    super(message);
  }

  /** The operation is not implemented by this endpoint (LocalStack, local-kms, moto…). */
  get notSupported(): boolean {
    return this.code === 'NotSupportedByEndpoint';
  }
}

export function isKmsError(error: unknown, code?: string): error is KmsError {
  return error instanceof KmsError && (code === undefined || error.code === code);
}

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $response?: { statusCode?: number };
  cause?: unknown;
}

/** A key ARN quoted in a service message (KMS names the key it refused). */
const KEY_ARN_IN_TEXT = /arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+/;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ECONNRESET',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'TimeoutError',
]);

/** Turns anything the SDK or a credential provider throws into a KmsError. */
export function toKmsError(error: unknown, ctx: CallContext): KmsError {
  if (error instanceof KmsError) return error;
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as ErrorLike;
  const name = e.name ?? 'Error';
  const serviceMessage = (e.message ?? '').trim();
  const where = describeEndpoint(ctx);
  const op = ctx.operation;
  const make = (code: string, message: string, extra: { ssoLoginProfile?: string; fix?: KeyStateFix } = {}): KmsError => {
    const { fix, ...rest } = extra;
    const keyId = KEY_ARN_IN_TEXT.exec(serviceMessage)?.[0] ?? ctx.keyId;
    return new KmsError(code, message, {
      operation: op,
      serviceMessage,
      cause: error,
      ...rest,
      ...(fix && keyId ? { fix: { action: fix, keyId, connectionId: ctx.connectionId } } : {}),
    });
  };
  const sso = ssoProblem(name, serviceMessage);
  if (sso) {
    const profile = ctx.profile ?? 'default';
    return make(
      'SSOSessionExpired',
      `The SSO session of profile "${profile}" has expired or was never started. Run: aws sso login --profile ${profile}`,
      { ssoLoginProfile: profile },
    );
  }
  switch (name) {
    case 'CredentialsProviderError':
      return make(
        'NoCredentials',
        `No usable credentials for ${ctx.profile ? `profile "${ctx.profile}"` : 'the environment'}: ${serviceMessage || 'none found'}. ` +
          `Configure them (aws configure${ctx.profile ? ` --profile ${ctx.profile}` : ''}) or pick another profile.`,
      );
    case 'ExpiredTokenException':
    case 'ExpiredToken':
      return make(
        name,
        `The credentials of ${ctx.profile ? `profile "${ctx.profile}"` : 'the environment'} have expired. ` +
          `Refresh them (for SSO: aws sso login${ctx.profile ? ` --profile ${ctx.profile}` : ''}).`,
        ctx.profile ? { ssoLoginProfile: ctx.profile } : {},
      );
    case 'UnrecognizedClientException':
      return make(
        name,
        `${where} does not recognise the access key of ${ctx.profile ? `profile "${ctx.profile}"` : 'the environment'}. ` +
          'Check the credentials, or that the endpoint is the one they belong to.',
      );
    case 'InvalidSignatureException':
      return make(
        name,
        `${where} rejected the request signature: the secret access key ` +
          `of ${ctx.profile ? `profile "${ctx.profile}"` : 'the environment'} is wrong, or the system clock is off.`,
      );
    case 'AccessDeniedException': {
      const permission = /perform:?\s+(kms:\w+)/i.exec(serviceMessage)?.[1] ?? `kms:${op}`;
      return make(
        name,
        `Access denied: you need the ${permission} permission on this key (its key policy or your IAM policy must allow it). KMS said: ${serviceMessage}`,
      );
    }
    case 'DisabledException':
      return make(name, `The key is disabled, so it cannot be used for ${op}. Enable it first. (${serviceMessage})`, { fix: 'enableKey' });
    case 'KMSInvalidStateException': {
      const state = /(pending ?deletion|pending ?replica ?deletion|pending ?import|disabled|unavailable|creating|updating|enabled)/i.exec(
        serviceMessage,
      )?.[1];
      const hint =
        state && /pending ?deletion/i.test(state)
          ? ' Cancel the key deletion first (the key then stays disabled until you enable it).'
          : state && /import/i.test(state)
            ? ' Import key material first.'
            : '';
      const fix: KeyStateFix | undefined =
        state && /pending ?deletion/i.test(state) && !/replica/i.test(state)
          ? 'cancelKeyDeletion'
          : state && /^disabled$/i.test(state)
            ? 'enableKey'
            : undefined;
      return make(
        name,
        `The key's state${state ? ` (${state.toLowerCase()})` : ''} does not allow ${op}.${hint} KMS said: ${serviceMessage}`,
        fix ? { fix } : {},
      );
    }
    case 'InvalidCiphertextException':
      return make(
        name,
        'KMS could not decrypt this ciphertext: wrong key, wrong encryption context, or altered ciphertext. ' +
          'Check the encryption context first: it must match exactly.',
      );
    case 'IncorrectKeyException':
      return make(
        name,
        'The ciphertext was encrypted under a different KMS key than the one given. Decrypt without naming a key, or name the key it was made with.',
      );
    case 'InvalidKeyUsageException':
      return make(name, `This key cannot be used for ${op}: its key usage or key spec does not allow it. (${serviceMessage})`);
    case 'NotFoundException':
      return make(
        name,
        `Not found in ${ctx.region ?? 'this region'}: ${serviceMessage || 'the key or alias does not exist'}. Check the key id, alias or region.`,
      );
    case 'ThrottlingException':
      return make(
        name,
        `KMS is throttling ${op} requests${ctx.attempts ? ` (still after ${ctx.attempts} attempts)` : ''}. ` +
          'Wait a moment and try again, or ask for a higher request quota.',
      );
    case 'UnsupportedOperationException':
      return make('NotSupportedByEndpoint', `${op} is not supported by this endpoint (${where}). ${serviceMessage}`.trim());
    case 'IncorrectKeyMaterialException':
      return make(
        name,
        'KMS refused the key material: a KMS key with imported material only ever takes the material it was ' +
          'first given (after an expiry or a deletion, import that same material again), and the material must ' +
          'suit the key spec (32 bytes for a symmetric key). To use new material, create a new key with origin ' +
          `EXTERNAL. KMS said: ${serviceMessage}`,
      );
    case 'ExpiredImportTokenException':
      return make(
        name,
        `The import token expired (it is valid 24 hours): get new import parameters and wrap the material again. KMS said: ${serviceMessage}`,
      );
    case 'InvalidImportTokenException':
      return make(
        name,
        'The import token does not belong to this key or these parameters: ' +
          `get import parameters for this key and use them together. KMS said: ${serviceMessage}`,
      );
    case 'CustomKeyStoreInvalidStateException':
      return make(
        name,
        `The custom key store's connection state does not allow ${op}: ` +
          'a store must be disconnected to be deleted or to change its cluster, password, proxy endpoint or ' +
          'connectivity; a FAILED store must be disconnected before it connects again; ' +
          `keys are created only in a connected store. KMS said: ${serviceMessage}`,
      );
    case 'CustomKeyStoreHasCMKsException':
      return make(
        name,
        'The custom key store still holds KMS keys (keys pending deletion count): ' +
          `schedule their deletion and wait for it to finish before deleting the store. KMS said: ${serviceMessage}`,
      );
    case 'CustomKeyStoreNotFoundException':
      return make(name, `No such custom key store in ${ctx.region ?? 'this Region'}. KMS said: ${serviceMessage}`);
    case 'CustomKeyStoreNameInUseException':
      return make(name, `Another custom key store in this Region has that name: choose another. KMS said: ${serviceMessage}`);
    case 'ValidationException':
    case 'InvalidAliasNameException':
    case 'AlreadyExistsException':
    case 'MalformedPolicyDocumentException':
    case 'LimitExceededException':
    case 'InvalidGrantTokenException':
    case 'InvalidGrantIdException':
    case 'InvalidMarkerException':
    case 'InvalidArnException':
    case 'TagException':
    case 'KMSInvalidSignatureException':
    case 'KMSInvalidMacException':
    case 'DependencyTimeoutException':
    case 'KMSInternalException':
    case 'CloudHsmClusterInUseException':
    case 'CloudHsmClusterNotFoundException':
    case 'CloudHsmClusterNotActiveException':
    case 'CloudHsmClusterInvalidConfigurationException':
    case 'CloudHsmClusterNotRelatedException':
    case 'IncorrectTrustAnchorException':
    case 'XksProxyUriInUseException':
    case 'XksProxyUriEndpointInUseException':
    case 'XksProxyUriUnreachableException':
    case 'XksProxyIncorrectAuthenticationCredentialException':
    case 'XksProxyInvalidConfigurationException':
    case 'XksProxyInvalidResponseException':
    case 'XksProxyVpcEndpointServiceNotFoundException':
    case 'XksProxyVpcEndpointServiceInUseException':
    case 'XksProxyVpcEndpointServiceInvalidConfigurationException':
    case 'XksKeyAlreadyInUseException':
    case 'XksKeyNotFoundException':
    case 'XksKeyInvalidConfigurationException':
      return make(name, serviceMessage || name);
    default:
      break;
  }
  const network = networkCode(error);
  if (network) {
    return make(
      'EndpointUnreachable',
      `Cannot reach ${where} (${network}). Check the endpoint URL and that the server is running, or your network.`,
    );
  }
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  if (looksUnsupported(name, serviceMessage, status)) {
    return make('NotSupportedByEndpoint', `${op} is not supported by this endpoint (${where}).`);
  }
  return make(name, serviceMessage ? `${serviceMessage}` : `${name} from ${where}`);
}

function describeEndpoint(ctx: CallContext): string {
  return ctx.endpoint ? `the endpoint ${ctx.endpoint}` : `AWS KMS in ${ctx.region ?? 'the default region'}`;
}

function ssoProblem(name: string, message: string): boolean {
  if (!/sso/i.test(message) && name !== 'UnauthorizedException') return false;
  return /expired|invalid|refresh|not.*(found|exist)|login/i.test(message);
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const c = current as ErrorLike;
    if (c.code && NETWORK_CODES.has(c.code)) return c.code;
    if (c.name && NETWORK_CODES.has(c.name)) return c.name;
    if (c.message && /socket hang up|ECONNREFUSED|ECONNRESET|ENOTFOUND/i.test(c.message))
      return /ECONNREFUSED|ECONNRESET|ENOTFOUND/i.exec(c.message)?.[0] ?? 'connection dropped';
    current = c.cause;
  }
  return undefined;
}

/**
 * Third-party servers answer operations they lack with plain text, HTML, 404/501, or a
 * JSON error the SDK does not know; the SDK then throws a deserialization error or an
 * unknown-error name. All of these mean "not supported here".
 */
function looksUnsupported(name: string, message: string, status: number | undefined): boolean {
  if (status === 404 || status === 501 || status === 405) return true;
  if (/not (yet )?implemented|unknown operation|not supported|unsupported/i.test(message)) return true;
  if (/Deserialization error|Unexpected token|is not valid JSON|SyntaxError/i.test(message) || name === 'SyntaxError') return true;
  return false;
}
