// Turning a KeyId parameter into a key, accepting the forms KMS accepts for the operation:
// key id, key ARN, and (only where KMS allows it) alias name or alias ARN.
import type { OpContext } from './context';
import { apiError, notFound } from './errors';
import type { Key } from './types';

export const keyIdPattern = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
const keyArnPattern = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):key\/(.+)$/;
const aliasArnPattern = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(alias\/.+)$/;

export interface ResolveOptions {
  /** Accept alias names and alias ARNs (DescribeKey, the cryptographic operations). */
  aliases?: boolean;
}

function missingKey(ctx: OpContext, region: string, keyId: string): never {
  throw notFound(`Key '${ctx.store.keyArn(region, keyId)}' does not exist`);
}

export function resolveKey(ctx: OpContext, value: string, options: ResolveOptions = {}): Key {
  let region = ctx.region;
  let keyId: string | undefined;
  let aliasName: string | undefined;
  const keyArn = keyArnPattern.exec(value);
  const aliasArn = aliasArnPattern.exec(value);
  if (keyArn) {
    region = keyArn[1]!;
    if (keyArn[2] !== ctx.accountId || region !== ctx.region) throw notFound(`Key '${value}' does not exist`);
    keyId = keyArn[3]!;
  } else if (aliasArn) {
    region = aliasArn[1]!;
    if (aliasArn[2] !== ctx.accountId || region !== ctx.region) throw notFound(`Alias ${value} is not found.`);
    aliasName = aliasArn[3]!;
  } else if (value.startsWith('alias/')) {
    aliasName = value;
  } else {
    keyId = value;
  }
  if (aliasName !== undefined) {
    if (!options.aliases) throw notFound(`Invalid keyId '${value}'`);
    const alias = ctx.store.region(region).aliases.get(aliasName);
    if (!alias?.targetKeyId) throw notFound(`Alias ${ctx.store.aliasArn(region, aliasName)} is not found.`);
    return ctx.store.getKey(region, alias.targetKeyId) ?? missingKey(ctx, region, alias.targetKeyId);
  }
  if (!keyId || !keyIdPattern.test(keyId)) throw notFound(`Invalid keyId '${value}'`);
  return ctx.store.getKey(region, keyId) ?? missingKey(ctx, region, keyId);
}

/** AWS-managed keys answer only the read operations their policy grants the account. */
export function requireCustomerManaged(ctx: OpContext, key: Key, action = ctx.operation): void {
  if (key.manager !== 'AWS') return;
  const arn = ctx.store.arnOf(key);
  throw apiError(
    'AccessDeniedException',
    `User: ${ctx.callerArn} is not authorized to perform: kms:${action} on resource: ${arn} because no resource-based policy allows the kms:${action} action`,
  );
}
