import { shortAliasName } from '../../../core/tree/aliasIndex';
import type { CommandSpec } from '../../commands/commandRunner';
import type { TreeCommandDeps } from './deps';
import { chooseKey } from './viewKey';

/**
 * `kmsWorkbench.showKeyPolicy` `{ keyId?, connection?, policyName? }`: opens the key policy
 * as read-only, formatted JSON. Returns the policy text (formatted).
 */
export function showKeyPolicy({ tree, policies }: TreeCommandDeps): CommandSpec<string> {
  return {
    id: 'kmsWorkbench.showKeyPolicy',
    action: 'show the key policy',
    run: async (arg, services) => {
      const { key, args } = await chooseKey('kmsWorkbench.showKeyPolicy', arg, services, tree, 'Show key policy', ['policyName']);
      const policyName = args.string('policyName', 'a policy name (KMS keys have one: "default")') ?? 'default';
      const policy = await key.gateway.getKeyPolicy(key.keyId, policyName);
      const aliases = key.aliases.length ? key.aliases : (tree.directoryOf(key.connection.id)?.peekAliases()?.aliasesOf(key.keyId) ?? []);
      await policies.show({
        connectionLabel: key.connection.label,
        connectionId: key.connection.id,
        keyLabel: aliases.length ? shortAliasName(aliases[0]) : key.keyId,
        keyId: key.keyId,
        policyName,
        policy,
      });
      return policy;
    },
  };
}
