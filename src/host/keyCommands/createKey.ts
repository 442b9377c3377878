// The Create Key command: CreateKey, then CreateAlias and the policy, and the new key revealed in the
// tree. The request and its argument checks are in createKeyRequest.ts, the wizard in createKeyWizard.ts.
import type { KeyMetadata } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import { ArgumentError } from '../../core/args/argumentError';
import { Args } from '../../core/args/readArgs';
import type { Connection } from '../../core/aws/connection';
import { KmsError } from '../../core/kms/errors';
import { collect, type KmsGateway } from '../../core/kms/gateway';
import { accountOfArn } from '../../core/keyOps/principals';
import { consoleKeyPolicy, policySizeProblem } from '../../core/policy/consolePolicy';
import type { CommandSpec } from '../commands/commandRunner';
import type { Services } from '../services';
import { isScripted } from './commandArgs';
import { notify } from './output';
import { keyChanged, resolveConnection } from './resolveKey';
import { ID, type CreateKeyRequest, ORIGIN_WORDS, requestFromArgs } from './createKeyRequest';
import { askRequest } from './createKeyWizard';

export { ORIGINS, type CreateKeyRequest, type KeyOrigin } from './createKeyRequest';

const FIELDS = [
  'connection',
  'keySpec',
  'keyUsage',
  'multiRegion',
  'origin',
  'customKeyStoreId',
  'xksKeyId',
  'alias',
  'description',
  'tags',
  'policy',
  'administrators',
  'users',
  'allowAdministratorsToDelete',
];

/** The command that imports material into a key with origin EXTERNAL. */
const IMPORT_COMMAND = 'kmsWorkbench.importKeyMaterial';

/** The command the tree offers to show a key (by `{ connection, keyId }`), when it has one. */
export const REVEAL_KEY_COMMAND = 'kmsWorkbench.revealKey';

/**
 * `kmsWorkbench.createKey` `{ connection?, keySpec? (default SYMMETRIC_DEFAULT), keyUsage?
 * (needed for RSA: ENCRYPT_DECRYPT or SIGN_VERIFY; KEY_AGREEMENT for ECDH keys; ML_DSA_* keys
 * sign, ML_KEM_* keys are ENCAPSULATE_DECAPSULATE),
 * multiRegion? (default false), origin? (AWS_KMS default | EXTERNAL: you import the key
 * material | AWS_CLOUDHSM with customKeyStoreId | EXTERNAL_KEY_STORE with customKeyStoreId
 * and xksKeyId; key store keys are symmetric and single-Region), customKeyStoreId?, xksKeyId?, alias?,
 * description?, tags? ({ key: value }), policy? (default | console; console when
 * administrators or users are given), administrators? (principals), users? (principals),
 * allowAdministratorsToDelete? (default true) }`: CreateKey, then CreateAlias. Without an
 * argument object, a multi-step wizard. The new key is revealed in the tree. Returns the new
 * key's KeyMetadata.
 */
export const createKey: CommandSpec<KeyMetadata> = {
  id: ID,
  action: 'create the key',
  run: async (arg, services) => {
    const args = Args.from(ID, arg, FIELDS);
    const connection = await resolveConnection(arg, args, services);
    const gateway = services.kms.gateway(connection);
    const request = isScripted(arg) ? requestFromArgs(args, connection) : await askRequest(services.ui, gateway, connection);
    return performCreate(services, connection, gateway, request, !isScripted(arg));
  },
};
type Account = NonNullable<ReturnType<typeof accountOfArn>>;

function buildPolicy(r: CreateKeyRequest, account: Account): string {
  const policy = consoleKeyPolicy({
    ...account,
    kind: { keyUsage: r.usage, keySpec: r.spec, multiRegion: r.multiRegion },
    administrators: r.administrators.map((p) => p.value),
    allowAdministratorsToDelete: r.allowAdministratorsToDelete,
    users: r.users.map((p) => p.value),
  });
  const json = JSON.stringify(policy, null, 2);
  const tooBig = policySizeProblem(json);
  if (tooBig) throw new ArgumentError(tooBig);
  return json;
}

