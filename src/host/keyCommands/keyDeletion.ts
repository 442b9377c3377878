import type { GrantListEntry, KeyMetadata } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import { offerReKeyFirst } from '../inventory/keyUsage';
import { Args } from '../../core/args/readArgs';
import { KmsError } from '../../core/kms/errors';
import { collect } from '../../core/kms/gateway';
import { WAITING_PERIOD, checkWaitingPeriod } from '../../core/keyOps/validation';
import { deletionDate, deletionImpactLines, formatDate } from '../../core/keyOps/summaries';
import type { CommandSpec } from '../commands/commandRunner';
import { lastUseParagraph } from '../insight/lastUsage';
import { confirmedByArgs, inputChecked, isScripted } from './commandArgs';
import { notify } from './output';
import { KEY_FIELDS, aliasesOf, keyChanged, resolveKey } from './resolveKey';

const SCHEDULE = 'kmsWorkbench.scheduleKeyDeletion';
const CANCEL = 'kmsWorkbench.cancelKeyDeletion';

export interface ScheduledDeletion {
  readonly keyId: string;
  readonly keyState: string;
  /** ISO date when KMS deletes the key. */
  readonly deletionDate?: string;
  readonly pendingWindowInDays: number;
}

/**
 * `kmsWorkbench.scheduleKeyDeletion` `{ keyId?, connection?, pendingWindowInDays? (7–30,
 * default 30), confirm }`: ScheduleKeyDeletion. With an argument object it needs
 * `confirm: true`. Interactively it shows what depends on the key (aliases, grants,
 * multi-Region replicas), asks for the waiting period and for the key's alias or id to be
 * typed. Returns `{ keyId, keyState, deletionDate, pendingWindowInDays }`.
 */
export const scheduleKeyDeletion: CommandSpec<ScheduledDeletion> = {
  id: SCHEDULE,
  action: 'schedule the key deletion',
  run: async (arg, services) => {
    const args = Args.from(SCHEDULE, arg, [...KEY_FIELDS, 'pendingWindowInDays', 'confirm']);
    const confirmed = confirmedByArgs(SCHEDULE, arg, args, 'schedules a key for deletion, after which its ciphertexts are lost for good');
    const givenDays = args.number('pendingWindowInDays', 'a whole number of days from 7 to 30', WAITING_PERIOD);
    const key = await resolveKey(arg, args, services, { title: 'Schedule key deletion', action: 'scheduleDeletion' });
    let days = givenDays ?? WAITING_PERIOD.default;
    if (!confirmed) {
      const aliases = await aliasesOf(key.gateway, key.keyId);
      let grants: GrantListEntry[] | undefined;
      let grantsProblem: string | undefined;
      try {
        grants = await collect(key.gateway.listGrants(key.keyId));
      } catch (error) {
        grantsProblem = error instanceof Error ? error.message : String(error);
      }
      const label = aliases[0] ?? key.label;
      const usage = await offerReKeyFirst(
        services.ui,
        key.keyId,
        label,
        'Once the key is deleted they can never be opened again.',
        (request) => vscode.commands.executeCommand('kmsWorkbench.reEncryptFiles', request),
      );
      const lines = [...(usage ? [usage] : []), ...deletionImpactLines({ label, metadata: key.metadata, aliases, grants, grantsProblem })];
      lines.push(await lastUseParagraph(key.gateway, key.keyId, 'delete'));
      const canDisable = key.metadata.KeyState === 'Enabled';
      await services.ui.confirm(`Schedule deletion of ${label}?`, {
        detail: lines.join('\n\n'),
        confirmLabel: 'Continue…',
        // The safer path: disable now, watch for failed calls, schedule the deletion later.
        alternative: canDisable
          ? {
              label: 'Disable Key Instead',
              run: async () => {
                await key.gateway.disableKey(key.keyId);
                keyChanged(services, key.connection, key.keyId);
                notify(`Disabled ${label} instead of deleting it. Watch Show Key Usage for failed calls before you schedule its deletion.`);
              },
            }
          : undefined,
      });
      days =
        givenDays ??
        (await inputChecked(
          services.ui,
          {
            title: `Waiting period before ${label} is deleted`,
            prompt: `Days from ${WAITING_PERIOD.min} to ${WAITING_PERIOD.max}. Until then the deletion can be cancelled.`,
            value: String(WAITING_PERIOD.default),
          },
          checkWaitingPeriod,
        ));
      const expected = aliases[0] ?? key.keyId;
      await services.ui
        .input({
          title: `Type ${expected} to schedule its deletion`,
          prompt: `KMS deletes the key on ${formatDate(deletionDate(new Date(), days))} unless the deletion is cancelled before.`,
          placeholder: expected,
          validate: (v) => (v === expected || v === key.keyId ? undefined : `Type ${expected} exactly to confirm.`),
        })
        .then((typed) => {
          if (typed !== expected && typed !== key.keyId)
            throw new KmsError('NotConfirmed', `The typed text did not match ${expected}; nothing was scheduled.`);
        });
    }
    const out = await key.gateway.scheduleKeyDeletion(key.keyId, days);
    keyChanged(services, key.connection, key.keyId);
    const when = out.DeletionDate ? formatDate(out.DeletionDate) : `in ${days} days`;
    notify(`${key.label} is scheduled for deletion on ${when}. Cancel the deletion before then to keep it.`);
    return {
      keyId: key.keyId,
      keyState: out.KeyState ?? 'PendingDeletion',
      deletionDate: out.DeletionDate?.toISOString(),
      pendingWindowInDays: out.PendingWindowInDays ?? days,
    };
  },
};

/**
 * `kmsWorkbench.cancelKeyDeletion` `{ keyId?, connection?, enable? }`: CancelKeyDeletion.
 * The key then stays disabled; interactively the command offers to enable it, and with an
 * argument object `enable: true` does (default false). Returns the key's metadata afterwards.
 */
export const cancelKeyDeletion: CommandSpec<KeyMetadata> = {
  id: CANCEL,
  action: 'cancel the key deletion',
  run: async (arg, services) => {
    const args = Args.from(CANCEL, arg, [...KEY_FIELDS, 'enable']);
    const enableAfter = args.boolean('enable');
    const key = await resolveKey(arg, args, services, { title: 'Cancel key deletion', action: 'cancelDeletion' });
    await key.gateway.cancelKeyDeletion(key.keyId);
    keyChanged(services, key.connection, key.keyId);
    let metadata = await key.gateway.describeKey(key.keyId);
    let enable = enableAfter === true;
    if (!isScripted(arg) && metadata.KeyState === 'Disabled') {
      const choice = await services.ui.choose(
        `Cancelled the deletion of ${key.label}. The key is disabled now: enable it?`,
        ['Enable Key', 'Keep Disabled'],
        { detail: 'KMS leaves a key disabled after its deletion is cancelled.' },
      );
      enable = choice === 'Enable Key';
    }
    if (enable && metadata.KeyState === 'Disabled') {
      await key.gateway.enableKey(key.keyId);
      keyChanged(services, key.connection, key.keyId);
      metadata = await key.gateway.describeKey(key.keyId);
      notify(`Cancelled the deletion of ${key.label} and enabled it.`);
    } else if (isScripted(arg) || enable) {
      notify(
        `Cancelled the deletion of ${key.label}. It is ${metadata.KeyState === 'Disabled' ? 'disabled' : (metadata.KeyState ?? 'unknown').toLowerCase()}.`,
      );
    }
    return metadata;
  },
};
