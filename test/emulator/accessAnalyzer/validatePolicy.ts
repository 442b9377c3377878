// IAM Access Analyzer's ValidatePolicy on the emulator's port, as LocalStack serves every service
// on one: the REST-JSON protocol (POST /policy/validation, `maxResults` and `nextToken` in the
// query, the request in a JSON body), SigV4 verified with the service `access-analyzer`.
// Errors as the service sends them: `x-amzn-ErrorType` and a body `{ message, reason?, fieldList? }`.
//
// It answers a documented subset of the service's checks (see the emulator README), each finding
// with its location (path and span: line from 1, column and offset from 0) as the service gives it:
//   ERROR             JSON_SYNTAX_ERROR     the document is not JSON (located at the error)
//   ERROR             INVALID_ACTION        a kms: action (or pattern) that matches no KMS action
//   SECURITY_WARNING  PUBLIC_PRINCIPAL_WITHOUT_CONDITION
//                                           an Allow to the `*` principal (Principal "*" or {"AWS": "*"}) with no Condition
//   SUGGESTION        KEY_POLICY_RESOURCE   a key policy statement whose Resource is not "*" (in a key policy "*" is the key)
//   SUGGESTION        MISSING_VERSION       no Version element
// Other checks of the real service (IAM grammar, condition keys, …) are not made.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { KmsApiError } from '../errors';
import { type EmulatorCredential, verifySignature } from '../sigv4';

export const VALIDATE_POLICY_PATH = '/policy/validation';

const POLICY_TYPES = ['IDENTITY_POLICY', 'RESOURCE_POLICY', 'SERVICE_CONTROL_POLICY', 'RESOURCE_CONTROL_POLICY'];
const RESOURCE_TYPES = [
  'AWS::S3::Bucket',
  'AWS::S3::AccessPoint',
  'AWS::S3::MultiRegionAccessPoint',
  'AWS::S3ObjectLambda::AccessPoint',
  'AWS::IAM::AssumeRolePolicyDocument',
  'AWS::DynamoDB::Table',
  'AWS::KMS::Key',
];
const LINK = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html';

/** The actions of the KMS service authorization reference (API operations and permission-only ones). */
export const KMS_ACTIONS = [
  'CancelKeyDeletion',
  'ConnectCustomKeyStore',
  'CreateAlias',
  'CreateCustomKeyStore',
  'CreateGrant',
  'CreateKey',
  'Decapsulate',
  'Decrypt',
  'DeleteAlias',
  'DeleteCustomKeyStore',
  'DeleteImportedKeyMaterial',
  'DeriveSharedSecret',
  'DescribeCustomKeyStores',
  'DescribeKey',
  'DisableKey',
  'DisableKeyRotation',
  'DisconnectCustomKeyStore',
  'EnableKey',
  'EnableKeyRotation',
  'Encapsulate',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateMac',
  'GenerateRandom',
  'GetKeyLastUsage',
  'GetKeyPolicy',
  'GetKeyRotationStatus',
  'GetParametersForImport',
  'GetPublicKey',
  'ImportKeyMaterial',
  'ListAliases',
  'ListGrants',
  'ListKeyPolicies',
  'ListKeyRotations',
  'ListKeys',
  'ListResourceTags',
  'ListRetirableGrants',
  'PutKeyPolicy',
  'ReEncryptFrom',
  'ReEncryptTo',
  'ReplicateKey',
  'RetireGrant',
  'RevokeGrant',
  'RotateKeyOnDemand',
  'ScheduleKeyDeletion',
  'Sign',
  'SynchronizeMultiRegionKey',
  'TagResource',
  'UntagResource',
  'UpdateAlias',
  'UpdateCustomKeyStore',
  'UpdateKeyDescription',
  'UpdatePrimaryRegion',
  'Verify',
  'VerifyMac',
];

export class AnalyzerError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

type PathElement = { index: number } | { key: string } | { value: string };
interface Position {
  line: number;
  column: number;
  offset: number;
}
export interface Finding {
  findingDetails: string;
  findingType: 'ERROR' | 'SECURITY_WARNING' | 'WARNING' | 'SUGGESTION';
  issueCode: string;
  learnMoreLink: string;
  locations: { path: PathElement[]; span: { start: Position; end: Position } }[];
}

// ---- a JSON reader that keeps where each value is -------------------------------------------------

interface Located {
  value: unknown;
  start: number;
  end: number;
  /** Object members: key → located value (and where the key is). */
  members?: Map<string, { key: { start: number; end: number }; value: Located }>;
  items?: Located[];
}

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

