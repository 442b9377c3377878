import type { RotationsListEntry } from '@aws-sdk/client-kms';
import { Args } from '../../core/args/readArgs';
import { KmsError } from '../../core/kms/errors';
import { collect } from '../../core/kms/gateway';
import { formatDate, rotationReport } from '../../core/keyOps/summaries';
import { ROTATION_PERIOD, checkRotationPeriod } from '../../core/keyOps/validation';
import type { CommandSpec } from '../commands/commandRunner';
import { inputChecked, isScripted } from './commandArgs';
import type { KeyCommandDeps } from './deps';
import { fileLabel, notify } from './output';
import { KEY_FIELDS, type ResolvedKey, keyChanged, resolveKey } from './resolveKey';

const ENABLE = 'kmsWorkbench.enableKeyRotation';
const DISABLE = 'kmsWorkbench.disableKeyRotation';
const ROTATE = 'kmsWorkbench.rotateKeyNow';
const SHOW = 'kmsWorkbench.showKeyRotations';

export interface RotationResult {
  readonly keyId: string;
  readonly enabled: boolean;
  readonly rotationPeriodInDays?: number;
  /** ISO date of the next automatic rotation. */
  readonly nextRotationDate?: string;
  /** ISO date an on-demand rotation in progress started. */
  readonly onDemandRotationStartDate?: string;
}

async function rotationStatus(key: ResolvedKey): Promise<RotationResult> {
  const s = await key.gateway.getKeyRotationStatus(key.keyId);
  return {
    keyId: key.keyId,
    enabled: s.KeyRotationEnabled === true,
    rotationPeriodInDays: s.RotationPeriodInDays,
    nextRotationDate: s.NextRotationDate?.toISOString(),
    onDemandRotationStartDate: s.OnDemandRotationStartDate?.toISOString(),
  };
}

/**
 * `kmsWorkbench.enableKeyRotation` `{ keyId?, connection?, rotationPeriodInDays? (90–2560,
 * default 365) }`: EnableKeyRotation, also to change the period. Only symmetric encryption
 * keys with KMS key material (on the primary of a multi-Region key). Returns the rotation
 * status `{ keyId, enabled, rotationPeriodInDays, nextRotationDate }`.
 */
export const enableKeyRotation: CommandSpec<RotationResult> = {
  id: ENABLE,
  action: 'enable automatic key rotation',
  run: async (arg, services) => {
    const args = Args.from(ENABLE, arg, [...KEY_FIELDS, 'rotationPeriodInDays']);
    const given = args.number('rotationPeriodInDays', 'a whole number of days from 90 to 2560', ROTATION_PERIOD);
    const key = await resolveKey(arg, args, services, { title: 'Enable automatic key rotation', action: 'changeRotation' });
    let period = given ?? ROTATION_PERIOD.default;
    if (given === undefined && !isScripted(arg)) {
      const current = await key.gateway.getKeyRotationStatus(key.keyId).catch(() => undefined);
      period = await inputChecked(
        services.ui,
        {
          title: `Rotate ${key.label} automatically every … days`,
          prompt:
            `${ROTATION_PERIOD.min} to ${ROTATION_PERIOD.max} days. ` +
            `${current?.KeyRotationEnabled ? `Now: every ${current.RotationPeriodInDays ?? 365} days.` : 'Rotation is off now.'}`,
          value: String(current?.RotationPeriodInDays ?? ROTATION_PERIOD.default),
        },
        checkRotationPeriod,
      );
    }
    await key.gateway.enableKeyRotation(key.keyId, period);
    keyChanged(services, key.connection, key.keyId);
    const status = await rotationStatus(key);
    notify(
      `${key.label} rotates automatically every ${status.rotationPeriodInDays ?? period} days; ` +
        `next on ${status.nextRotationDate ? formatDate(new Date(status.nextRotationDate)) : 'a date KMS did not report'}.`,
    );
    return status;
  },
};

/**
 * `kmsWorkbench.disableKeyRotation` `{ keyId?, connection? }`: DisableKeyRotation.
 * Returns the rotation status.
 */
