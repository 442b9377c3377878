import type { LookupEventsCommandInput, LookupEventsCommandOutput } from '@aws-sdk/client-cloudtrail';
import type { Connection } from '../aws/connection';
import { abortableSleep, isThrottling } from '../kms/throttling';

/** LookupEvents, as the usage lookup needs it (the CloudTrail client of a connection, or a test's). */
export interface LookupSource {
  lookupEvents(input: LookupEventsCommandInput, signal?: AbortSignal): Promise<LookupEventsCommandOutput>;
}

/** CloudTrail keeps its event history 90 days. */
export const MAX_DAYS = 90;
/** CloudTrail allows 2 LookupEvents calls a second per account and region. */
export const MIN_CALL_INTERVAL_MS = 500;
/** LookupEvents answers at most 50 events a call. */
export const PAGE_SIZE = 50;
/** Events read at most (200 calls, about 100 s); the report says when there were more. */
export const DEFAULT_MAX_EVENTS = 10_000;
const BACKOFF_MS = [1_000, 2_000, 4_000, 8_000, 16_000];

/** A failure of the usage lookup with a sentence a person can act on. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  get notSupported(): boolean {
    return this.code === 'NotSupportedByEndpoint';
  }

  static from(error: unknown, connection: Pick<Connection, 'region' | 'endpoint' | 'profile'>): UsageError {
    if (error instanceof UsageError) return error;
    const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
    const name = e.name ?? 'Error';
    const message = e.message ?? String(error);
    const where = connection.endpoint ? `the endpoint ${connection.endpoint}` : `CloudTrail in ${connection.region}`;
    if (name === 'AbortError' || e.code === 'ABORT_ERR') return new UsageError('Cancelled', 'Cancelled.');
    switch (name) {
      case 'ThrottlingException':
        return new UsageError(
          name,
          `CloudTrail is throttling LookupEvents (2 calls a second per account and region): try again in a moment. (${message})`,
        );
      case 'AccessDeniedException':
      case 'AccessDenied':
        return new UsageError(
          name,
          'This identity may not read CloudTrail: allow cloudtrail:LookupEvents in its IAM ' +
            `policy${connection.profile ? ` (profile ${connection.profile})` : ''}. (${message})`,
        );
      case 'UnrecognizedClientException':
      case 'InvalidClientTokenId':
      case 'InvalidSignatureException':
      case 'ExpiredTokenException':
        return new UsageError(name, `CloudTrail refused the credentials: ${message} Check the connection's profile or keys.`);
      case 'UnsupportedOperationException':
      case 'UnknownOperationException':
      case 'NotImplemented':
        return new UsageError('NotSupportedByEndpoint', `CloudTrail LookupEvents is not supported by ${where}. ${message}`.trim());
      default:
        break;
    }
    const status = e.$metadata?.httpStatusCode;
    if (status === 404 || status === 501)
      return new UsageError('NotSupportedByEndpoint', `CloudTrail LookupEvents is not supported by ${where} (HTTP ${status}).`);
    const network = /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN|TimeoutError|socket hang up/i.exec(
      `${e.code ?? ''} ${name} ${message}`,
    );
    if (network)
      return new UsageError(
        'EndpointUnreachable',
        `Cannot reach ${where} (${network[0]}). Check the endpoint URL, that the server is running, or your network.`,
      );
    return new UsageError(name, `CloudTrail LookupEvents failed: ${message}`);
  }
}

export interface FetchOptions {
  /** The key's ARN: CloudTrail names KMS keys by ARN in the events' resources. */
  readonly keyArn: string;
  /** How many days back (1–90). */
  readonly days: number;
  readonly now?: Date;
  readonly signal?: AbortSignal;
  readonly maxEvents?: number;
  /** After each page: calls made, events read so far, the time of the oldest one. */
  readonly onProgress?: (progress: { calls: number; events: number; oldest?: Date }) => void;
  /** Injected in tests. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly clock?: () => number;
}

export interface FetchedEvents {
  readonly events: NonNullable<LookupEventsCommandOutput['Events']>;
  /** More events than maxEvents: the oldest ones were not read. */
  readonly truncated: boolean;
  readonly calls: number;
  readonly throttled: number;
}

