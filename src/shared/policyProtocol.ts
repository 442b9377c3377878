/**
 * The messages between the key-policy editor's webview and its host, used by both ends.
 *
 * - The webview sends `ready` when its script has started; the host posts nothing before
 *   that (and posts `init` again after each `ready`, e.g. when the panel was hidden and its
 *   webview reloaded).
 * - `edit` carries the whole policy text after a form edit (the host keeps the JSON editor
 *   tab in sync). The host answers nothing; it sends `text` back only when the text
 *   changes elsewhere (the JSON tab, a reload, a save).
 * - A `request` has a `requestId`; the host answers each with exactly one `reply` carrying
 *   the same id, so the webview can match replies to requests.
 *
 * Both ends check what they receive with the parse functions below: a message from the
 * other side is data, never trusted.
 */

/** What the webview shows about the key (from DescribeKey and the connection). */
export interface PolicyKeyInfo {
  readonly keyId: string;
  readonly keyArn?: string;
  readonly aliases: readonly string[];
  readonly description?: string;
  readonly accountId?: string;
  readonly partition?: string;
  readonly region: string;
  readonly connectionLabel: string;
  readonly keyUsage?: string;
  readonly keySpec?: string;
  /** A multi-Region key: its console administrators may also replicate it. */
  readonly multiRegion?: boolean;
  readonly keyState?: string;
  readonly keyManager?: string;
}

export type SaveStatus = 'idle' | 'saving' | 'saved' | 'conflict' | 'failed';

export interface InitMessage {
  readonly type: 'init';
  readonly key: PolicyKeyInfo;
  /** The policy being edited (may differ from the server's when the panel was reloaded). */
  readonly text: string;
  /** The policy on the server when the editor opened it or last reloaded/saved it. */
  readonly serverText: string;
  /** Why the policy cannot be changed (an AWS managed key); undefined when it can. */
  readonly readOnly?: string;
  readonly status: SaveStatus;
  readonly statusMessage?: string;
}

export interface TextMessage {
  readonly type: 'text';
  readonly text: string;
  /** Where the change came from: the JSON editor tab, a reload from the server, a save. */
  readonly source: 'jsonEditor' | 'reload' | 'save';
  /** Set with `reload` and `save`: the server's policy now. */
  readonly serverText?: string;
}

export interface StatusMessage {
  readonly type: 'status';
  readonly status: SaveStatus;
  readonly message?: string;
}

/**
 * The host's answer to a request. `result` is what the request's kind returns
 * (`ResultOf<kind>`); the webview checks it with `parseRequestResult` against the kind it
 * asked for, so a reply never needs a cast.
 */
export type ReplyMessage =
  | { readonly type: 'reply'; readonly requestId: number; readonly ok: true; readonly result: unknown }
  | { readonly type: 'reply'; readonly requestId: number; readonly ok: false; readonly error: string };

/** The kinds of IAM Access Analyzer ValidatePolicy findings, most serious first. */
export const SERVICE_FINDING_TYPES = ['ERROR', 'SECURITY_WARNING', 'WARNING', 'SUGGESTION'] as const;
export type ServiceFindingType = (typeof SERVICE_FINDING_TYPES)[number];

/** One ValidatePolicy finding, placed in the policy text it was made for. */
export interface ServiceFinding {
  readonly findingType: ServiceFindingType;
  readonly issueCode: string;
  /** The service's sentence (shown as text). */
  readonly message: string;
  /** An https:// documentation link, when the service gave one. */
  readonly learnMoreLink?: string;
  /** The statement the finding is in (0-based), when its location names one. */
  readonly statementIndex?: number;
  /** Where in the policy, as the service located it ("Statement[1].Principal.AWS"). */
  readonly where: string;
  readonly offset: number;
  readonly length: number;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

/** What a check against a service (Access Analyzer, STS) came to. */
export type ServiceCheckState<T> =
  | { readonly state: 'checking' }
  | ({ readonly state: 'done' } & T)
  | { readonly state: 'unavailable'; readonly reason: string };

/**
 * The service's checks of one policy text: IAM Access Analyzer's ValidatePolicy findings, and
 * the caller's identity (sts:GetCallerIdentity) the lockout check uses. `text` is the policy
 * text the findings are for: the webview shows them only while it shows that text.
 */
export interface ServiceChecksMessage {
  readonly type: 'serviceChecks';
  readonly text: string;
  readonly analyzer: ServiceCheckState<{ readonly findings: readonly ServiceFinding[] }>;
  readonly caller: ServiceCheckState<{ readonly arn: string }>;
}

export type HostMessage = InitMessage | TextMessage | StatusMessage | ReplyMessage | ServiceChecksMessage;

/** What the webview asks the host to do. */
export type PolicyRequest =
  /** Save `text` to KMS: diff, lockout check, PutKeyPolicy. */
  | { readonly kind: 'save'; readonly text: string }
  /** Read the policy from the server again (asks first when there are unsaved changes). */
  | { readonly kind: 'reload' }
  /** Open the policy in a JSON editor tab. */
  | { readonly kind: 'openJson' }
  /** Show the server's policy against `text` in a diff editor. */
  | { readonly kind: 'showDiff'; readonly text: string }
  /** Open the JSON editor with this range selected (a problem's position). */
  | { readonly kind: 'reveal'; readonly offset: number; readonly length: number };

export type RequestKind = PolicyRequest['kind'];

export interface SaveResult {
  readonly saved: boolean;
  /** What happened, in a sentence (also when not saved: cancelled, no changes, conflict…). */
  readonly message: string;
}

export interface DoneResult {
  /** False when the person backed out (of a question, a reload). */
  readonly done: boolean;
}

/** What each request kind returns. */
export interface RequestResults {
  readonly save: SaveResult;
  readonly reload: DoneResult;
  readonly openJson: DoneResult;
  readonly showDiff: DoneResult;
  readonly reveal: DoneResult;
}

export type ResultOf<K extends RequestKind> = RequestResults[K];
export type RequestResult = RequestResults[RequestKind];

/** What a request returns when the person backed out of one of its questions. */
export function cancelledResult<K extends RequestKind>(kind: K): ResultOf<K> {
  return CANCELLED[kind];
}

const CANCELLED: { readonly [K in RequestKind]: RequestResults[K] } = {
  save: { saved: false, message: 'Not saved.' },
  reload: { done: false },
  openJson: { done: false },
  showDiff: { done: false },
  reveal: { done: false },
};

export type WebviewMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'edit'; readonly text: string }
  | { readonly type: 'request'; readonly requestId: number; readonly request: PolicyRequest };

