import * as vscode from 'vscode';
import { Args } from '../../../core/args/readArgs';
import { type ResolvedKey, resolveKeyOf } from '../../keys/keyResolver';
import type { Services } from '../../services';
import { keyTargetOf } from '../../targets';
import type { KmsTreeProvider } from '../kmsTreeProvider';

export const keyFields = ['keyId', 'connection'];

/**
 * The key a view command acts on (a node, `{ keyId, connection }`, or a picker that also
 * lists AWS managed keys), described only when the command needs its metadata: what the
 * view knows first, else DescribeKey.
 */
export async function chooseKey(
  commandId: string,
  arg: unknown,
  services: Services,
  tree: KmsTreeProvider,
  title: string,
  extraFields: readonly string[] = [],
): Promise<{ key: ResolvedKey; args: Args }> {
  const args = Args.from(commandId, keyTargetOf(arg) ? undefined : arg, [...keyFields, ...extraFields]);
  const key = await resolveKeyOf(arg, args, services, {
    title,
    includeAwsManaged: true,
    describe: 'whenNeeded',
    known: (connection, ref) => tree.directoryOf(connection.id)?.peekMetadata(ref),
  });
  return { key, args };
}

export async function copy(text: string, what: string): Promise<string> {
  await vscode.env.clipboard.writeText(text);
  vscode.window.setStatusBarMessage(`$(copy) Copied ${what}: ${text}`, 4000);
  return text;
}