/**
 * Reads the key's CloudTrail events of the last `days` days (LookupEvents by ResourceName,
 * 50 a page), at most one call every 500 ms (CloudTrail's 2 calls a second), backing off
 * 1, 2, 4, 8, 16 s when throttled anyway (other tools share the account's quota).
 * The signal cancels between and during calls.
 */
export async function fetchKeyEvents(source: LookupSource, options: FetchOptions): Promise<FetchedEvents> {
  if (!Number.isInteger(options.days) || options.days < 1 || options.days > MAX_DAYS)
    throw new UsageError(
      'InvalidDays',
      `days must be a whole number from 1 to ${MAX_DAYS} (CloudTrail keeps 90 days), not ${options.days}.`,
    );
  const sleep = options.sleep ?? abortableSleep;
  const clock = options.clock ?? Date.now;
  const now = options.now ?? new Date();
  const start = new Date(now.getTime() - options.days * 24 * 60 * 60 * 1000);
  const maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
  const events: NonNullable<LookupEventsCommandOutput['Events']> = [];
  let token: string | undefined;
  let calls = 0;
  let throttled = 0;
  let lastCall = -Infinity;
  do {
    let attempt = 0;
    let out: LookupEventsCommandOutput | undefined;
    while (!out) {
      const wait = lastCall + MIN_CALL_INTERVAL_MS - clock();
      if (wait > 0) await sleep(wait, options.signal);
      if (options.signal?.aborted) throw new UsageError('Cancelled', 'Cancelled.');
      lastCall = clock();
      calls++;
      try {
        out = await source.lookupEvents(
          {
            LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: options.keyArn }],
            StartTime: start,
            EndTime: now,
            MaxResults: PAGE_SIZE,
            NextToken: token,
          },
          options.signal,
        );
      } catch (error) {
        if (isThrottling(error) && attempt < BACKOFF_MS.length) {
          throttled++;
          await sleep(BACKOFF_MS[attempt++], options.signal);
          continue;
        }
        if (options.signal?.aborted) throw new UsageError('Cancelled', 'Cancelled.');
        throw error;
      }
    }
    events.push(...(out.Events ?? []));
    token = out.NextToken || undefined;
    const oldest = events[events.length - 1]?.EventTime;
    options.onProgress?.({ calls, events: events.length, oldest: oldest ? new Date(oldest) : undefined });
  } while (token && events.length < maxEvents);
  return { events: events.slice(0, maxEvents), truncated: token !== undefined || events.length > maxEvents, calls, throttled };
}

/** One event as the usage view lists it (no request parameters: they can hold encryption context values). */
export interface UsageEvent {
  readonly time: string;
  readonly eventName: string;
  readonly principal: string;
  readonly sourceIPAddress: string;
  readonly userAgent?: string;
  readonly errorCode?: string;
  readonly eventId?: string;
}

export interface DailyUsage {
  /** YYYY-MM-DD (UTC). */
  readonly date: string;
  readonly total: number;
  readonly byOperation: Readonly<Record<string, number>>;
}

export interface KeyUsageReport {
  readonly keyArn: string;
  readonly days: number;
  /** ISO times of the window. */
  readonly from: string;
  readonly to: string;
  readonly totalEvents: number;
  readonly truncated: boolean;
  /** One entry per day of the window, oldest first, days without calls included. */
  readonly daily: readonly DailyUsage[];
  /** Operations by number of calls, most first (the chart's legend order). */
  readonly operations: readonly string[];
  readonly topPrincipals: readonly { readonly principal: string; readonly count: number; readonly errors: number }[];
  readonly topSources: readonly { readonly address: string; readonly count: number }[];
  /** Newest first. */
  readonly events: readonly UsageEvent[];
  /** Calls made for the lookup and how many were throttled. */
  readonly calls: number;
  readonly throttled: number;
}