/** More than any policy KMS accepts (32 KB) by far, but bounded. */
export const MAX_MESSAGE_TEXT = 1_000_000;

export type Parsed<T> = { readonly ok: true; readonly message: T } | { readonly ok: false; readonly error: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_MESSAGE_TEXT;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const onlyKeys = (o: Obj, keys: readonly string[]): string | undefined => {
  const extra = Object.keys(o).filter((k) => !keys.includes(k));
  return extra.length ? `unexpected field${extra.length > 1 ? 's' : ''} ${extra.join(', ')}` : undefined;
};
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

function parseRequest(r: unknown): PolicyRequest | string {
  if (!isObj(r)) return 'request is not an object';
  switch (r.kind) {
    case 'save':
    case 'showDiff':
      return (
        onlyKeys(r, ['kind', 'text']) ??
        (isText(r.text)
          ? { kind: r.kind, text: r.text }
          : `${r.kind} needs the policy text (a string up to ${MAX_MESSAGE_TEXT} characters)`)
      );
    case 'reload':
    case 'openJson':
      return onlyKeys(r, ['kind']) ?? { kind: r.kind };
    case 'reveal':
      return (
        onlyKeys(r, ['kind', 'offset', 'length']) ??
        (isCount(r.offset) && isCount(r.length)
          ? { kind: 'reveal', offset: r.offset, length: r.length }
          : 'reveal needs a non-negative offset and length')
      );
    default:
      return `unknown request kind ${JSON.stringify(r.kind)}`;
  }
}

const doneResult = (r: unknown): DoneResult | undefined => (isObj(r) && typeof r.done === 'boolean' ? { done: r.done } : undefined);

const RESULT_PARSERS: { readonly [K in RequestKind]: (raw: unknown) => RequestResults[K] | undefined } = {
  save: (r) => (isObj(r) && typeof r.saved === 'boolean' && isText(r.message) ? { saved: r.saved, message: r.message } : undefined),
  reload: doneResult,
  openJson: doneResult,
  showDiff: doneResult,
  reveal: doneResult,
};

/** The result of a reply to a request of this kind, or undefined when it is not what that kind returns. */
export function parseRequestResult<K extends RequestKind>(kind: K, raw: unknown): ResultOf<K> | undefined {
  return RESULT_PARSERS[kind](raw);
}

/** Checks a message from the webview (the host calls this on everything it receives). */
export function parseWebviewMessage(raw: unknown): Parsed<WebviewMessage> {
  if (!isObj(raw)) return fail('the message is not an object');
  switch (raw.type) {
    case 'ready': {
      const extra = onlyKeys(raw, ['type']);
      return extra ? fail(extra) : { ok: true, message: { type: 'ready' } };
    }
    case 'edit': {
      const extra = onlyKeys(raw, ['type', 'text']);
      if (extra) return fail(extra);
      return isText(raw.text)
        ? { ok: true, message: { type: 'edit', text: raw.text } }
        : fail(`edit needs the policy text (a string up to ${MAX_MESSAGE_TEXT} characters)`);
    }
    case 'request': {
      const extra = onlyKeys(raw, ['type', 'requestId', 'request']);
      if (extra) return fail(extra);
      if (!isCount(raw.requestId)) return fail('requestId must be a non-negative integer');
      const request = parseRequest(raw.request);
      return typeof request === 'string' ? fail(request) : { ok: true, message: { type: 'request', requestId: raw.requestId, request } };
    }
    default:
      return fail(`unknown message type ${JSON.stringify(raw.type)}`);
  }
}

function parseCheckState<T>(raw: unknown, done: (o: Obj) => T | undefined): ServiceCheckState<T> | undefined {
  if (!isObj(raw)) return undefined;
  if (raw.state === 'checking') return { state: 'checking' };
  if (raw.state === 'unavailable') return typeof raw.reason === 'string' ? { state: 'unavailable', reason: raw.reason } : undefined;
  if (raw.state !== 'done') return undefined;
  const value = done(raw);
  return value ? { state: 'done', ...value } : undefined;
}

function isServiceFinding(f: unknown): boolean {
  if (!isObj(f)) return false;
  if (!(SERVICE_FINDING_TYPES as readonly unknown[]).includes(f.findingType)) return false;
  if (typeof f.issueCode !== 'string' || typeof f.message !== 'string' || typeof f.where !== 'string') return false;
  if (f.learnMoreLink !== undefined && (typeof f.learnMoreLink !== 'string' || !f.learnMoreLink.startsWith('https://'))) return false;
  if (f.statementIndex !== undefined && !isCount(f.statementIndex)) return false;
  return isCount(f.offset) && isCount(f.length) && isCount(f.line) && isCount(f.column);
}

const STATUSES: readonly SaveStatus[] = ['idle', 'saving', 'saved', 'conflict', 'failed'];

function parseKeyInfo(k: unknown): PolicyKeyInfo | undefined {
  if (!isObj(k) || typeof k.keyId !== 'string' || typeof k.region !== 'string' || typeof k.connectionLabel !== 'string') return undefined;
  if (!Array.isArray(k.aliases) || !k.aliases.every((a) => typeof a === 'string')) return undefined;
  const optional = ['keyArn', 'description', 'accountId', 'partition', 'keyUsage', 'keySpec', 'keyState', 'keyManager'];
  if (optional.some((f) => k[f] !== undefined && typeof k[f] !== 'string')) return undefined;
  if (k.multiRegion !== undefined && typeof k.multiRegion !== 'boolean') return undefined;
  return k as unknown as PolicyKeyInfo;
}

/** Checks a message from the host (the webview calls this on everything it receives). */
export function parseHostMessage(raw: unknown): Parsed<HostMessage> {
  if (!isObj(raw)) return fail('the message is not an object');
  switch (raw.type) {
    case 'init': {
      const key = parseKeyInfo(raw.key);
      if (!key) return fail('init has no valid key');
      if (!isText(raw.text) || !isText(raw.serverText)) return fail('init needs text and serverText');
      if (raw.readOnly !== undefined && typeof raw.readOnly !== 'string') return fail('readOnly must be a string');
      if (!STATUSES.includes(raw.status as SaveStatus)) return fail('init has an unknown status');
      if (raw.statusMessage !== undefined && typeof raw.statusMessage !== 'string') return fail('statusMessage must be a string');
      return {
        ok: true,
        message: {
          type: 'init',
          key,
          text: raw.text,
          serverText: raw.serverText,
          readOnly: raw.readOnly,
          status: raw.status as SaveStatus,
          statusMessage: raw.statusMessage,
        },
      };
    }
    case 'text': {
      if (!isText(raw.text)) return fail('text needs the policy text');
      if (raw.source !== 'jsonEditor' && raw.source !== 'reload' && raw.source !== 'save') return fail('text has an unknown source');
      if (raw.serverText !== undefined && !isText(raw.serverText)) return fail('serverText must be a string');
      return { ok: true, message: { type: 'text', text: raw.text, source: raw.source, serverText: raw.serverText } };
    }
    case 'status': {
      if (!STATUSES.includes(raw.status as SaveStatus)) return fail('unknown status');
      if (raw.message !== undefined && typeof raw.message !== 'string') return fail('message must be a string');
      return { ok: true, message: { type: 'status', status: raw.status as SaveStatus, message: raw.message } };
    }
    case 'serviceChecks': {
      if (!isText(raw.text)) return fail('serviceChecks needs the policy text');
      const analyzer = parseCheckState(raw.analyzer, (o) =>
        Array.isArray(o.findings) && o.findings.every(isServiceFinding) ? { findings: o.findings as ServiceFinding[] } : undefined,
      );
      const caller = parseCheckState(raw.caller, (o) => (typeof o.arn === 'string' ? { arn: o.arn } : undefined));
      if (!analyzer || !caller) return fail('serviceChecks has an invalid analyzer or caller state');
      return { ok: true, message: { type: 'serviceChecks', text: raw.text, analyzer, caller } };
    }
    case 'reply': {
      if (!isCount(raw.requestId) || typeof raw.ok !== 'boolean') return fail('reply needs requestId and ok');
      if (raw.ok) return { ok: true, message: { type: 'reply', requestId: raw.requestId, ok: true, result: raw.result } };
      return {
        ok: true,
        message: {
          type: 'reply',
          requestId: raw.requestId,
          ok: false,
          error: typeof raw.error === 'string' ? raw.error : 'The request failed.',
        },
      };
    }
    default:
      return fail(`unknown message type ${JSON.stringify(raw.type)}`);
  }
}
