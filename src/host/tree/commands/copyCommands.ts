import { inertLabel } from '../../../core/text/inertText';
import { KmsError } from '../../../core/kms/errors';
import { collect } from '../../../core/kms/gateway';
import { keyLabel } from '../../../core/tree/keyPresentation';
import type { CommandSpec } from '../../commands/commandRunner';
import { targetOf } from '../../targets';
import type { TreeCommandDeps } from './deps';
import { chooseKey, copy } from './viewKey';

/**
 * `kmsWorkbench.copyArn` `{ keyId?, connection? }`: copies the ARN of a key (or, from an
 * alias node, of the alias). Without a node or keyId, asks for the key. Returns the ARN.
 */
export function copyArn({ tree }: TreeCommandDeps): CommandSpec<string> {
  return {
    id: 'kmsWorkbench.copyArn',
    action: 'copy the ARN',
    run: async (arg, services) => {
      const target = targetOf(arg);
      if (target?.kind === 'alias') {
        const known = tree.directoryOf(target.connection.id)?.peekAliases()?.find(target.aliasName)?.AliasArn;
        if (known) return copy(known, 'alias ARN');
        if (!target.targetKeyId)
          throw new KmsError(
            'NotFoundException',
            `Alias ${target.aliasName} points at no key yet, and its ARN is not known. Refresh the KMS view.`,
          );
        const { key } = await chooseKey('kmsWorkbench.copyArn', arg, services, tree, 'Copy key ARN');
        const keyArn = (await key.describe()).Arn ?? '';
        return copy(keyArn.replace(/:key\/.*$/, `:${target.aliasName}`), 'alias ARN');
      }
      const { key } = await chooseKey('kmsWorkbench.copyArn', arg, services, tree, 'Copy key ARN');
      const arn = (await key.describe()).Arn;
      if (!arn) throw new KmsError('MalformedResponse', 'DescribeKey answered without the key ARN: the endpoint does not behave like KMS.');
      return copy(arn, 'key ARN');
    },
  };
}

/** `kmsWorkbench.copyKeyId` `{ keyId?, connection? }`: copies a key id (`keyId` may be an alias or ARN). Returns the key id. */
export function copyKeyId({ tree }: TreeCommandDeps): CommandSpec<string> {
  return {
    id: 'kmsWorkbench.copyKeyId',
    action: 'copy the key id',
    run: async (arg, services) => {
      const target = targetOf(arg);
      if (target?.kind === 'alias' && !target.targetKeyId)
        throw new KmsError('NotFoundException', `Alias ${target.aliasName} points at no key yet.`);
      const { key } = await chooseKey('kmsWorkbench.copyKeyId', arg, services, tree, 'Copy key id');
      const keyId = /^(mrk-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^mrk-[0-9a-f]{32}$/i.test(key.keyId)
        ? key.keyId
        : ((await key.describe()).KeyId ?? key.keyId);
      return copy(keyId, 'key id');
    },
  };
}

/**
 * `kmsWorkbench.copyAlias` `{ keyId?, connection? }`: copies an alias name (`alias/…`): the
 * alias node's, or the key's (asks which when it has several). Returns the alias name.
 */
export function copyAlias({ tree }: TreeCommandDeps): CommandSpec<string> {
  return {
    id: 'kmsWorkbench.copyAlias',
    action: 'copy the alias',
    run: async (arg, services) => {
      const target = targetOf(arg);
      if (target?.kind === 'alias') return copy(target.aliasName, 'alias');
      const { key } = await chooseKey('kmsWorkbench.copyAlias', arg, services, tree, 'Copy alias of key');
      let aliases = key.aliases;
      if (!aliases.length) {
        const gateway = key.gateway;
        const keyId = (await key.describe()).KeyId ?? key.keyId;
        aliases = (await collect(gateway.listAliases(keyId))).flatMap((a) => (a.AliasName ? [a.AliasName] : []));
      }
      if (!aliases.length)
        throw new KmsError('NotFoundException', `The key ${key.keyId} has no alias. Create one first (KMS: Create Alias), then copy it.`);
      const alias =
        aliases.length === 1
          ? aliases[0]
          : await services.ui.pick(
              aliases.map((a) => ({ label: inertLabel(a), value: a })),
              { title: `Copy which alias of ${keyLabel(key.keyId, aliases)}?` },
            );
      return copy(alias, 'alias');
    },
  };
}
