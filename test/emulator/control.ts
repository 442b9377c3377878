// Client of the emulator's control API (controlApi.ts), for tests in another process than the
// emulator (the extension host, a browser test): call counts, faults, seeding, reset, key states.
import type { FaultSpec } from './faults';
import type { SeedDocument, SeedResult } from './seed';
import type { KeyState } from './types';

export interface EmulatorHealth {
  status: 'ok';
  url: string;
  accountId: string;
  operations: string[];
}

export class EmulatorControl {
  private readonly base: string;

  /** @param url the emulator's URL, e.g. http://127.0.0.1:4599 */
  constructor(url: string) {
    this.base = url.replace(/\/+$/, '');
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.base}/_emulator/${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed = (await response.json()) as T & { error?: string };
    if (!response.ok) throw new Error(`KMS emulator control ${method} ${path}: ${response.status} ${parsed.error ?? ''}`.trim());
    return parsed;
  }

  health(): Promise<EmulatorHealth> {
    return this.request('GET', 'health');
  }

  async calls(): Promise<Record<string, number>> {
    return (await this.request<{ calls: Record<string, number> }>('GET', 'calls')).calls;
  }

  async callCount(operation: string): Promise<number> {
    return (await this.calls())[operation] ?? 0;
  }

  async resetCalls(): Promise<void> {
    await this.request('POST', 'calls/reset');
  }

  async faults(): Promise<Record<string, FaultSpec>> {
    return (await this.request<{ faults: Record<string, FaultSpec> }>('GET', 'faults')).faults;
  }

  /** Sets (replaces) the faults of one operation ("*" for all operations without their own). */
  async setFault(operation: string, spec: FaultSpec): Promise<void> {
    await this.request('POST', 'faults', { operation, ...spec });
  }

  /** Clears the faults of one operation, or all. */
  async clearFaults(operation?: string): Promise<void> {
    await this.request('DELETE', operation === undefined ? 'faults' : `faults?operation=${encodeURIComponent(operation)}`);
  }

  seed(doc: SeedDocument): Promise<SeedResult> {
    return this.request('POST', 'seed', doc);
  }

  async reset(): Promise<void> {
    await this.request('POST', 'reset');
  }

  /** Accepts one more access key, signing as `principal` (an IAM user name or ARN). */
  async addCredential(credential: { accessKeyId: string; secretAccessKey: string; principal?: string }): Promise<void> {
    await this.request('POST', 'credentials', credential);
  }

  /** Adds CloudTrail events as if calls had been made then (older history for LookupEvents). */
  async addCloudTrailEvents(
    events: {
      eventName: string;
      time: number | string;
      keyArn?: string;
      region?: string;
      principal?: string;
      accessKeyId?: string;
      sourceIPAddress?: string;
    }[],
  ): Promise<number> {
    return (await this.request<{ count: number }>('POST', 'cloudtrail/events', { events })).count;
  }

  async setKeyState(region: string, keyId: string, state: KeyState): Promise<void> {
    await this.request('POST', `keys/${encodeURIComponent(region)}/${encodeURIComponent(keyId)}/state`, { state });
  }

  /** Moves the emulator's clock forward; returns how far it is ahead of the machine's. */
  async advanceClock(ms: number): Promise<number> {
    return (await this.request<{ offsetMs: number }>('POST', 'clock', { advanceMs: ms })).offsetMs;
  }

  /** The next connection attempt of the custom key store fails with this ConnectionErrorCode. */
  async failNextConnection(customKeyStoreId: string, code: string): Promise<void> {
    await this.request('POST', `custom-key-stores/${encodeURIComponent(customKeyStoreId)}/connection-error`, { code });
  }

  /** Turns STS and Access Analyzer on the emulator's port on or off; returns what is served now. */
  async setServices(services: { sts?: boolean; accessAnalyzer?: boolean }): Promise<{ sts: boolean; accessAnalyzer: boolean }> {
    return this.request('POST', 'services', services);
  }
}
