// The emulator's control API, unsigned, under /_emulator/ on the same port (loopback only), for
// tests that run in another process than the emulator. EmulatorControl (control.ts) is its client.
//
//   GET    /_emulator/health                         {status, url, accountId, operations}
//   GET    /_emulator/calls                          {calls: {Operation: count}}
//   POST   /_emulator/calls/reset                    {}
//   GET    /_emulator/faults                         {faults: {Operation: remaining spec}}
//   POST   /_emulator/faults                         body {operation, latencyMs?, throttle?, failOnCall?, error?, drop?}
//   DELETE /_emulator/faults[?operation=Name]        {}
//   POST   /_emulator/seed                           body: a seed document → SeedResult
//   POST   /_emulator/reset                          {}
//   POST   /_emulator/keys/<region>/<keyId>/state    body {state} → {region, keyId, state}
//   POST   /_emulator/credentials                    body {accessKeyId, secretAccessKey, principal?} → {}
//   POST   /_emulator/cloudtrail/events              body {events: [{eventName, time, keyArn?, region?,
//                                                     principal?, accessKeyId?, sourceIPAddress?}]} → {count}
//   POST   /_emulator/clock                          body {advanceMs} → {offsetMs} (the clock only moves forward)
//   POST   /_emulator/custom-key-stores/<id>/connection-error   body {code} → {} (the next connection attempt fails)
//   POST   /_emulator/services                       body {sts?, accessAnalyzer?} (booleans) → {sts, accessAnalyzer} served now
//
// Errors: {"error": "<message>"} with status 400 (bad request) or 404 (no such route or key).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CloudTrailLog } from './cloudtrail/cloudTrail';
import type { CallCounter, Faults } from './faults';
import { callerArnOf, type EmulatorCredential } from './sigv4';
import type { SeedDocument, SeedResult } from './seed';
import type { KeyState } from './types';

export interface ControlTarget {
  url: string;
  accountId: string;
  faults: Faults;
  counter: CallCounter;
  seed(doc: SeedDocument): SeedResult;
  reset(): void;
  setKeyState(region: string, keyId: string, state: KeyState): void;
  advanceClock(ms: number): number;
  failNextConnection(customKeyStoreId: string, code: string): void;
  operations: string[];
  cloudTrail: CloudTrailLog;
  addCredential(credential: EmulatorCredential): void;
  setServices(services: { sts?: boolean; accessAnalyzer?: boolean }): { sts: boolean; accessAnalyzer: boolean };
}

