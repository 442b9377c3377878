// The custom key store commands: connect, disconnect and delete here; create in customKeyStoreCreate.ts,
// update in customKeyStoreUpdate.ts, what they share in customKeyStoreSupport.ts.
import type { CustomKeyStoresListEntry } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import { Args } from '../../core/args/readArgs';
import { KmsError } from '../../core/kms/errors';
import type { KmsGateway } from '../../core/kms/gateway';
import { connectionErrorText } from '../../core/tree/keyPresentation';
import type { CommandSpec } from '../commands/commandRunner';
import { confirmedByArgs, isScripted } from './commandArgs';
import { notify } from './output';
import { keyChanged } from './resolveKey';
import { CONNECT, DELETE, DISCONNECT, type CustomKeyStoreResult, isCloudHsm, resolveStore, resultOf } from './customKeyStoreSupport';

export { createCustomKeyStore } from './customKeyStoreCreate';
export { updateCustomKeyStore } from './customKeyStoreUpdate';
export type { CustomKeyStoreResult } from './customKeyStoreSupport';

/** Wait for the end of a connection attempt, polling DescribeCustomKeyStores (cancellable). */
async function waitForConnection(gateway: KmsGateway, id: string, label: string): Promise<CustomKeyStoresListEntry> {
  return Promise.resolve(
    vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `KMS: connecting ${label} (this can take up to 20 minutes)…`,
        cancellable: true,
      },
      async (_progress, token) => {
        const deadline = Date.now() + 30 * 60 * 1000;
        for (;;) {
          const store = await gateway.describeCustomKeyStore(id);
          if (store.ConnectionState !== 'CONNECTING' || Date.now() > deadline) return store;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 1000);
            token.onCancellationRequested(() => {
              clearTimeout(timer);
              resolve();
            });
          });
          if (token.isCancellationRequested) return gateway.describeCustomKeyStore(id);
        }
      },
    ),
  );
}

/**
 * `kmsWorkbench.connectCustomKeyStore` `{ customKeyStoreId?, connection?, wait? (default true
 * interactively, false with an argument object) }`: ConnectCustomKeyStore. A connection
 * takes KMS minutes; with `wait` the command polls DescribeCustomKeyStores (cancellable)
 * until the store is CONNECTED or FAILED, and explains the ConnectionErrorCode. Returns
 * `{ customKeyStoreId, connectionState, connectionErrorCode, connectionError }`.
 */
export const connectCustomKeyStore: CommandSpec<CustomKeyStoreResult> = {
  id: CONNECT,
  action: 'connect the custom key store',
  run: async (arg, services) => {
    const args = Args.from(CONNECT, arg, ['customKeyStoreId', 'connection', 'wait']);
    const wait = args.boolean('wait') ?? !isScripted(arg);
    const target = await resolveStore(arg, args, services, {
      title: 'Connect custom key store',
      allowed: (s) => s.ConnectionState === 'DISCONNECTED',
      none: 'No custom key store is disconnected',
    });
    if (target.store.ConnectionState === 'FAILED') {
      throw new KmsError(
        'CustomKeyStoreInvalidStateException',
        `${target.label} failed to connect (${connectionErrorText(target.store.ConnectionErrorCode) ?? 'no error code'}). ` +
          'Disconnect it, fix the cause, then connect it again.',
      );
    }
    await target.gateway.connectCustomKeyStore(target.id);
    keyChanged(services, target.connection);
    const store = wait
      ? await waitForConnection(target.gateway, target.id, target.label)
      : await target.gateway.describeCustomKeyStore(target.id);
    keyChanged(services, target.connection);
    if (store.ConnectionState === 'FAILED') {
      throw new KmsError(
        'ConnectionFailed',
        `${target.label} could not connect: ${connectionErrorText(store.ConnectionErrorCode) ?? 'KMS gave no error code'}`,
      );
    }
    notify(
      store.ConnectionState === 'CONNECTED'
        ? `${target.label} is connected: its keys can be used and new keys created in it.`
        : `${target.label} is connecting; KMS can take up to 20 minutes.`,
    );
    return resultOf(store);
  },
};