export const disableKeyRotation: CommandSpec<RotationResult> = {
  id: DISABLE,
  action: 'disable automatic key rotation',
  run: async (arg, services) => {
    const args = Args.from(DISABLE, arg, KEY_FIELDS);
    const key = await resolveKey(arg, args, services, { title: 'Disable automatic key rotation', action: 'changeRotation' });
    await key.gateway.disableKeyRotation(key.keyId);
    keyChanged(services, key.connection, key.keyId);
    notify(`Automatic rotation of ${key.label} is off. Its existing key material stays; ciphertexts keep decrypting.`);
    return rotationStatus(key);
  },
};

export interface RotateNowResult extends RotationResult {
  readonly rotations: number;
}

/**
 * `kmsWorkbench.rotateKeyNow` `{ keyId?, connection? }`: RotateKeyOnDemand. Interactively
 * it confirms first (KMS limits on-demand rotations per key over its lifetime). Returns the
 * rotation status and the number of rotations listed afterwards.
 */
export const rotateKeyNow: CommandSpec<RotateNowResult> = {
  id: ROTATE,
  action: 'rotate the key now',
  run: async (arg, services) => {
    const args = Args.from(ROTATE, arg, KEY_FIELDS);
    const key = await resolveKey(arg, args, services, { title: 'Rotate key now', action: 'rotateNow' });
    if (!isScripted(arg)) {
      const before = await collect(key.gateway.listKeyRotations(key.keyId)).catch(() => undefined);
      const onDemand = before?.filter((r) => r.RotationType === 'ON_DEMAND').length;
      await services.ui.confirm(`Rotate ${key.label} now?`, {
        detail:
          'KMS makes new key material for new encryptions; existing ciphertexts still decrypt. ' +
          'Each key can be rotated on demand only a limited number of ' +
          `times${onDemand !== undefined ? ` (done so far: ${onDemand})` : ''}.`,
        confirmLabel: 'Rotate Now',
      });
    }
    await key.gateway.rotateKeyOnDemand(key.keyId);
    keyChanged(services, key.connection, key.keyId);
    const rotations = await collect(key.gateway.listKeyRotations(key.keyId)).catch(() => [] as RotationsListEntry[]);
    notify(`Started an on-demand rotation of ${key.label}.`);
    return { ...(await rotationStatus(key)), rotations: rotations.length };
  },
};

export interface RotationHistory extends RotationResult {
  readonly rotations: { readonly rotationDate?: string; readonly rotationType?: string }[];
}

/**
 * `kmsWorkbench.showKeyRotations` `{ keyId?, connection?, show? }`: GetKeyRotationStatus and
 * ListKeyRotations, shown as a read-only report (with an argument object only when
 * `show: true`). Returns the status and `rotations: [{ rotationDate, rotationType }]`.
 */
export function showKeyRotations(deps: KeyCommandDeps): CommandSpec<RotationHistory> {
  return {
    id: SHOW,
    action: 'show the key rotations',
    run: async (arg, services) => {
      const args = Args.from(SHOW, arg, [...KEY_FIELDS, 'show']);
      const show = args.boolean('show') ?? !isScripted(arg);
      const key = await resolveKey(arg, args, services, { title: 'Show key rotations', action: 'viewRotation', includeAwsManaged: true });
      const status = await key.gateway.getKeyRotationStatus(key.keyId);
      let rotations: RotationsListEntry[] | undefined;
      try {
        rotations = await collect(key.gateway.listKeyRotations(key.keyId));
      } catch (error) {
        if (!(error instanceof KmsError && error.notSupported)) throw error;
      }
      if (show) await deps.docs.show(`rotations-${fileLabel(key.label)}.md`, rotationReport(key.label, key.keyId, status, rotations));
      return {
        keyId: key.keyId,
        enabled: status.KeyRotationEnabled === true,
        rotationPeriodInDays: status.RotationPeriodInDays,
        nextRotationDate: status.NextRotationDate?.toISOString(),
        onDemandRotationStartDate: status.OnDemandRotationStartDate?.toISOString(),
        rotations: (rotations ?? []).map((r) => ({ rotationDate: r.RotationDate?.toISOString(), rotationType: r.RotationType })),
      };
    },
  };
}
