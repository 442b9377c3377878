// Fault injection per operation, and the per-operation call counter.
//
// A call is counted, and meets its faults, once it has passed signature verification and names
// an operation (implemented or not): that is, every request that reached operation dispatch,
// faulted ones included. The order for one call: added latency, then a dropped connection, then
// throttling, then the injected failure of the Nth call.
import { apiError, KmsApiError, statusFor } from './errors';

export interface FaultError {
  /** KMS error name sent as __type; default KMSInternalException. */
  name?: string;
  message?: string;
  /** HTTP status; default the one KMS uses for the name (500 for KMSInternalException, else 400). */
  status?: number;
}

export interface FaultSpec {
  /** Milliseconds added before every call of the operation answers (until cleared). */
  latencyMs?: number;
  /** The next N calls answer ThrottlingException. */
  throttle?: number;
  /** The Nth call from now (1 = the next one) answers `error`; once. */
  failOnCall?: number;
  error?: FaultError;
  /** The next N calls get their connection destroyed without an answer. */
  drop?: number;
}

/** What should happen to one call. */
export type FaultOutcome = { latencyMs: number } & ({ kind: 'proceed' } | { kind: 'drop' } | { kind: 'fail'; error: KmsApiError });

interface ActiveFault {
  latencyMs: number;
  throttleLeft: number;
  dropLeft: number;
  failOnCall?: number;
  error: KmsApiError;
  callsSinceSet: number;
}

function count(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new TypeError(`${field} must be a non-negative integer`);
  return value;
}

export class Faults {
  private readonly active = new Map<string, ActiveFault>();

  /** Sets (replaces) the faults of one operation; "*" applies to every operation without its own. */
  set(operation: string, spec: FaultSpec): void {
    const error: unknown = spec.error;
    if (error !== undefined && (typeof error !== 'object' || error === null))
      throw new TypeError('error must be an object {name?, message?, status?}');
    const { name: errorName, message, status } = (error ?? {}) as Record<string, unknown>;
    if (errorName !== undefined && (typeof errorName !== 'string' || !/^\w+$/.test(errorName)))
      throw new TypeError('error.name must be an error name such as KMSInternalException');
    if (message !== undefined && typeof message !== 'string') throw new TypeError('error.message must be a string');
    if (status !== undefined && (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599))
      throw new TypeError('error.status must be an HTTP error status (400-599)');
    const name = errorName ?? 'KMSInternalException';
    const failOnCall = spec.failOnCall === undefined ? undefined : count(spec.failOnCall, 'failOnCall');
    if (failOnCall === 0) throw new TypeError('failOnCall counts from 1 (the next call)');
    this.active.set(operation, {
      latencyMs: count(spec.latencyMs, 'latencyMs'),
      throttleLeft: count(spec.throttle, 'throttle'),
      dropLeft: count(spec.drop, 'drop'),
      failOnCall,
      error: new KmsApiError(name, message ?? `${name}: injected failure (KMS emulator fault injection).`, status ?? statusFor(name)),
      callsSinceSet: 0,
    });
  }

  /** Clears the faults of one operation, or of all. */
  clear(operation?: string): void {
    if (operation === undefined) this.active.clear();
    else this.active.delete(operation);
  }

  /** What remains to happen, per operation. */
  list(): Record<string, FaultSpec> {
    const out: Record<string, FaultSpec> = {};
    for (const [op, f] of this.active) {
      out[op] = {
        ...(f.latencyMs ? { latencyMs: f.latencyMs } : {}),
        ...(f.throttleLeft ? { throttle: f.throttleLeft } : {}),
        ...(f.dropLeft ? { drop: f.dropLeft } : {}),
        ...(f.failOnCall !== undefined
          ? {
              failOnCall: f.failOnCall - f.callsSinceSet,
              error: { name: f.error.errorName, message: f.error.message, status: f.error.status },
            }
          : {}),
      };
    }
    return out;
  }

  /** Consumes the faults of one call. */
  next(operation: string): FaultOutcome {
    const fault = this.active.get(operation) ?? this.active.get('*');
    if (!fault) return { latencyMs: 0, kind: 'proceed' };
    fault.callsSinceSet += 1;
    const latencyMs = fault.latencyMs;
    if (fault.dropLeft > 0) {
      fault.dropLeft -= 1;
      return { latencyMs, kind: 'drop' };
    }
    if (fault.throttleLeft > 0) {
      fault.throttleLeft -= 1;
      return { latencyMs, kind: 'fail', error: apiError('ThrottlingException', 'Rate exceeded') };
    }
    if (fault.failOnCall !== undefined && fault.callsSinceSet === fault.failOnCall) {
      fault.failOnCall = undefined;
      return { latencyMs, kind: 'fail', error: fault.error };
    }
    return { latencyMs, kind: 'proceed' };
  }
}

export class CallCounter {
  private readonly counts = new Map<string, number>();

  record(operation: string): void {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
  }

  get(operation: string): number {
    return this.counts.get(operation) ?? 0;
  }

  all(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  reset(): void {
    this.counts.clear();
  }
}