function parseLocated(text: string): Located {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at offset ${i}.`, i);
  };
  const str = (): string => {
    const start = i;
    if (text[i] !== '"') fail('Expected a string');
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail('Unterminated string');
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail('Invalid string');
    }
  };
  const value = (): Located => {
    ws();
    const start = i;
    const c = text[i];
    if (c === '{') {
      i++;
      const members = new Map<string, { key: { start: number; end: number }; value: Located }>();
      const out: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') i++;
      else {
        for (;;) {
          ws();
          const keyStart = i;
          const key = str();
          const keyEnd = i;
          ws();
          if (text[i] !== ':') fail("Expected ':'");
          i++;
          const v = value();
          members.set(key, { key: { start: keyStart, end: keyEnd }, value: v });
          out[key] = v.value;
          ws();
          if (text[i] === ',') {
            i++;
            continue;
          }
          if (text[i] === '}') {
            i++;
            break;
          }
          fail("Expected ',' or '}'");
        }
      }
      return { value: out, start, end: i, members };
    }
    if (c === '[') {
      i++;
      const items: Located[] = [];
      ws();
      if (text[i] === ']') i++;
      else {
        for (;;) {
          items.push(value());
          ws();
          if (text[i] === ',') {
            i++;
            continue;
          }
          if (text[i] === ']') {
            i++;
            break;
          }
          fail("Expected ',' or ']'");
        }
      }
      return { value: items.map((x) => x.value), start, end: i, items };
    }
    if (c === '"') return { value: str(), start, end: i };
    const m = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
    if (!m) fail('Unexpected character');
    i += m![0].length;
    return { value: JSON.parse(m![0]) as unknown, start, end: i };
  };
  const root = value();
  ws();
  if (i < text.length) fail('Unexpected text after the document');
  return root;
}

function position(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === '\n') {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart, offset };
}

// ---- the checks -----------------------------------------------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function actionMatches(pattern: string): boolean {
  const m = /^kms:(.+)$/i.exec(pattern);
  if (!m) return true; // other services' actions are not checked here
  const re = new RegExp(
    `^${m[1]
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return KMS_ACTIONS.some((a) => re.test(a));
}

/** The findings of the subset for a policy document, in document order. */
export function validatePolicyDocument(text: string): Finding[] {
  const findings: Finding[] = [];
  const add = (
    findingType: Finding['findingType'],
    issueCode: string,
    findingDetails: string,
    path: PathElement[],
    start: number,
    end: number,
  ): void => {
    findings.push({
      findingType,
      issueCode,
      findingDetails,
      learnMoreLink: `${LINK}#access-analyzer-reference-policy-checks-${issueCode.toLowerCase().replace(/_/g, '-')}`,
      locations: [{ path, span: { start: position(text, start), end: position(text, end) } }],
    });
  };
  let root: Located;
  try {
    root = parseLocated(text);
  } catch (error) {
    const offset = error instanceof JsonSyntaxError ? Math.min(error.offset, text.length) : 0;
    add(
      'ERROR',
      'JSON_SYNTAX_ERROR',
      `The policy is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      [],
      offset,
      offset,
    );
    return findings;
  }
  if (!root.members) {
    add('ERROR', 'JSON_SYNTAX_ERROR', 'The policy must be a JSON object.', [], root.start, root.end);
    return findings;
  }
  if (!root.members.has('Version'))
    add(
      'SUGGESTION',
      'MISSING_VERSION',
      'We recommend that you specify the Version element to help you with debugging permission issues.',
      [],
      root.start,
      root.start + 1,
    );
  const statementNode = root.members.get('Statement')?.value;
  const statements: { node: Located; path: PathElement[] }[] = statementNode?.items
    ? statementNode.items.map((node, index) => ({ node, path: [{ value: 'Statement' }, { index }] }))
    : statementNode
      ? [{ node: statementNode, path: [{ value: 'Statement' }] }]
      : [];
  for (const { node, path } of statements) {
    if (!node.members || !isObject(node.value)) continue;
    const s = node.value;
    const actionNode = node.members.get('Action')?.value;
    if (actionNode) {
      const actions = actionNode.items ?? [actionNode];
      actions.forEach((a, index) => {
        if (typeof a.value === 'string' && !actionMatches(a.value)) {
          add(
            'ERROR',
            'INVALID_ACTION',
            `The action ${a.value} does not exist.`,
            [...path, { value: 'Action' }, ...(actionNode.items ? [{ index }] : [])],
            a.start,
            a.end,
          );
        }
      });
    }
    const principal = node.members.get('Principal')?.value;
    const star =
      principal &&
      (principal.value === '*' ||
        (isObject(principal.value) &&
          (principal.value.AWS === '*' || (Array.isArray(principal.value.AWS) && principal.value.AWS.includes('*')))));
    const conditional = isObject(s.Condition) && Object.keys(s.Condition).length > 0;
    if (s.Effect === 'Allow' && star && !conditional && principal) {
      add(
        'SECURITY_WARNING',
        'PUBLIC_PRINCIPAL_WITHOUT_CONDITION',
        'This statement allows any principal (*) without a condition: anyone in any AWS account that can call KMS may use the key as it allows. Add a condition such as aws:PrincipalOrgID or kms:CallerAccount.',
        [...path, { value: 'Principal' }],
        principal.start,
        principal.end,
      );
    }
    const resource = node.members.get('Resource')?.value;
    if (resource) {
      const values = resource.items ?? [resource];
      if (values.some((r) => r.value !== '*')) {
        add(
          'SUGGESTION',
          'KEY_POLICY_RESOURCE',
          'In a key policy, "Resource": "*" means the key the policy is attached to; other values do not name other keys. Use "*".',
          [...path, { value: 'Resource' }],
          resource.start,
          resource.end,
        );
      }
    }
  }
  return findings;
}

// ---- the HTTP side ------------------------------------------------------------------------------

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: AnalyzerError): void {
  send(res, error.status, { message: error.message, ...error.extra }, { 'x-amzn-ErrorType': error.type });
}

/** A ValidatePolicy request (POST /policy/validation, no X-Amz-Target). */
export function isValidatePolicyRequest(req: IncomingMessage): boolean {
  return req.headers['x-amz-target'] === undefined && (req.url ?? '').split('?')[0] === VALIDATE_POLICY_PATH;
}

export async function handleValidatePolicy(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  options: { credentials: readonly EmulatorCredential[]; record: (operation: string) => void },
): Promise<void> {
  try {
    if (req.method !== 'POST')
      throw new AnalyzerError('ValidationException', 400, `ValidatePolicy is POST ${VALIDATE_POLICY_PATH}, not ${req.method ?? '?'}.`);
    try {
      await verifySignature(
        { method: req.method, url: req.url ?? '/', headers: req.headers, body },
        options.credentials,
        new Date(),
        'access-analyzer',
      );
    } catch (error) {
      if (error instanceof KmsApiError) {
        const { __type: name, message } = error.body();
        throw new AnalyzerError(
          name === 'ExpiredTokenException'
            ? 'ExpiredTokenException'
            : name === 'UnrecognizedClientException'
              ? 'UnrecognizedClientException'
              : 'InvalidSignatureException',
          403,
          message,
        );
      }
      throw error;
    }
    options.record('AccessAnalyzer.ValidatePolicy');
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      throw new AnalyzerError('ValidationException', 400, 'The request body is not valid JSON.', { reason: 'cannotParse' });
    }
    const field = (name: string, message: string): AnalyzerError =>
      new AnalyzerError('ValidationException', 400, message, { reason: 'fieldValidationFailed', fieldList: [{ name, message }] });
    if (typeof input.policyDocument !== 'string' || !input.policyDocument) throw field('policyDocument', 'policyDocument is required.');
    if (typeof input.policyType !== 'string' || !POLICY_TYPES.includes(input.policyType))
      throw field('policyType', `policyType must be one of ${POLICY_TYPES.join(', ')}.`);
    const resourceType = input.validatePolicyResourceType;
    if (resourceType !== undefined && (typeof resourceType !== 'string' || !RESOURCE_TYPES.includes(resourceType)))
      throw field('validatePolicyResourceType', `validatePolicyResourceType must be one of ${RESOURCE_TYPES.join(', ')}.`);
    if (resourceType !== undefined && input.policyType !== 'RESOURCE_POLICY')
      throw field('validatePolicyResourceType', 'validatePolicyResourceType applies to RESOURCE_POLICY only.');
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const maxResults = query.has('maxResults') ? Number(query.get('maxResults')) : 100;
    if (!Number.isInteger(maxResults) || maxResults < 1) throw field('maxResults', 'maxResults must be a positive integer.');
    const token = query.get('nextToken');
    const start = token ? Number(Buffer.from(token, 'base64').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0) throw field('nextToken', 'nextToken is not valid.');

    const all = validatePolicyDocument(input.policyDocument);
    const page = all.slice(start, start + maxResults);
    const next = start + maxResults < all.length ? Buffer.from(String(start + maxResults)).toString('base64') : undefined;
    send(res, 200, { findings: page, ...(next ? { nextToken: next } : {}) });
  } catch (error) {
    if (error instanceof AnalyzerError) sendError(res, error);
    else
      sendError(
        res,
        new AnalyzerError(
          'InternalServerException',
          500,
          `The emulator's Access Analyzer failed: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
  }
}
