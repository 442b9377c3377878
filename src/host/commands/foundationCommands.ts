import type { KeyMetadata } from '@aws-sdk/client-kms';
import { Args } from '../../core/args/readArgs';
import type { Connection } from '../../core/aws/connection';
import type { Services } from '../services';
import { resolveKeyOf } from '../keys/keyResolver';
import type { CommandSpec } from './commandRunner';

/** `kmsWorkbench.showLog`: opens the "KMS Workbench" log. */
export const showLog: CommandSpec<void> = {
  id: 'kmsWorkbench.showLog',
  action: 'show the log',
  run: (arg, services) => {
    Args.from('kmsWorkbench.showLog', arg, []);
    services.log.show();
    return Promise.resolve();
  },
};

/**
 * `kmsWorkbench.selectConnection` `{ connection? }`: chooses the connection the editor
 * commands use. Returns `{ id, label, profile, region, endpoint }`.
 */
export const selectConnection: CommandSpec<Connection> = {
  id: 'kmsWorkbench.selectConnection',
  action: 'select the connection',
  run: async (arg, services) => {
    const args = Args.from('kmsWorkbench.selectConnection', arg, ['connection']);
    const ref = args.string('connection', 'a connection label or id');
    let connection: Connection;
    if (ref !== undefined) {
      connection = await services.connections.find(ref);
    } else {
      const entries = await services.connections.entries();
      const active = await services.connections.active().catch(() => undefined);
      connection = await services.ui.pick(
        entries.flatMap((e) =>
          e.connection
            ? [
                {
                  label: e.connection.label,
                  description: [e.connection.profile ?? 'environment', e.connection.region, e.connection.endpoint]
                    .filter(Boolean)
                    .join(' · '),
                  detail: e.connection.id === active?.id ? 'in use' : undefined,
                  value: e.connection,
                },
              ]
            : [],
        ),
        { title: 'Connection for the KMS editor commands' },
      );
    }
    await services.connections.setActive(connection);
    return connection;
  },
};

/**
 * `kmsWorkbench.describeKey` `{ keyId?, connection? }`: DescribeKey; without a keyId, a
 * key picker. Returns the KeyMetadata.
 */
export const describeKey: CommandSpec<KeyMetadata> = {
  id: 'kmsWorkbench.describeKey',
  action: 'describe the key',
  run: async (arg, services) => {
    const args = Args.from('kmsWorkbench.describeKey', arg, ['keyId', 'connection']);
    // Described now even when picked: the metadata returned is fresh.
    const key = await resolveKeyOf(undefined, args, services, { title: 'Describe key', includeAwsManaged: true, describe: 'whenNeeded' });
    return key.gateway.describeKey(key.keyId);
  },
};

export function foundationCommands(): CommandSpec[] {
  return [showLog, selectConnection, describeKey] as CommandSpec[];
}

export type { Services };
