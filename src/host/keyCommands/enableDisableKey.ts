import type { KeyMetadata } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import { offerReKeyFirst } from '../inventory/keyUsage';
import { Args } from '../../core/args/readArgs';
import type { CommandSpec } from '../commands/commandRunner';
import { lastUseParagraph } from '../insight/lastUsage';
import { confirmedByArgs } from './commandArgs';
import { notify } from './output';
import { KEY_FIELDS, keyChanged, resolveKey } from './resolveKey';

const ENABLE = 'kmsWorkbench.enableKey';
const DISABLE = 'kmsWorkbench.disableKey';

/**
 * `kmsWorkbench.enableKey` `{ keyId?, connection? }`: EnableKey on a disabled key.
 * Returns the key's metadata afterwards.
 */
export const enableKey: CommandSpec<KeyMetadata> = {
  id: ENABLE,
  action: 'enable the key',
  run: async (arg, services) => {
    const args = Args.from(ENABLE, arg, KEY_FIELDS);
    const key = await resolveKey(arg, args, services, { title: 'Enable key', action: 'enable' });
    await key.gateway.enableKey(key.keyId);
    keyChanged(services, key.connection, key.keyId);
    notify(`Enabled ${key.label}.`);
    return key.gateway.describeKey(key.keyId);
  },
};

/**
 * `kmsWorkbench.disableKey` `{ keyId?, connection?, confirm }`: DisableKey. Destructive:
 * with an argument object it needs `confirm: true`; otherwise it asks. Returns the key's
 * metadata afterwards.
 */
export const disableKey: CommandSpec<KeyMetadata> = {
  id: DISABLE,
  action: 'disable the key',
  run: async (arg, services) => {
    const args = Args.from(DISABLE, arg, [...KEY_FIELDS, 'confirm']);
    const confirmed = confirmedByArgs(DISABLE, arg, args, 'disables a key that may be in use');
    const key = await resolveKey(arg, args, services, { title: 'Disable key', action: 'disable' });
    if (!confirmed) {
      const usage = await offerReKeyFirst(services.ui, key.keyId, key.label, 'They cannot be opened while it is disabled.', (request) =>
        vscode.commands.executeCommand('kmsWorkbench.reEncryptFiles', request),
      );
      const lastUse = await lastUseParagraph(key.gateway, key.keyId, 'disable');
      await services.ui.confirm(`Disable ${key.label}?`, {
        detail:
          `${usage ? `${usage}\n\n` : ''}Everything that uses this key to encrypt, decrypt, sign or generate ` +
          `data keys will fail until it is enabled again. Nothing is lost: enabling it undoes this.\n\n${lastUse}`,
        confirmLabel: 'Disable key',
      });
    }
    await key.gateway.disableKey(key.keyId);
    keyChanged(services, key.connection, key.keyId);
    notify(`Disabled ${key.label}.`);
    return key.gateway.describeKey(key.keyId);
  },
};