/**
 * `kmsWorkbench.disconnectCustomKeyStore` `{ customKeyStoreId?, connection?, confirm }`:
 * DisconnectCustomKeyStore. Its keys become Unavailable (every cryptographic operation with
 * them fails) until it is connected again; with an argument object it needs `confirm: true`.
 * Returns `{ customKeyStoreId, connectionState }`.
 */
export const disconnectCustomKeyStore: CommandSpec<CustomKeyStoreResult> = {
  id: DISCONNECT,
  action: 'disconnect the custom key store',
  run: async (arg, services) => {
    const args = Args.from(DISCONNECT, arg, ['customKeyStoreId', 'connection', 'confirm']);
    const confirmed = confirmedByArgs(DISCONNECT, arg, args, 'makes every key in the store unavailable until it is connected again');
    const target = await resolveStore(arg, args, services, {
      title: 'Disconnect custom key store',
      allowed: (s) => s.ConnectionState !== 'DISCONNECTED' && s.ConnectionState !== 'DISCONNECTING',
      none: 'No custom key store is connected',
    });
    if (!confirmed) {
      await services.ui.confirm(`Disconnect ${target.label}?`, {
        detail:
          'Its KMS keys become Unavailable at once: Encrypt, Decrypt, GenerateDataKey and the other ' +
          'cryptographic operations with them fail (for AWS services too) until you connect the store again. Nothing is deleted.',
        confirmLabel: 'Disconnect',
        modal: true,
      });
    }
    await target.gateway.disconnectCustomKeyStore(target.id);
    keyChanged(services, target.connection);
    const store = await target.gateway.describeCustomKeyStore(target.id);
    notify(`${target.label} is disconnected; its keys are unavailable until it is connected again.`);
    return resultOf(store);
  },
};

/**
 * `kmsWorkbench.deleteCustomKeyStore` `{ customKeyStoreId?, connection?, confirm }`:
 * DeleteCustomKeyStore. KMS deletes only a disconnected store without KMS keys; with an
 * argument object it needs `confirm: true`. Returns `{ customKeyStoreId, deleted: true }`.
 */
export const deleteCustomKeyStore: CommandSpec<{ customKeyStoreId: string; deleted: true }> = {
  id: DELETE,
  action: 'delete the custom key store',
  run: async (arg, services) => {
    const args = Args.from(DELETE, arg, ['customKeyStoreId', 'connection', 'confirm']);
    const confirmed = confirmedByArgs(DELETE, arg, args, 'deletes a custom key store');
    const target = await resolveStore(arg, args, services, {
      title: 'Delete custom key store',
      allowed: (s) => s.ConnectionState === 'DISCONNECTED',
      none: 'No custom key store is disconnected (only a disconnected store can be deleted)',
    });
    if (target.store.ConnectionState !== 'DISCONNECTED') {
      throw new KmsError(
        'CustomKeyStoreInvalidStateException',
        `${target.label} is ${target.store.ConnectionState?.toLowerCase() ?? 'not disconnected'}: disconnect it before deleting it.`,
      );
    }
    if (!confirmed) {
      await services.ui.confirm(`Delete custom key store ${target.label}?`, {
        detail:
          `KMS forgets the store (its ${isCloudHsm(target.store) ? 'CloudHSM cluster' : 'external key manager'} ` +
          'and the keys in it are not touched). KMS refuses while any KMS key, even one pending deletion, is still in the store.',
        confirmLabel: 'Delete Key Store',
        modal: true,
      });
    }
    await target.gateway.deleteCustomKeyStore(target.id);
    keyChanged(services, target.connection);
    notify(`Deleted custom key store ${target.label}.`);
    return { customKeyStoreId: target.id, deleted: true };
  },
};
