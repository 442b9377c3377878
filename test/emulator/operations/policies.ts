// GetKeyPolicy, PutKeyPolicy, ListKeyPolicies. Every key has exactly one policy, named "default".
import { notFound } from '../errors';
import { type OperationTable } from '../operation';
import { paginate, pageFields } from '../paging';
import { validatePolicy } from '../policy';
import { requireCustomerManaged, resolveKey } from '../resolve';
import type { Input } from '../validate';

function policyName(input: Input, keyArn: string): string {
  const name = input.string('PolicyName', { min: 1, max: 128, pattern: /^[\w]+$/ }) ?? 'default';
  if (name !== 'default') throw notFound(`No policy named ${name} on ${keyArn}: the only key policy is "default".`);
  return name;
}

export const policyOperations: OperationTable = {
  GetKeyPolicy: {
    readOnly: true,
    handler(input, ctx) {
      const key = resolveKey(ctx, input.requiredString('KeyId', { max: 2048 }));
      const name = policyName(input, ctx.store.arnOf(key));
      return { Policy: key.policy, PolicyName: name };
    },
  },

  PutKeyPolicy: {
    handler(input, ctx) {
      const key = resolveKey(ctx, input.requiredString('KeyId', { max: 2048 }));
      policyName(input, ctx.store.arnOf(key));
      const policy = input.requiredString('Policy', { max: 131072 });
      input.bool('BypassPolicyLockoutSafetyCheck');
      requireCustomerManaged(ctx, key);
      validatePolicy(policy);
      key.policy = policy;
      return {};
    },
  },

  ListKeyPolicies: {
    readOnly: true,
    handler(input, ctx) {
      resolveKey(ctx, input.requiredString('KeyId', { max: 2048 }));
      const page = paginate(['default'], (n) => n, input, { max: 1000, default: 100 });
      return pageFields('PolicyNames', page, (n) => n);
    },
  },
};
