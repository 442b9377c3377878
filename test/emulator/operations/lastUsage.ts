// GetKeyLastUsage, and the recording of the last successful cryptographic use it reports.
//
// KMS: "KeyLastUsage" is the last successful cryptographic operation (operation, time,
// CloudTrail event id, KMS request id), an empty object when the key has not been used since
// tracking began; "TrackingStartDate" is the date KMS began tracking or the key's creation,
// whichever is later. Key id or key ARN only (no aliases), and no cross-account use. Replicas of
// a multi-Region key are tracked apart; ReEncrypt records a use of both keys.
import type { OpContext } from '../context';
import { type Operation, type OperationTable, type Output, seconds } from '../operation';
import { resolveKey } from '../resolve';
import type { Store } from '../state';
import type { Key } from '../types';

/** The operations GetKeyLastUsage reports (KMS's KeyLastUsageData.Operation enum, of those the emulator has). */
export const trackedOperations: ReadonlySet<string> = new Set([
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateMac',
  'ReEncrypt',
  'Sign',
  'Verify',
  'VerifyMac',
]);

const keyArnPattern = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key\/(.+)$/;

/** The keys a successful answer names (KeyId, and ReEncrypt's SourceKeyId), as ARNs. */
export function keysOfOutput(store: Store, output: Output): Key[] {
  const keys: Key[] = [];
  for (const field of ['SourceKeyId', 'KeyId']) {
    const value = output[field];
    const m = typeof value === 'string' ? keyArnPattern.exec(value) : null;
    const key = m ? store.getKey(m[1], m[2]) : undefined;
    if (key && !keys.includes(key)) keys.push(key);
  }
  return keys;
}

/**
 * Records a successful cryptographic call as the last use of the keys it used. Returns true
 * when something was recorded (so the state is saved).
 */
export function recordKeyUse(
  store: Store,
  operation: string,
  output: Output,
  use: { time: number; eventId: string; requestId: string },
): boolean {
  if (!trackedOperations.has(operation)) return false;
  const keys = keysOfOutput(store, output);
  for (const key of keys) key.lastUsage = { operation, time: use.time, cloudTrailEventId: use.eventId, requestId: use.requestId };
  return keys.length > 0;
}

function trackingStart(ctx: OpContext, key: Key): number {
  return Math.max(ctx.store.usageTrackingStart, key.creationDate);
}

const getKeyLastUsage: Operation = {
  readOnly: true,
  handler(input, ctx) {
    const key = resolveKey(ctx, input.requiredString('KeyId', { max: 2048 }));
    const last = key.lastUsage;
    return {
      KeyId: ctx.store.arnOf(key),
      KeyLastUsage: last
        ? {
            Operation: last.operation,
            Timestamp: seconds(last.time),
            CloudTrailEventId: last.cloudTrailEventId,
            KmsRequestId: last.requestId,
          }
        : {},
      TrackingStartDate: seconds(trackingStart(ctx, key)),
      KeyCreationDate: seconds(key.creationDate),
    };
  },
};

export const lastUsageOperations: OperationTable = {
  GetKeyLastUsage: getKeyLastUsage,
};
