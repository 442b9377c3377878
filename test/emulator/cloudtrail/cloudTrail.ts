// A CloudTrail of the emulator: every call that passed signature verification is recorded as a
// CloudTrail event (as CloudTrail logs KMS's API calls: userIdentity from the access key,
// sourceIPAddress, the key ARN under resources, requestParameters without plaintext, ciphertext,
// messages, signatures or grant tokens; errorCode/errorMessage for a failed call), and
// CloudTrail's LookupEvents answers from them on the same port (JSON 1.1, X-Amz-Target
// com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents or
// CloudTrail_20131101.LookupEvents as the SDK sends it, signed for the service
// "cloudtrail"), regional as CloudTrail is, for the last 90 days, newest first, at most 2 calls a
// second per account and region (ThrottlingException), as CloudTrail documents.
//
// Events live in memory only (not in the persisted state); tests can add older ones through
// `addEvents` (control API POST /_emulator/cloudtrail/events) to draw a history.
import { createHash, randomUUID } from 'node:crypto';
import { apiError } from '../errors';
import { Input } from '../validate';

/** CloudTrail's X-Amz-Target: the service model's full name, or the short one the SDK for JavaScript v3 sends. */
export const cloudTrailTarget = /^(?:com\.amazonaws\.cloudtrail\.v20131101\.)?CloudTrail_20131101\.(\w+)$/;

const dayMs = 24 * 60 * 60 * 1000;
/** CloudTrail's event history covers 90 days. */
export const retentionMs = 90 * dayMs;
/** LookupEvents: 2 calls per second per account per region. */
export const lookupRatePerSecond = 2;

export interface CallerIdentity {
  accountId: string;
  accessKeyId: string;
  /** The caller's IAM ARN (arn:aws:iam::<account>:user/<name>, or an assumed-role ARN). */
  arn: string;
}

/** What CloudTrail writes for one API call (the CloudTrailEvent JSON). */
export interface TrailEvent {
  eventVersion: string;
  userIdentity: {
    type: string;
    principalId: string;
    arn: string;
    accountId: string;
    accessKeyId: string;
    userName?: string;
    sessionContext?: unknown;
  };
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  requestID: string;
  eventID: string;
  readOnly: boolean;
  resources?: { accountId: string; type: string; ARN: string }[];
  eventType: 'AwsApiCall';
  managementEvent: boolean;
  recipientAccountId: string;
  eventCategory: 'Management';
}

interface Stored {
  seq: number;
  time: number;
  event: TrailEvent;
}

/** Request members CloudTrail never logs: secrets, blobs and tokens. */
const unloggedMembers = new Set([
  'Plaintext',
  'CiphertextBlob',
  'Message',
  'Signature',
  'Mac',
  'GrantTokens',
  'ImportToken',
  'EncryptedKeyMaterial',
  'Recipient',
  'PublicKey',
  'CustomKeyStorePassword',
  'XksProxyAuthenticationCredential',
]);

/** The request's members as CloudTrail logs KMS's: lowerCamelCase names, nothing secret. */
export function loggedParameters(body: Record<string, unknown>): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    if (unloggedMembers.has(name) || value === undefined || value === null) continue;
    out[name.charAt(0).toLowerCase() + name.slice(1)] = value;
  }
  return Object.keys(out).length ? out : null;
}