class ControlError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function jsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ControlError('the body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ControlError('the body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function route(req: IncomingMessage, body: Buffer, target: ControlTarget): unknown {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname.replace(/\/+$/, '');
  const method = req.method ?? 'GET';
  const is = (m: string, p: string): boolean => method === m && path === p;

  if (is('GET', '/_emulator/health')) return { status: 'ok', url: target.url, accountId: target.accountId, operations: target.operations };
  if (is('GET', '/_emulator/calls')) return { calls: target.counter.all() };
  if (is('POST', '/_emulator/calls/reset')) {
    target.counter.reset();
    return {};
  }
  if (is('GET', '/_emulator/faults')) return { faults: target.faults.list() };
  if (is('POST', '/_emulator/faults')) {
    const { operation, ...spec } = jsonBody(body);
    if (typeof operation !== 'string' || !operation) throw new ControlError('operation (an operation name, or "*") is required');
    try {
      target.faults.set(operation, spec);
    } catch (error) {
      throw new ControlError(error instanceof Error ? error.message : String(error));
    }
    return { faults: target.faults.list() };
  }
  if (is('DELETE', '/_emulator/faults')) {
    target.faults.clear(url.searchParams.get('operation') ?? undefined);
    return {};
  }
  if (is('POST', '/_emulator/seed')) {
    try {
      return target.seed(jsonBody(body));
    } catch (error) {
      throw new ControlError(`seed refused: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (is('POST', '/_emulator/reset')) {
    target.reset();
    return {};
  }
  if (is('POST', '/_emulator/credentials')) {
    const { accessKeyId, secretAccessKey, principal } = jsonBody(body);
    if (typeof accessKeyId !== 'string' || typeof secretAccessKey !== 'string' || !accessKeyId || !secretAccessKey)
      throw new ControlError('accessKeyId and secretAccessKey (strings) are required');
    if (principal !== undefined && typeof principal !== 'string')
      throw new ControlError('principal must be a string (an IAM user name or ARN)');
    target.addCredential({ accessKeyId, secretAccessKey, ...(principal ? { principal } : {}) });
    return {};
  }
  if (is('POST', '/_emulator/cloudtrail/events')) {
    const { events } = jsonBody(body);
    if (!Array.isArray(events)) throw new ControlError('events (a list) is required');
    for (const [i, raw] of events.entries()) {
      const e = raw as Record<string, unknown>;
      const time = typeof e.time === 'number' ? e.time : typeof e.time === 'string' ? Date.parse(e.time) : NaN;
      if (typeof e.eventName !== 'string' || !Number.isFinite(time))
        throw new ControlError(`events[${i}] needs eventName and time (epoch ms or an ISO date)`);
      const keyArn = typeof e.keyArn === 'string' ? e.keyArn : undefined;
      const region = typeof e.region === 'string' ? e.region : (keyArn?.split(':')[3] ?? 'us-east-1');
      const accessKeyId = typeof e.accessKeyId === 'string' ? e.accessKeyId : 'test';
      const principal = typeof e.principal === 'string' ? e.principal : undefined;
      target.cloudTrail.record({
        eventName: e.eventName,
        time,
        region,
        caller: { accountId: target.accountId, accessKeyId, arn: callerArnOf(target.accountId, { accessKeyId, principal }) },
        sourceIPAddress: typeof e.sourceIPAddress === 'string' ? e.sourceIPAddress : '127.0.0.1',
        keyArns: keyArn ? [keyArn] : [],
        requestParameters: keyArn ? { keyId: keyArn } : null,
        readOnly: true,
      });
    }
    return { count: events.length };
  }
  if (is('POST', '/_emulator/clock')) {
    const { advanceMs } = jsonBody(body);
    if (typeof advanceMs !== 'number' || !(advanceMs >= 0)) throw new ControlError('advanceMs (milliseconds, 0 or more) is required');
    return { offsetMs: target.advanceClock(advanceMs) };
  }
  if (is('POST', '/_emulator/services')) {
    const { sts, accessAnalyzer, ...rest } = jsonBody(body);
    if (Object.keys(rest).length)
      throw new ControlError(`unknown services ${Object.keys(rest).join(', ')}: sts and accessAnalyzer can be switched`);
    if ((sts !== undefined && typeof sts !== 'boolean') || (accessAnalyzer !== undefined && typeof accessAnalyzer !== 'boolean'))
      throw new ControlError('sts and accessAnalyzer must be true or false');
    return target.setServices({ sts, accessAnalyzer });
  }
  const connectionError = /^\/_emulator\/custom-key-stores\/([^/]+)\/connection-error$/.exec(path);
  if (connectionError && method === 'POST') {
    const { code } = jsonBody(body);
    if (typeof code !== 'string' || !code) throw new ControlError('code (a ConnectionErrorCode) is required');
    try {
      target.failNextConnection(decodeURIComponent(connectionError[1]), code);
    } catch (error) {
      throw new ControlError(error instanceof Error ? error.message : String(error), 404);
    }
    return {};
  }
  const keyState = /^\/_emulator\/keys\/([^/]+)\/([^/]+)\/state$/.exec(path);
  if (keyState && method === 'POST') {
    const region = decodeURIComponent(keyState[1]);
    const keyId = decodeURIComponent(keyState[2]);
    const { state } = jsonBody(body);
    try {
      target.setKeyState(region, keyId, state as KeyState);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new ControlError(message, message.startsWith('no key') ? 404 : 400);
    }
    return { region, keyId, state };
  }
  throw new ControlError(`no control route ${method} ${url.pathname}`, 404);
}

export function handleControlRequest(req: IncomingMessage, res: ServerResponse, body: Buffer, target: ControlTarget): Promise<void> {
  try {
    send(res, 200, route(req, body, target));
  } catch (error) {
    if (error instanceof ControlError) send(res, error.status, { error: error.message });
    else throw error;
  }
  return Promise.resolve();
}