interface TrailRecord {
  userIdentity?: { type?: string; arn?: string; principalId?: string; invokedBy?: string; accountId?: string; userName?: string };
  sourceIPAddress?: string;
  userAgent?: string;
  errorCode?: string;
}

function parseRecord(text: string | undefined): TrailRecord {
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

/** Who made a call: the IAM/STS ARN, the AWS service, or the account. */
export function principalOf(record: TrailRecord, username?: string): string {
  const id = record.userIdentity ?? {};
  if (id.type === 'AWSService') return str(id.invokedBy) ?? 'AWS service';
  return str(id.arn) ?? (str(id.accountId) ? `account ${id.accountId}` : undefined) ?? str(username) ?? str(id.principalId) ?? 'unknown';
}

const TOP = 10;

/** Counts the events per day and operation, principals and sources, for the usage view. */
export function summarizeKeyUsage(fetched: FetchedEvents, options: { keyArn: string; days: number; now?: Date }): KeyUsageReport {
  const now = options.now ?? new Date();
  const from = new Date(now.getTime() - options.days * 24 * 60 * 60 * 1000);
  const dayKeys: string[] = [];
  for (let d = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()); d <= now.getTime(); d += 24 * 60 * 60 * 1000)
    dayKeys.push(new Date(d).toISOString().slice(0, 10));
  const perDay = new Map<string, Map<string, number>>(dayKeys.map((k) => [k, new Map()]));
  const perOperation = new Map<string, number>();
  const principals = new Map<string, { count: number; errors: number }>();
  const sources = new Map<string, number>();
  const events: UsageEvent[] = [];
  for (const e of fetched.events) {
    const time = e.EventTime ? new Date(e.EventTime) : undefined;
    if (!time || Number.isNaN(time.getTime())) continue;
    const record = parseRecord(e.CloudTrailEvent);
    const name = str(e.EventName) ?? 'unknown';
    const principal = principalOf(record, e.Username);
    const address = str(record.sourceIPAddress) ?? 'unknown';
    const day = time.toISOString().slice(0, 10);
    const ops = perDay.get(day);
    if (ops) ops.set(name, (ops.get(name) ?? 0) + 1);
    perOperation.set(name, (perOperation.get(name) ?? 0) + 1);
    const p = principals.get(principal) ?? { count: 0, errors: 0 };
    p.count++;
    if (record.errorCode) p.errors++;
    principals.set(principal, p);
    sources.set(address, (sources.get(address) ?? 0) + 1);
    events.push({
      time: time.toISOString(),
      eventName: name,
      principal,
      sourceIPAddress: address,
      ...(str(record.userAgent) ? { userAgent: record.userAgent } : {}),
      ...(str(record.errorCode) ? { errorCode: record.errorCode } : {}),
      ...(str(e.EventId) ? { eventId: e.EventId } : {}),
    });
  }
  events.sort((a, b) => b.time.localeCompare(a.time));
  const byCount = <T>(m: Map<string, T>, count: (v: T) => number): [string, T][] =>
    [...m.entries()].sort((a, b) => count(b[1]) - count(a[1]) || a[0].localeCompare(b[0]));
  return {
    keyArn: options.keyArn,
    days: options.days,
    from: from.toISOString(),
    to: now.toISOString(),
    totalEvents: events.length,
    truncated: fetched.truncated,
    daily: dayKeys.map((date) => {
      const ops = perDay.get(date) ?? new Map<string, number>();
      return { date, total: [...ops.values()].reduce((a, b) => a + b, 0), byOperation: Object.fromEntries(ops) };
    }),
    operations: byCount(perOperation, (n) => n).map(([name]) => name),
    topPrincipals: byCount(principals, (v) => v.count)
      .slice(0, TOP)
      .map(([principal, v]) => ({ principal, count: v.count, errors: v.errors })),
    topSources: byCount(sources, (n) => n)
      .slice(0, TOP)
      .map(([address, count]) => ({ address, count })),
    events,
    calls: fetched.calls,
    throttled: fetched.throttled,
  };
}
