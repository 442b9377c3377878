import * as assert from 'node:assert/strict';
import { ConcurrencyLimiter } from '../../../src/core/tree/concurrencyLimiter';
import { PagedList } from '../../../src/core/tree/pagedList';

/** A promise and its resolve/reject, to control when a fake call answers. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('ConcurrencyLimiter', () => {
  it('never runs more than its limit at once, and runs everything', async () => {
    const limiter = new ConcurrencyLimiter(8);
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        limiter.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 1 + (i % 3)));
          running--;
          return i * 2;
        }),
      ),
    );
    assert.equal(peak, 8);
    assert.equal(limiter.maxInFlight, 8);
    assert.deepEqual(
      results,
      Array.from({ length: 50 }, (_, i) => i * 2),
    );
    assert.equal(limiter.inFlight, 0);
  });

  it('runs an urgent or promoted task before the queued ones', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const gate = deferred<void>();
    const order: string[] = [];
    const first = limiter.run(async () => {
      await gate.promise;
      order.push('first');
    });
    const queued = ['a', 'b', 'c'].map((name) => limiter.run(() => Promise.resolve(order.push(name)), { key: name }));
    const urgent = limiter.run(() => Promise.resolve(order.push('urgent')), { urgent: true });
    assert.equal(limiter.promote('c'), true);
    assert.equal(limiter.promote('nope'), false);
    gate.resolve();
    await Promise.all([first, urgent, ...queued]);
    assert.deepEqual(order, ['first', 'c', 'urgent', 'a', 'b']);
  });

  it('passes failures to the caller and keeps going; idle() waits for the queue', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const failing = limiter.run(() => Promise.reject(new Error('boom')));
    const thrown = limiter.run(() => {
      throw new Error('sync boom');
    });
    const fine = limiter.run(() => Promise.resolve('ok'));
    await assert.rejects(failing, /boom/);
    await assert.rejects(thrown, /sync boom/);
    assert.equal(await fine, 'ok');
    await limiter.idle();
    assert.equal(limiter.inFlight, 0);
    assert.equal(limiter.queued, 0);
  });

  it('refuses a limit below 1', () => {
    assert.throws(() => new ConcurrencyLimiter(0), /at least 1/);
  });
});

describe('PagedList', () => {
  const pages = [['a', 'b'], ['c', 'd'], ['e']];
  function source(): {
    calls: (string | undefined)[];
    fetch: (marker: string | undefined) => Promise<{ items: string[]; nextMarker?: string }>;
  } {
    const calls: (string | undefined)[] = [];
    return {
      calls,
      fetch: (marker) => {
        calls.push(marker);
        const index = marker === undefined ? 0 : Number(marker);
        return Promise.resolve({ items: pages[index], nextMarker: index + 1 < pages.length ? String(index + 1) : undefined });
      },
    };
  }

  it('loads the first page once for concurrent callers, then page by page', async () => {
    const s = source();
    const list = new PagedList(s.fetch);
    await Promise.all([list.first(), list.first(), list.first()]);
    assert.deepEqual(s.calls, [undefined]);
    assert.deepEqual(list.items, ['a', 'b']);
    assert.equal(list.hasMore, true);
    await list.loadMore();
    assert.deepEqual(list.items, ['a', 'b', 'c', 'd']);
    assert.deepEqual(list.pageItems, [
      ['a', 'b'],
      ['c', 'd'],
    ]);
    await list.loadMore();
    await list.loadMore();
    assert.deepEqual(s.calls, [undefined, '1', '2'], 'no call after the last page');
    assert.equal(list.hasMore, false);
  });

  it('ensurePages and all() load only what is missing', async () => {
    const s = source();
    const list = new PagedList(s.fetch);
    await list.ensurePages(2);
    assert.equal(list.pagesLoaded, 2);
    assert.deepEqual(await list.all(), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(s.calls, [undefined, '1', '2']);
  });

  it('does not remember a failure: the next call retries', async () => {
    let fail = true;
    const list = new PagedList<string>(() => (fail ? Promise.reject(new Error('denied')) : Promise.resolve({ items: ['x'] })));
    await assert.rejects(list.first(), /denied/);
    assert.match(String(list.error), /denied/);
    fail = false;
    await list.first();
    assert.deepEqual(list.items, ['x']);
    assert.equal(list.error, undefined);
    assert.equal(list.hasMore, false);
  });
});
