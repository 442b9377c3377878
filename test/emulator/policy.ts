// Key policies: the documents KMS writes itself, and the checks PutKeyPolicy and CreateKey make.
import { apiError } from './errors';

export const maxPolicyBytes = 32768;

/** The default key policy KMS gives a key created through the API: the account root may do kms:*. */
export function defaultKeyPolicy(accountId: string): string {
  return `{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::${accountId}:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`;
}

/** The policy of an AWS-managed key (alias/aws/<service>): use through the service, read for the account. */
export function awsManagedKeyPolicy(accountId: string, region: string, service: string): string {
  return `{
  "Version" : "2012-10-17",
  "Id" : "auto-${service}-2",
  "Statement" : [ {
    "Sid" : "Allow access through ${service.toUpperCase()} for all principals in the account that are authorized to use ${service.toUpperCase()}",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "*"
    },
    "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey" ],
    "Resource" : "*",
    "Condition" : {
      "StringEquals" : {
        "kms:CallerAccount" : "${accountId}",
        "kms:ViaService" : "${service}.${region}.amazonaws.com"
      }
    }
  }, {
    "Sid" : "Allow direct access to key metadata to the account",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::${accountId}:root"
    },
    "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant" ],
    "Resource" : "*"
  } ]
}`;
}

const malformed = (message: string): Error => apiError('MalformedPolicyDocumentException', message);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The grammar checks KMS makes on a key policy: JSON, at most 32 KB, a Statement list whose
 * statements have an Effect, a principal, an action and a resource. (The lockout safety check,
 * which needs IAM, is not made.)
 */
export function validatePolicy(text: string): void {
  if (Buffer.byteLength(text, 'utf8') > maxPolicyBytes)
    throw malformed(`The key policy is ${Buffer.byteLength(text, 'utf8')} bytes; the maximum is ${maxPolicyBytes} bytes.`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed('The policy is not valid JSON.');
  }
  if (!isObject(doc)) throw malformed('The policy must be a JSON object.');
  if (doc.Version !== undefined && doc.Version !== '2012-10-17' && doc.Version !== '2008-10-17')
    throw malformed(`Policy has an invalid Version: ${JSON.stringify(doc.Version)}.`);
  const statements = Array.isArray(doc.Statement) ? (doc.Statement as unknown[]) : doc.Statement === undefined ? [] : [doc.Statement];
  if (statements.length === 0) throw malformed('Policy is missing required element - Statement.');
  for (const statement of statements) {
    if (!isObject(statement)) throw malformed('Policy contains a statement that is not a JSON object.');
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny')
      throw malformed('Policy contains a statement with an invalid or missing Effect (Allow or Deny).');
    if (statement.Principal === undefined && statement.NotPrincipal === undefined)
      throw malformed('Policy contains a statement with no principal.');
    if (statement.Action === undefined && statement.NotAction === undefined) throw malformed('Policy contains a statement with no action.');
    if (statement.Resource === undefined && statement.NotResource === undefined)
      throw malformed('Policy contains a statement with no resource.');
    const principal = statement.Principal ?? statement.NotPrincipal;
    if (principal !== '*' && !isObject(principal)) throw malformed('Policy contains a statement with one or more invalid principals.');
  }
}
