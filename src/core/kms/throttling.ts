// Calls KMS throttled even after the SDK's own retries: many calls of one multi-cursor edit
// share one account's request quota, and a burst of throttling can outlast the SDK's four
// attempts per call. The edit waits and tries that call again (each selection is all or
// nothing), rather than failing the whole edit for a moment of throttling.
import { abortableSleep } from '../usage/keyEvents';
import { KmsError } from './errors';

/** Pauses before each further try, with ±25 % jitter: about 6 s in all before giving up. */
export const THROTTLE_BACKOFF_MS: readonly number[] = [200, 400, 800, 1_600, 3_200];

export function isThrottling(error: unknown): boolean {
  return error instanceof KmsError
    ? error.code === 'ThrottlingException'
    : (error as { name?: string } | undefined)?.name === 'ThrottlingException';
}

/**
 * Runs `call`, and again after a pause each time it fails with throttling, until it succeeds,
 * fails otherwise, the pauses run out (the last error is thrown), or `signal` aborts.
 */
export async function retryThrottled<T>(
  call: () => Promise<T>,
  options: { signal?: AbortSignal; backoffMs?: readonly number[]; sleep?: (ms: number, signal?: AbortSignal) => Promise<void> } = {},
): Promise<T> {
  const backoff = options.backoffMs ?? THROTTLE_BACKOFF_MS;
  const sleep = options.sleep ?? abortableSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isThrottling(error) || attempt >= backoff.length || options.signal?.aborted) throw error;
      await sleep(Math.round(backoff[attempt] * (0.75 + Math.random() * 0.5)), options.signal);
    }
  }
}
