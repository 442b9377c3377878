// CreateAlias, UpdateAlias, DeleteAlias, ListAliases.
import type { OpContext } from '../context';
import { apiError, limitExceeded, notFound, validation } from '../errors';
import { requireState } from '../keyState';
import { kindOf } from '../keySpecs';
import { type OperationTable, seconds } from '../operation';
import { paginate, pageFields } from '../paging';
import { requireCustomerManaged, resolveKey } from '../resolve';
import type { Alias, Key } from '../types';
import type { Input } from '../validate';

export const maxAliasesPerKey = 50;
const aliasPattern = /^[a-zA-Z0-9:/_-]+$/;

/** An alias name checked as CreateAlias checks it. */
export function checkAliasName(name: string): void {
  if (!name.startsWith('alias/'))
    throw validation(
      'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
    );
  if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(name))
    throw apiError(
      'InvalidAliasNameException',
      `Alias name ${name} is not valid: after "alias/" use only letters, digits, "/", "_" and "-".`,
    );
  if (name.startsWith('alias/aws/'))
    throw apiError('InvalidAliasNameException', `Alias names that begin with "alias/aws/" are reserved for AWS managed keys: ${name}.`);
}

function readAliasName(input: Input): string {
  return input.requiredString('AliasName', { max: 256, pattern: aliasPattern });
}

function targetKey(ctx: OpContext, input: Input): Key {
  const key = resolveKey(ctx, input.requiredString('TargetKeyId', { max: 2048 }));
  requireCustomerManaged(ctx, key);
  requireState(ctx, key, 'modify');
  return key;
}

function existingAlias(ctx: OpContext, name: string): Alias {
  const alias = ctx.store.region(ctx.region).aliases.get(name);
  if (!alias) throw notFound(`Alias ${ctx.store.aliasArn(ctx.region, name)} is not found.`);
  if (name.startsWith('alias/aws/'))
    throw apiError('InvalidAliasNameException', `${name} is an AWS managed alias: it cannot be changed or deleted.`);
  return alias;
}

function aliasCount(ctx: OpContext, keyId: string): number {
  return [...ctx.store.region(ctx.region).aliases.values()].filter((a) => a.targetKeyId === keyId).length;
}

export const aliasOperations: OperationTable = {
  CreateAlias: {
    handler(input, ctx) {
      const name = readAliasName(input);
      checkAliasName(name);
      const key = targetKey(ctx, input);
      const aliases = ctx.store.region(ctx.region).aliases;
      if (aliases.has(name))
        throw apiError('AlreadyExistsException', `An alias with the name ${ctx.store.aliasArn(ctx.region, name)} already exists`);
      if (aliasCount(ctx, key.id) >= maxAliasesPerKey)
        throw limitExceeded(`${ctx.store.arnOf(key)} already has ${maxAliasesPerKey} aliases, the most a KMS key can have.`);
      aliases.set(name, { name, targetKeyId: key.id, creationDate: ctx.now, lastUpdatedDate: ctx.now });
      return {};
    },
  },

  UpdateAlias: {
    handler(input, ctx) {
      const name = readAliasName(input);
      const alias = existingAlias(ctx, name);
      const key = targetKey(ctx, input);
      const current = alias.targetKeyId ? ctx.store.getKey(ctx.region, alias.targetKeyId) : undefined;
      if (current && (kindOf(current.spec) === 'symmetric') !== (kindOf(key.spec) === 'symmetric')) {
        throw validation(
          `${name} points to a ${current.spec} key; the new target must be of the same type (symmetric or asymmetric), not ${key.spec}.`,
        );
      }
      if (current && current.usage !== key.usage)
        throw validation(`${name} points to a key with KeyUsage ${current.usage}; the new target has ${key.usage}.`);
      if (alias.targetKeyId !== key.id && aliasCount(ctx, key.id) >= maxAliasesPerKey)
        throw limitExceeded(`${ctx.store.arnOf(key)} already has ${maxAliasesPerKey} aliases.`);
      alias.targetKeyId = key.id;
      alias.lastUpdatedDate = ctx.now;
      return {};
    },
  },

  DeleteAlias: {
    handler(input, ctx) {
      const name = readAliasName(input);
      existingAlias(ctx, name);
      ctx.store.region(ctx.region).aliases.delete(name);
      return {};
    },
  },

  ListAliases: {
    readOnly: true,
    handler(input, ctx) {
      const keyId = input.string('KeyId', { min: 1, max: 2048 });
      const key = keyId !== undefined ? resolveKey(ctx, keyId) : undefined;
      const aliases = [...ctx.store.region(ctx.region).aliases.values()].filter((a) => !key || a.targetKeyId === key.id);
      const page = paginate(aliases, (a) => a.name, input, { max: 100, default: 50 });
      return pageFields('Aliases', page, (a) => ({
        AliasName: a.name,
        AliasArn: ctx.store.aliasArn(ctx.region, a.name),
        ...(a.targetKeyId ? { TargetKeyId: a.targetKeyId } : {}),
        CreationDate: seconds(a.creationDate),
        LastUpdatedDate: seconds(a.lastUpdatedDate),
      }));
    },
  },
};
