// Calls KMS throttled even after the SDK's own retries: many calls of one multi-cursor edit
// share one account's request quota, and a burst of throttling can outlast the SDK's four
// attempts per call. The edit waits and tries that call again (each selection is all or
// nothing), rather than failing the whole edit for a moment of throttling. The CloudTrail
// lookup (core/usage/keyEvents.ts) uses the same test and sleep with its own pacing.
import { KmsError } from './errors';

/** Pauses before each further try, with ±25 % jitter: about 6 s in all before giving up. */
export const THROTTLE_BACKOFF_MS: readonly number[] = [200, 400, 800, 1_600, 3_200];

/** A throttling error: ours (KmsError code) or the SDK's own (its name, or its code). */
export function isThrottling(error: unknown): boolean {
  if (error instanceof KmsError) return error.code === 'ThrottlingException';
  const e = error as { name?: string; code?: string } | undefined;
  return e?.name === 'ThrottlingException' || e?.code === 'ThrottlingException';
}

/** A sleep that ends early (rejecting with an AbortError) when the signal aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError());
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(): Error {
  const e = new Error('Cancelled');
  e.name = 'AbortError';
  return e;
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
