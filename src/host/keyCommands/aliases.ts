import type { AliasListEntry } from '@aws-sdk/client-kms';
import { ArgumentError } from '../../core/args/argumentError';
import { Args } from '../../core/args/readArgs';
import type { Connection } from '../../core/aws/connection';
import { inertLabel } from '../../core/text/inertText';
import { KmsError } from '../../core/kms/errors';
import { collect } from '../../core/kms/gateway';
import { explainRefusal } from '../../core/kms/keyCapabilities';
import { aliasMoveRefusal } from '../../core/keyOps/keyTypes';
import { checkAliasName, isAwsManagedAlias } from '../../core/keyOps/validation';
import type { CommandSpec } from '../commands/commandRunner';
import type { Services } from '../services';
import { keyTargetOf, targetOf } from '../targets';
import { resolveDescribedKey } from '../keys/keyResolver';
import { argValue, confirmedByArgs, inputChecked } from './commandArgs';
import { notify } from './output';
import { KEY_FIELDS, keyChanged, resolveConnection, resolveKey } from './resolveKey';

const CREATE = 'kmsWorkbench.createAlias';
const UPDATE = 'kmsWorkbench.updateAlias';
const DELETE = 'kmsWorkbench.deleteAlias';

export interface AliasResult {
  readonly aliasName: string;
  readonly targetKeyId: string;
  /** For updateAlias: the key the alias pointed at before. */
  readonly previousKeyId?: string;
}

/**
 * `kmsWorkbench.createAlias` `{ keyId?, connection?, aliasName }`: CreateAlias for a
 * customer managed key (`alias/` is added when missing; `alias/aws/` is reserved).
 * Returns `{ aliasName, targetKeyId }`.
 */
export const createAlias: CommandSpec<AliasResult> = {
  id: CREATE,
  action: 'create the alias',
  run: async (arg, services) => {
    const args = Args.from(CREATE, arg, [...KEY_FIELDS, 'aliasName']);
    const givenName = args.string('aliasName', 'an alias name like alias/my-app');
    const checkedName = givenName !== undefined ? argValue(CREATE, 'aliasName', checkAliasName(givenName)) : undefined;
    const key = await resolveKey(arg, args, services, { title: 'Create alias for key', action: 'createAlias' });
    const existing = await collect(key.gateway.listAliases());
    const taken = (name: string): AliasListEntry | undefined => existing.find((a) => a.AliasName === name);
    const aliasName =
      checkedName ??
      (await inputChecked(
        services.ui,
        { title: `New alias for ${key.label}`, placeholder: 'alias/my-app', prompt: 'Letters, digits, "/", "_" and "-" after alias/.' },
        (text) => {
          const c = checkAliasName(text);
          if (!c.ok) return c;
          const other = taken(c.value);
          return other
            ? {
                ok: false,
                problem:
                  `${c.value} already exists (it points at ${other.TargetKeyId ?? 'another key'}). ` +
                  'Choose another name, or move it with "Point Alias at Another Key".',
              }
            : c;
        },
      ));
    const other = taken(aliasName);
    if (other)
      throw new KmsError(
        'AlreadyExistsException',
        `${aliasName} already exists (it points at ${other.TargetKeyId ?? 'another key'}). Choose another name, or move it with kmsWorkbench.updateAlias.`,
      );
    await key.gateway.createAlias(aliasName, key.keyId);
    keyChanged(services, key.connection, key.keyId);
    keyChanged(services, key.connection);
    notify(`Created ${aliasName} for ${key.label === key.keyId ? key.keyId : `${key.label} (${key.keyId})`}.`);
    return { aliasName, targetKeyId: key.keyId };
  },
};

interface ResolvedAlias {
  readonly connection: Connection;
  readonly aliasName: string;
  readonly targetKeyId?: string;
}

/**
 * The alias a command acts on: an alias node, the `aliasName` argument, one of a key
 * node's aliases, or one of the connection's customer aliases.
 */
async function resolveAlias(command: string, arg: unknown, args: Args, services: Services, title: string): Promise<ResolvedAlias> {
  const target = targetOf(arg);
  if (target?.kind === 'alias')
    return refuseAwsManaged(command, { connection: target.connection, aliasName: target.aliasName, targetKeyId: target.targetKeyId });
  const connection = await resolveConnection(arg, args, services);
  const gateway = services.kms.gateway(connection);
  const givenName = args.string('aliasName', 'an alias name like alias/my-app');
  if (givenName !== undefined) {
    const name = givenName.startsWith('alias/') ? givenName : `alias/${givenName}`;
    refuseAwsManaged(command, { connection, aliasName: name });
    const found = (await collect(gateway.listAliases())).find((a) => a.AliasName === name);
    if (!found)
      throw new KmsError(
        'NotFoundException',
        `There is no alias ${name} in ${connection.label}. Check its spelling, the connection and the Region.`,
      );
    return { connection, aliasName: name, targetKeyId: found.TargetKeyId };
  }
  const keyTarget = keyTargetOf(arg);
  const aliases = (await collect(gateway.listAliases(keyTarget?.keyId))).filter(
    (a) => a.AliasName && a.TargetKeyId && !isAwsManagedAlias(a.AliasName),
  );
  if (aliases.length === 0)
    throw new KmsError(
      'NotFoundException',
      keyTarget ? `Key ${keyTarget.keyId} has no alias.` : `${connection.label} has no customer managed aliases.`,
    );
  const picked = await services.ui.pick(
    aliases.map((a) => ({ label: inertLabel(a.AliasName ?? ''), description: inertLabel(a.TargetKeyId ?? ''), value: a })),
    { title: `${title} (${connection.label})`, placeholder: 'Choose an alias' },
  );
  return { connection, aliasName: picked.AliasName ?? '', targetKeyId: picked.TargetKeyId };
}