async function performCreate(
  services: Services,
  connection: Connection,
  gateway: KmsGateway,
  r: CreateKeyRequest,
  interactive: boolean,
): Promise<KeyMetadata> {
  if (r.alias) {
    const taken = (await collect(gateway.listAliases())).find((a) => a.AliasName === r.alias);
    if (taken)
      throw new KmsError(
        'AlreadyExistsException',
        `${r.alias} already exists (it points at ${taken.TargetKeyId ?? 'another key'}). Choose another alias; no key was created.`,
      );
  }
  // The console-style policy names the account: take it from any key's ARN; with no key in
  // the Region yet, the new key's own ARN tells it, and the policy is put right after.
  let account: Account | undefined;
  if (r.policy === 'console') account = accountOfArn((await gateway.listKeysPage(undefined, 1)).items[0]?.KeyArn);
  const metadata = await gateway.createKey({
    KeySpec: r.spec as KeyMetadata['KeySpec'],
    KeyUsage: r.usage,
    MultiRegion: r.multiRegion,
    Origin: r.origin === 'AWS_KMS' ? undefined : r.origin,
    CustomKeyStoreId: r.customKeyStoreId,
    XksKeyId: r.xksKeyId,
    Description: r.description,
    Tags: r.tags.length ? [...r.tags] : undefined,
    Policy: account ? buildPolicy(r, account) : undefined,
  });
  const keyId = metadata.KeyId ?? '';
  keyChanged(services, connection);
  const problems: string[] = [];
  if (r.policy === 'console' && !account) {
    const own = accountOfArn(metadata.Arn);
    try {
      if (!own) throw new Error(`its ARN (${metadata.Arn ?? 'none'}) names no account`);
      await gateway.putKeyPolicy(keyId, buildPolicy(r, own));
    } catch (error) {
      problems.push(
        `its console-style key policy was refused, so it has KMS's default policy (${error instanceof Error ? error.message : String(error)})`,
      );
    }
  }
  if (r.alias) {
    try {
      await gateway.createAlias(r.alias, keyId);
    } catch (error) {
      problems.push(`the alias ${r.alias} was not created (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  keyChanged(services, connection, keyId);
  await revealKey(services, connection, keyId, interactive);
  if (problems.length) {
    throw new KmsError('PartlyDone', `Created key ${keyId}, but ${problems.join('; and ')}. Fix this from the key's context menu.`);
  }
  const name = r.alias ? `${r.alias} (${keyId})` : keyId;
  if (r.origin === 'EXTERNAL') {
    notify(`Created key ${name}: ${r.spec}, ${r.usage}, waiting for its key material (PendingImport). Import the material to use it.`, {
      title: 'Import Key Material…',
      run: () => vscode.commands.executeCommand(IMPORT_COMMAND, { connection: connection.id, keyId }),
    });
  } else {
    notify(
      `Created key ${name}: ${r.spec}, ${r.usage}${r.multiRegion ? ', multi-Region' : ''}${r.origin === 'AWS_KMS' ? '' : `, ${ORIGIN_WORDS[r.origin]}`}.`,
    );
  }
  return metadata;
}

/**
 * Shows the new key in the tree: the change announced above refreshes the connection's
 * keys; a key created interactively also brings the KMS view forward, and the tree's
 * reveal command (when it offers one) selects the key. Never fails the creation.
 */
async function revealKey(services: Services, connection: Connection, keyId: string, interactive: boolean): Promise<void> {
  try {
    if (interactive) await vscode.commands.executeCommand('kmsWorkbench.keys.focus');
    if (!(await vscode.commands.getCommands(true)).includes(REVEAL_KEY_COMMAND)) return;
    await vscode.commands.executeCommand(REVEAL_KEY_COMMAND, { connection: connection.id, keyId });
  } catch (error) {
    services.log.warn(`Could not reveal the new key ${keyId} in the tree: ${error instanceof Error ? error.message : String(error)}`);
  }
}
