/**
 * Runs async tasks with at most `limit` in flight. Tasks wait in a queue; an urgent task
 * (the key a person just expanded) jumps ahead of the ones queued for the background.
 * Keeps the highest number ever in flight, so tests and the bench can show the bound held.
 */
export class ConcurrencyLimiter {
  private readonly queue: { readonly key?: string; readonly start: () => void }[] = [];
  private running = 0;
  private peak = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`ConcurrencyLimiter needs a limit of at least 1, not ${limit}`);
  }

  /** How many tasks run right now. */
  get inFlight(): number {
    return this.running;
  }

  /** How many tasks wait for a slot. */
  get queued(): number {
    return this.queue.length;
  }

  /** The most tasks that ever ran at once. */
  get maxInFlight(): number {
    return this.peak;
  }

  /**
   * Runs `task` when a slot is free. `key` names the task so `promote(key)` can move it to
   * the front of the queue later; `urgent` puts it there straight away.
   */
  run<T>(task: () => Promise<T>, options: { urgent?: boolean; key?: string } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        this.running++;
        this.peak = Math.max(this.peak, this.running);
        let settled: Promise<T>;
        try {
          settled = task();
        } catch (error) {
          settled = Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
        settled.then(resolve, reject).finally(() => {
          this.running--;
          this.next();
        });
      };
      if (this.running < this.limit) start();
      else if (options.urgent) this.queue.unshift({ key: options.key, start });
      else this.queue.push({ key: options.key, start });
    });
  }

  /** Moves a queued task to the front; false when it is not waiting (running, done or unknown). */
  promote(key: string): boolean {
    const index = this.queue.findIndex((entry) => entry.key === key);
    if (index < 0) return false;
    const [entry] = this.queue.splice(index, 1);
    this.queue.unshift(entry);
    return true;
  }

  /** Resolves once nothing runs and nothing waits. */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private next(): void {
    const entry = this.queue.shift();
    if (entry) {
      entry.start();
      return;
    }
    if (this.running === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
