import * as vscode from 'vscode';
import type { Connection } from '../../../core/aws/connection';
import { KmsError } from '../../../core/kms/errors';
import { isAwsAlias } from '../../../core/tree/aliasIndex';
import { consoleUrl } from '../../../core/tree/keyPresentation';
import type { CommandSpec } from '../../commands/commandRunner';
import { targetOf } from '../../targets';
import type { TreeCommandDeps } from './deps';
import { chooseKey } from './viewKey';

/**
 * `kmsWorkbench.openInConsole` `{ keyId?, connection? }`: opens the key (or, from a
 * connection node, the region's key list) in the AWS console of the region's partition.
 * Refused for connections with a custom endpoint (LocalStack…): the console shows only
 * AWS KMS. Returns the URL.
 */
export function openInConsole({ tree }: TreeCommandDeps): CommandSpec<string> {
  return {
    id: 'kmsWorkbench.openInConsole',
    action: 'open the AWS console',
    run: async (arg, services) => {
      const target = targetOf(arg);
      const refuseEndpoint = (connection: Connection): void => {
        if (connection.endpoint) {
          throw new KmsError(
            'ConsoleUnavailable',
            `The connection "${connection.label}" uses the endpoint ${connection.endpoint}; the AWS console only shows keys in AWS KMS itself.`,
          );
        }
      };
      let url: string;
      if (target?.kind === 'connection') {
        refuseEndpoint(target.connection);
        url = consoleUrl(target.connection.region);
      } else {
        if (target?.kind === 'alias' && !target.targetKeyId)
          throw new KmsError('NotFoundException', `Alias ${target.aliasName} points at no key yet.`);
        const { key } = await chooseKey('kmsWorkbench.openInConsole', arg, services, tree, 'Open key in the AWS console');
        refuseEndpoint(key.connection);
        const metadata = await key.describe();
        const aliases = key.aliases.length
          ? key.aliases
          : (tree
              .directoryOf(key.connection.id)
              ?.peekAliases()
              ?.aliasesOf(metadata.KeyId ?? key.keyId) ?? []);
        const awsManaged = metadata.KeyManager === 'AWS' || aliases.some(isAwsAlias);
        url = consoleUrl(key.connection.region, { keyId: metadata.KeyId ?? key.keyId, awsManaged });
      }
      await vscode.env.openExternal(vscode.Uri.parse(url, true));
      return url;
    },
  };
}
