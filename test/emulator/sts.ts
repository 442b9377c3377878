// sts:GetCallerIdentity on the emulator's port, as LocalStack serves every service on one:
// the awsQuery protocol (POST / with a form body `Action=GetCallerIdentity&Version=2011-06-15`,
// an XML answer), SigV4 verified with the service `sts`. The answer names the emulator's
// account and the caller as an IAM user named after its access key. Any other STS action
// answers InvalidAction, as STS does. Servers without STS (local-kms) are imitated by the
// emulator option `sts: false`, which leaves such requests to the KMS handler (refused there).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import { KmsApiError } from './errors';
import { type EmulatorCredential, verifySignature } from './sigv4';

const STS_VERSION = '2011-06-15';
const XMLNS = `https://sts.amazonaws.com/doc/${STS_VERSION}/`;

/** An awsQuery request (a form body and no X-Amz-Target), which is how STS is called. */
export function isQueryRequest(req: IncomingMessage): boolean {
  const type = req.headers['content-type'] ?? '';
  return req.method === 'POST' && req.headers['x-amz-target'] === undefined && /^application\/x-www-form-urlencoded\b/i.test(type);
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function sendXml(res: ServerResponse, status: number, xml: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(xml), 'x-amzn-RequestId': randomUUID() });
  res.end(xml);
}

function sendStsError(res: ServerResponse, status: number, code: string, message: string): void {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  sendXml(
    res,
    status,
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

/** A stable IAM-style unique id for an access key (AIDA + 17 characters), as STS answers in UserId. */
function userIdOf(accessKeyId: string): string {
  return `AIDA${createHash('sha256').update(accessKeyId).digest('hex').toUpperCase().slice(0, 17)}`;
}

export async function handleSts(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  options: { accountId: string; credentials: readonly EmulatorCredential[]; record: (operation: string) => void },
): Promise<void> {
  let caller;
  try {
    caller = await verifySignature(
      { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body },
      options.credentials,
      new Date(),
      'sts',
    );
  } catch (error) {
    if (error instanceof KmsApiError) {
      // STS's names for the same refusals (403, Sender).
      const { __type: kmsName, message } = error.body();
      const code =
        {
          InvalidSignatureException: 'SignatureDoesNotMatch',
          UnrecognizedClientException: 'InvalidClientTokenId',
          ExpiredTokenException: 'ExpiredToken',
          MissingAuthenticationTokenException: 'MissingAuthenticationToken',
          IncompleteSignatureException: 'IncompleteSignature',
        }[kmsName] ?? kmsName;
      sendStsError(res, 403, code, message);
      return;
    }
    throw error;
  }
  const form = new URLSearchParams(body.toString('utf8'));
  const action = form.get('Action') ?? '';
  options.record(`sts:${action || '(none)'}`);
  if (action !== 'GetCallerIdentity') {
    sendStsError(
      res,
      400,
      'InvalidAction',
      `Could not find operation ${action || '(no Action)'} for version ${form.get('Version') ?? '(none)'}`,
    );
    return;
  }
  if (form.get('Version') !== STS_VERSION) {
    sendStsError(res, 400, 'InvalidAction', `Could not find operation GetCallerIdentity for version ${form.get('Version') ?? '(none)'}`);
    return;
  }
  const arn = `arn:aws:iam::${options.accountId}:user/${caller.accessKeyId}`;
  sendXml(
    res,
    200,
    `<GetCallerIdentityResponse xmlns="${XMLNS}"><GetCallerIdentityResult><Arn>${xmlEscape(arn)}</Arn><UserId>${userIdOf(caller.accessKeyId)}</UserId><Account>${options.accountId}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
  );
}
