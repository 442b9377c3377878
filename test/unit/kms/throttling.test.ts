import * as assert from 'node:assert/strict';
import { KmsError } from '../../../src/core/kms/errors';
import { retryThrottled } from '../../../src/core/kms/throttling';

describe('retryThrottled: a call still throttled after the SDK’s attempts', () => {
  const throttled = (): KmsError => new KmsError('ThrottlingException', 'KMS is throttling Encrypt requests (still after 4 attempts).');
  const pauses: number[] = [];
  const sleep = (ms: number): Promise<void> => {
    pauses.push(ms);
    return Promise.resolve();
  };
  beforeEach(() => (pauses.length = 0));

  it('tries again after growing pauses until it succeeds', async () => {
    let calls = 0;
    const out = await retryThrottled(
      () => {
        calls++;
        return calls <= 3 ? Promise.reject(throttled()) : Promise.resolve('done');
      },
      { sleep, backoffMs: [100, 200, 400, 800] },
    );
    assert.equal(out, 'done');
    assert.equal(calls, 4);
    assert.equal(pauses.length, 3);
    pauses.forEach((p, i) => assert.ok(p >= [75, 150, 300][i] && p <= [125, 250, 500][i], `pause ${i}: ${p} ms`));
  });

  it('gives up with the last throttling error when the pauses run out', async () => {
    let calls = 0;
    await assert.rejects(
      retryThrottled(
        () => {
          calls++;
          return Promise.reject(throttled());
        },
        { sleep, backoffMs: [1, 1] },
      ),
      (e: unknown) => e instanceof KmsError && e.code === 'ThrottlingException',
    );
    assert.equal(calls, 3);
  });

  it('does not retry other failures, nor after the signal aborted', async () => {
    let calls = 0;
    await assert.rejects(
      retryThrottled(
        () => {
          calls++;
          return Promise.reject(new KmsError('DisabledException', 'The key is disabled.'));
        },
        { sleep },
      ),
      /disabled/,
    );
    assert.equal(calls, 1);
    const controller = new AbortController();
    controller.abort();
    calls = 0;
    await assert.rejects(
      retryThrottled(
        () => {
          calls++;
          return Promise.reject(throttled());
        },
        { sleep, signal: controller.signal },
      ),
      /throttling/,
    );
    assert.equal(calls, 1);
    assert.equal(pauses.length, 0);
  });
});