function identityOf(caller: CallerIdentity): TrailEvent['userIdentity'] {
  const principalId = 'AIDA' + createHash('sha256').update(caller.arn).digest('hex').slice(0, 17).toUpperCase();
  const assumed = /^arn:aws[a-z-]*:sts::\d{12}:assumed-role\/([^/]+)\/(.+)$/.exec(caller.arn);
  if (assumed) {
    return {
      type: 'AssumedRole',
      principalId: `AROA${principalId.slice(4)}:${assumed[2]}`,
      arn: caller.arn,
      accountId: caller.accountId,
      accessKeyId: caller.accessKeyId,
      sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${caller.accountId}:role/${assumed[1]}`, userName: assumed[1] } },
    };
  }
  const user = /:user\/(?:.*\/)?([^/]+)$/.exec(caller.arn);
  return {
    type: user ? 'IAMUser' : 'Unknown',
    principalId,
    arn: caller.arn,
    accountId: caller.accountId,
    accessKeyId: caller.accessKeyId,
    ...(user ? { userName: user[1] } : {}),
  };
}

/** The LookupEvents "Username": the IAM user name, or the role session name. */
function usernameOf(event: TrailEvent): string | undefined {
  const id = event.userIdentity;
  if (id.userName) return id.userName;
  const session = /assumed-role\/[^/]+\/(.+)$/.exec(id.arn);
  return session?.[1];
}

const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const attributeKeys = [
  'EventId',
  'EventName',
  'ReadOnly',
  'Username',
  'ResourceType',
  'ResourceName',
  'EventSource',
  'AccessKeyId',
] as const;
type AttributeKey = (typeof attributeKeys)[number];

function matches(event: TrailEvent, key: AttributeKey, value: string): boolean {
  switch (key) {
    case 'EventId':
      return event.eventID === value;
    case 'EventName':
      return event.eventName === value;
    case 'ReadOnly':
      return String(event.readOnly) === value;
    case 'Username':
      return usernameOf(event) === value;
    case 'ResourceType':
      return (event.resources ?? []).some((r) => r.type === value);
    case 'ResourceName':
      return (event.resources ?? []).some((r) => r.ARN === value);
    case 'EventSource':
      return event.eventSource === value;
    case 'AccessKeyId':
      return event.userIdentity.accessKeyId === value;
  }
}

export interface NewEvent {
  eventName: string;
  /** Epoch milliseconds. */
  time: number;
  region: string;
  caller: CallerIdentity;
  sourceIPAddress: string;
  userAgent?: string;
  eventSource?: string;
  requestParameters?: Record<string, unknown> | null;
  /** Key ARNs the call acted on. */
  keyArns?: readonly string[];
  readOnly?: boolean;
  requestId?: string;
  eventId?: string;
  errorCode?: string;
  errorMessage?: string;
}

export class CloudTrailLog {
  private events: Stored[] = [];
  private seq = 0;
  private readonly recentLookups = new Map<string, number[]>();

  constructor(private readonly accountId: string) {}

  /** Records one call; returns its event id. */
  record(e: NewEvent): string {
    const eventID = e.eventId ?? randomUUID();
    const event: TrailEvent = {
      eventVersion: '1.08',
      userIdentity: identityOf(e.caller),
      eventTime: isoSeconds(e.time),
      eventSource: e.eventSource ?? 'kms.amazonaws.com',
      eventName: e.eventName,
      awsRegion: e.region,
      sourceIPAddress: e.sourceIPAddress,
      userAgent: e.userAgent ?? '',
      ...(e.errorCode ? { errorCode: e.errorCode, errorMessage: e.errorMessage ?? '' } : {}),
      requestParameters: e.requestParameters ?? null,
      responseElements: null,
      requestID: e.requestId ?? randomUUID(),
      eventID,
      readOnly: e.readOnly ?? false,
      ...(e.keyArns?.length ? { resources: e.keyArns.map((arn) => ({ accountId: this.accountId, type: 'AWS::KMS::Key', ARN: arn })) } : {}),
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: this.accountId,
      eventCategory: 'Management',
    };
    this.events.push({ seq: ++this.seq, time: Math.floor(e.time / 1000) * 1000, event });
    return eventID;
  }

  clear(): void {
    this.events = [];
    this.recentLookups.clear();
  }

  count(): number {
    return this.events.length;
  }

  /** Refuses a LookupEvents beyond 2 a second in one region of the account. */
  private throttle(region: string, now: number): void {
    const recent = (this.recentLookups.get(region) ?? []).filter((t) => t > now - 1000);
    if (recent.length >= lookupRatePerSecond) {
      this.recentLookups.set(region, recent);
      throw apiError('ThrottlingException', 'Rate exceeded');
    }
    recent.push(now);
    this.recentLookups.set(region, recent);
  }

  /** CloudTrail's LookupEvents over the recorded events of `region`. */
  lookupEvents(body: Record<string, unknown>, region: string, now = Date.now()): Record<string, unknown> {
    this.throttle(region, now);
    const input = new Input(body);
    const attributes = body.LookupAttributes;
    let filter: { key: AttributeKey; value: string } | undefined;
    if (attributes !== undefined && attributes !== null) {
      if (!Array.isArray(attributes)) throw apiError('SerializationException', 'LookupAttributes: expected a list.');
      if (attributes.length > 1) throw apiError('InvalidLookupAttributesException', 'You cannot specify more than one lookup attribute.');
      if (attributes.length === 1) {
        const a = new Input(attributes[0] as Record<string, unknown>);
        const key = a.string('AttributeKey');
        const value = a.string('AttributeValue');
        if (!key || !(attributeKeys as readonly string[]).includes(key))
          throw apiError(
            'InvalidLookupAttributesException',
            `AttributeKey must be one of ${attributeKeys.join(', ')}, not ${key ?? 'missing'}.`,
          );
        if (!value || value.length > 2000)
          throw apiError('InvalidLookupAttributesException', 'AttributeValue must be 1 to 2000 characters.');
        filter = { key: key as AttributeKey, value };
      }
    }
    const start = timestamp(body.StartTime, 'StartTime');
    const end = timestamp(body.EndTime, 'EndTime');
    if (start !== undefined && end !== undefined && start > end)
      throw apiError('InvalidTimeRangeException', 'Start time must be before end time.');
    const category = input.string('EventCategory');
    if (category !== undefined && category !== 'insight')
      throw apiError('InvalidEventCategoryException', `EventCategory must be insight, not ${category}.`);
    const maxResults = body.MaxResults;
    if (
      maxResults !== undefined &&
      maxResults !== null &&
      (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > 50)
    ) {
      throw apiError('InvalidMaxResultsException', 'MaxResults must be from 1 to 50.');
    }
    const limit = (maxResults as number | undefined) ?? 50;
    const query = createHash('sha256')
      .update(JSON.stringify([region, filter, start, end, category]))
      .digest('hex')
      .slice(0, 16);
    const after = readToken(input.string('NextToken'), query);

    const oldest = now - retentionMs;
    const selected =
      category === 'insight'
        ? []
        : this.events
            .filter((s) => s.event.awsRegion === region && s.time >= oldest)
            .filter((s) => (start === undefined || s.time >= start) && (end === undefined || s.time <= end))
            .filter((s) => !filter || matches(s.event, filter.key, filter.value))
            .sort(newestFirst)
            .filter((s) => !after || newestFirst(s, after) > 0);
    const page = selected.slice(0, limit);
    const last = page[page.length - 1];
    return {
      Events: page.map((s) => ({
        EventId: s.event.eventID,
        EventName: s.event.eventName,
        ReadOnly: String(s.event.readOnly),
        AccessKeyId: s.event.userIdentity.accessKeyId,
        EventTime: s.time / 1000,
        EventSource: s.event.eventSource,
        Username: usernameOf(s.event),
        Resources: (s.event.resources ?? []).map((r) => ({ ResourceType: r.type, ResourceName: r.ARN })),
        CloudTrailEvent: JSON.stringify(s.event),
      })),
      ...(selected.length > limit && last
        ? { NextToken: Buffer.from(JSON.stringify({ q: query, t: last.time, s: last.seq })).toString('base64') }
        : {}),
    };
  }
}

function newestFirst(a: { time: number; seq: number }, b: { time: number; seq: number }): number {
  return b.time - a.time || b.seq - a.seq;
}

function timestamp(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value * 1000;
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value);
  throw apiError('SerializationException', `${field}: expected a timestamp.`);
}

function readToken(token: string | undefined, query: string): { time: number; seq: number } | undefined {
  if (token === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { q?: unknown; t?: unknown; s?: unknown };
    if (parsed.q === query && typeof parsed.t === 'number' && typeof parsed.s === 'number') return { time: parsed.t, seq: parsed.s };
  } catch {
    // falls through to the error below
  }
  throw apiError('InvalidNextTokenException', 'The NextToken is not valid for this request: it belongs to another query or was altered.');
}