function refuseAwsManaged(command: string, alias: ResolvedAlias): ResolvedAlias {
  if (isAwsManagedAlias(alias.aliasName)) {
    throw new ArgumentError(
      `${command}: ${alias.aliasName} belongs to an AWS managed key; AWS manages it, so it cannot be changed or deleted.`,
    );
  }
  return alias;
}

/**
 * `kmsWorkbench.updateAlias` `{ aliasName?, targetKeyId?, connection? }`: UpdateAlias,
 * pointing an alias at another key of the same type and key usage. Returns
 * `{ aliasName, targetKeyId, previousKeyId }`.
 */
export const updateAlias: CommandSpec<AliasResult> = {
  id: UPDATE,
  action: 'point the alias at another key',
  run: async (arg, services) => {
    const args = Args.from(UPDATE, arg, ['aliasName', 'targetKeyId', 'connection']);
    const alias = await resolveAlias(UPDATE, arg, args, services, 'Point alias at another key');
    const gateway = services.kms.gateway(alias.connection);
    if (!alias.targetKeyId) throw new KmsError('NotFoundException', `${alias.aliasName} points at no key.`);
    const current = await gateway.describeKey(alias.targetKeyId);
    const problemWith = (m: Parameters<typeof explainRefusal>[0] & Parameters<typeof aliasMoveRefusal>[2]): string | undefined =>
      aliasMoveRefusal(alias.aliasName, current, m) ?? explainRefusal(m, 'createAlias');
    const { metadata: next } = await resolveDescribedKey(undefined, args, services, {
      keyField: 'targetKeyId',
      connection: alias.connection,
      title: `Point ${alias.aliasName} at`,
      filter: (m) => problemWith(m) === undefined,
      emptyMessage:
        `No other ${current.KeySpec === 'SYMMETRIC_DEFAULT' ? 'symmetric' : current.KeySpec} ${current.KeyUsage} ` +
        `key can take ${alias.aliasName}: an alias moves only between keys of the same type and usage.`,
    });
    const refusal = problemWith(next);
    if (refusal) throw new KmsError('ActionNotAllowed', refusal);
    const nextId = next.KeyId ?? '';
    await gateway.updateAlias(alias.aliasName, nextId);
    keyChanged(services, alias.connection, current.KeyId);
    keyChanged(services, alias.connection, nextId);
    keyChanged(services, alias.connection);
    notify(`${alias.aliasName} now points at ${nextId} (it pointed at ${current.KeyId ?? '?'}).`);
    return { aliasName: alias.aliasName, targetKeyId: nextId, previousKeyId: current.KeyId };
  },
};

/**
 * `kmsWorkbench.deleteAlias` `{ aliasName?, connection?, confirm }`: DeleteAlias (the key
 * stays). Destructive: with an argument object it needs `confirm: true`. Returns
 * `{ aliasName, targetKeyId }`.
 */
export const deleteAlias: CommandSpec<AliasResult> = {
  id: DELETE,
  action: 'delete the alias',
  run: async (arg, services) => {
    const args = Args.from(DELETE, arg, ['aliasName', 'connection', 'confirm']);
    const confirmed = confirmedByArgs(DELETE, arg, args, 'deletes an alias that code may refer to');
    const alias = await resolveAlias(DELETE, arg, args, services, 'Delete alias');
    if (!confirmed) {
      await services.ui.confirm(`Delete ${alias.aliasName}?`, {
        detail:
          `The key ${alias.targetKeyId ?? ''} stays, but anything that names it by ${alias.aliasName} (code, ` +
          'configuration, policies with kms:RequestAlias) stops finding it.',
        confirmLabel: 'Delete Alias',
      });
    }
    await services.kms.gateway(alias.connection).deleteAlias(alias.aliasName);
    keyChanged(services, alias.connection, alias.targetKeyId);
    keyChanged(services, alias.connection);
    notify(`Deleted ${alias.aliasName}.`);
    return { aliasName: alias.aliasName, targetKeyId: alias.targetKeyId ?? '' };
  },
};
