// A local AWS KMS that the real AWS SDK and the AWS CLI accept unchanged: KMS's JSON 1.1 wire
// protocol on POST /, SigV4 verified on every request, real cryptography, KMS's key states and
// errors. One emulator serves every region (the region a request was signed for). A development
// tool for the tests and the demo; never part of the packaged extension.
//
// Also answers an unsigned control API under /_emulator/ (see controlApi.ts) for tests in another
// process: call counts, fault injection, seeding, reset, forcing a key state.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { handleControlRequest } from './controlApi';
import type { OpContext } from './context';
import { apiError, KmsApiError } from './errors';
import { CallCounter, Faults } from './faults';
import { operations } from './operations/registry';
import { forwardToPeer, peerFor } from './peers';
import { applySeed, loadSeedFile, type SeedDocument, type SeedResult } from './seed';
import { handleSts, isQueryRequest } from './sts';
import { handleValidatePolicy, isValidatePolicyRequest } from './accessAnalyzer/validatePolicy';
import { type EmulatorCredential, callerArnOf, verifySignature } from './sigv4';
import { CloudTrailLog, cloudTrailTarget, loggedParameters, type NewEvent } from './cloudtrail/cloudTrail';
import { recordKeyUse } from './operations/lastUsage';
import { resolveKey as resolveKeyParam } from './resolve';
import { dayMs, Store } from './state';
import { type KeyState, keyStates } from './types';
import { Input } from './validate';

export type { EmulatorCredential } from './sigv4';
export type { FaultSpec, FaultError } from './faults';
export type { SeedDocument, SeedKey, SeedAlias, SeedGrant, SeedResult } from './seed';
export type { KeyState } from './types';

export interface EmulatorOptions {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** Default 111122223333. */
  accountId?: string;
  /** Access key pairs whose signatures are accepted; default [{ test, test }]. */
  credentials?: EmulatorCredential[];
  /** A seed document, or the path of a .json, .yaml or .yml file holding one. */
  seed?: SeedDocument | string;
  /**
   * File the state (keys with their material) is loaded from at start and saved to after each
   * change. When the file exists, the seed is not applied again.
   */
  persistPath?: string;
  /** Same as persistPath = <persistDir>/kms-emulator-state.json. */
  persistDir?: string;
  /** Region of seed entries that name none. Default us-east-1. */
  defaultRegion?: string;
  /** Lifetime limit of RotateKeyOnDemand per key; default 10. */
  onDemandRotationLimit?: number;
  /**
   * Answer sts:GetCallerIdentity on the same port (default true). false imitates servers
   * without STS (local-kms): such requests are refused as KMS refuses an unknown request.
   */
  sts?: boolean;
  /**
   * Answer IAM Access Analyzer's ValidatePolicy (POST /policy/validation) on the same port with
   * a documented subset of its findings (default true). false: such requests are refused as KMS
   * refuses an unknown request. Switchable later with `setServices`.
   */
  accessAnalyzer?: boolean;
  /**
   * Emulators of other accounts, by account id → URL: requests naming their key ARNs (and
   * Decrypts of blobs of keys not here) are forwarded to them, as KMS serves another account's
   * key (see peers.ts). Settable later with `setPeers`.
   */
  peers?: Record<string, string>;
  /**
   * Answer as moto and LocalStack do for a key made by CreateKey without KeyUsage: DescribeKey,
   * CreateKey (and ReplicateKey) send `KeyUsage: null` (real KMS always sends ENCRYPT_DECRYPT).
   */
  omitKeyUsage?: boolean;
  /** With omitKeyUsage: no `KeySpec` either, only `CustomerMasterKeySpec` (older moto). */
  omitKeySpec?: boolean;
  /** When GetKeyLastUsage's tracking began (epoch ms or ISO date); default 2025-11-01. */
  keyUsageTrackingStart?: number | string;
}

export interface Emulator {
  /** http://127.0.0.1:PORT, the endpoint for the SDK (`endpoint`) and the CLI (`--endpoint-url`). */
  readonly url: string;
  readonly port: number;
  readonly accountId: string;
  /** Fault injection per operation (see faults.ts). */
  readonly faults: Faults;
  /** Requests that reached dispatch of this operation (faulted ones included) since the last reset. */
  callCount(operation: string): number;
  calls(): Record<string, number>;
  resetCalls(): void;
  /** Adds a seed document (or file) to the current state. */
  seed(doc: SeedDocument | string): SeedResult;
  /** Back to the state at start (empty, then options.seed); clears faults and call counts. */
  reset(): void;
  /** Forces a key into a state (e.g. Unavailable, PendingImport) for tests. */
  setKeyState(region: string, keyId: string, state: KeyState): void;
  /** Replaces the emulators of other accounts (account id → URL). */
  setPeers(peers: Record<string, string>): void;
  /** The CloudTrail events recorded from the calls made (LookupEvents answers from them). */
  readonly cloudTrail: CloudTrailLog;
  /** Accepts one more access key (e.g. a second principal) from now on. */
  addCredential(credential: EmulatorCredential): void;
  /** Moves the emulator's clock forward (import tokens and imported material expire, deletions happen); returns the offset. */
  advanceClock(ms: number): number;
  /** The next connection attempt of a custom key store fails with this ConnectionErrorCode. */
  failNextConnection(customKeyStoreId: string, connectionErrorCode: string): void;
  /** Turns the other services on the port on or off (STS, Access Analyzer); returns what is served now. */
  setServices(services: { sts?: boolean; accessAnalyzer?: boolean }): { sts: boolean; accessAnalyzer: boolean };
  close(): Promise<void>;
}

const jsonContentType = 'application/x-amz-json-1.1';
const maxBodyBytes = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        reject(apiError('SerializationException', `Request body larger than ${maxBodyBytes} bytes.`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, contentType = jsonContentType, requestId = randomUUID()): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'x-amzn-RequestId': requestId });
  res.end(text);
}

function sendError(res: ServerResponse, error: KmsApiError): void {
  sendJson(res, error.status, error.body());
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function parseBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw apiError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw apiError('SerializationException', 'The request body must be a JSON object.');
  return parsed as Record<string, unknown>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const accountId = options.accountId ?? '111122223333';
  if (!/^\d{12}$/.test(accountId)) throw new Error(`accountId must be 12 digits, not ${accountId}`);
  const credentials = [...(options.credentials ?? [{ accessKeyId: 'test', secretAccessKey: 'test' }])];
  const defaultRegion = options.defaultRegion ?? 'us-east-1';
  const persistPath = options.persistPath ?? (options.persistDir ? join(options.persistDir, 'kms-emulator-state.json') : undefined);
  const store = new Store(accountId, persistPath);
  if (options.onDemandRotationLimit !== undefined) store.onDemandRotationLimit = options.onDemandRotationLimit;
  if (options.omitKeyUsage) store.motoKeyMetadata = { omitKeySpec: options.omitKeySpec ?? false };
  if (options.keyUsageTrackingStart !== undefined) {
    const start =
      typeof options.keyUsageTrackingStart === 'number' ? options.keyUsageTrackingStart : Date.parse(options.keyUsageTrackingStart);
    if (!Number.isFinite(start))
      throw new Error(`keyUsageTrackingStart must be epoch milliseconds or an ISO date, not ${String(options.keyUsageTrackingStart)}`);
    store.usageTrackingStart = start;
  }
  const cloudTrail = new CloudTrailLog(accountId);
  const faults = new Faults();
  const counter = new CallCounter();
  let serveSts = options.sts ?? true;
  let serveAnalyzer = options.accessAnalyzer ?? true;
  const setServices = (next: { sts?: boolean; accessAnalyzer?: boolean }): { sts: boolean; accessAnalyzer: boolean } => {
    if (next.sts !== undefined) serveSts = next.sts;
    if (next.accessAnalyzer !== undefined) serveAnalyzer = next.accessAnalyzer;
    return { sts: serveSts, accessAnalyzer: serveAnalyzer };
  };
  let peers: Record<string, string> = { ...(options.peers ?? {}) };

  const seed = (doc: SeedDocument | string): SeedResult => {
    const result = applySeed(store, typeof doc === 'string' ? loadSeedFile(doc) : doc, defaultRegion);
    store.save();
    return result;
  };
  const initialState = (): void => {
    store.clear();
    if (options.seed !== undefined)
      applySeed(store, typeof options.seed === 'string' ? loadSeedFile(options.seed) : options.seed, defaultRegion);
    store.save();
  };
  if (!store.load()) initialState();

  const setKeyState = (region: string, keyId: string, state: KeyState): void => {
    if (!(keyStates as readonly string[]).includes(state))
      throw new Error(`unknown key state ${String(state)}; one of ${keyStates.join(', ')}`);
    const key = store.getKey(region, keyId);
    if (!key) throw new Error(`no key ${keyId} in ${region}`);
    key.state = state;
    if (state === 'PendingDeletion') {
      key.pendingWindowInDays ??= 30;
      key.deletionDate ??= store.now() + key.pendingWindowInDays * dayMs;
    } else if (state !== 'PendingReplicaDeletion') {
      key.deletionDate = undefined;
      key.pendingWindowInDays = undefined;
    }
    store.save();
  };

  const addCredential = (credential: EmulatorCredential): void => {
    if (!credential.accessKeyId || !credential.secretAccessKey) throw new Error('a credential needs accessKeyId and secretAccessKey');
    const index = credentials.findIndex((c) => c.accessKeyId === credential.accessKeyId);
    if (index >= 0) credentials[index] = { ...credential };
    else credentials.push({ ...credential });
  };
  const advanceClock = (ms: number): number => {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`the clock only moves forward: ${String(ms)}`);
    store.clockOffsetMs += ms;
    return store.clockOffsetMs;
  };
  const failNextConnection = (customKeyStoreId: string, code: string): void => {
    const target = store.customKeyStores.find((s) => s.CustomKeyStoreId === customKeyStoreId);
    if (!target) throw new Error(`no custom key store ${customKeyStoreId}`);
    target.nextConnectionError = code;
  };

  const reset = (): void => {
    store.clockOffsetMs = 0;
    initialState();
    faults.clear();
    counter.reset();
    cloudTrail.clear();
  };

  async function handleKms(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    if (req.method !== 'POST')
      throw apiError('UnsupportedOperationException', `KMS answers POST / only, not ${req.method ?? '?'} ${req.url ?? ''}.`);
    const target = req.headers['x-amz-target'];
    const match = typeof target === 'string' ? /^TrentService\.(\w+)$/.exec(target) : null;
    if (!match)
      throw apiError(
        'UnsupportedOperationException',
        `X-Amz-Target must be TrentService.<Operation>, not ${typeof target === 'string' ? target : 'missing'}.`,
      );
    const operationName = match[1];
    const caller = await verifySignature({ method: req.method, url: req.url ?? '/', headers: req.headers, body }, credentials);

    counter.record(operationName);
    const outcome = faults.next(operationName);
    if (outcome.latencyMs > 0) await sleep(outcome.latencyMs);
    if (outcome.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    const callerArn = callerArnOf(accountId, caller);
    const requestId = randomUUID();
    const now = store.now();
    const ctx: OpContext = { store, region: caller.region, accountId, callerArn, operation: operationName, now };
    const operation = operations[operationName];
    // Every call that got this far is a CloudTrail event, failed ones with their error.
    const event: NewEvent = {
      eventName: operationName,
      time: now,
      region: caller.region,
      caller: { accountId, accessKeyId: caller.accessKeyId, arn: callerArn },
      sourceIPAddress: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
      readOnly: operation?.readOnly ?? false,
      requestId,
    };
    let parsed: Record<string, unknown> = {};
    try {
      if (outcome.kind === 'fail') throw outcome.error;
      parsed = parseBody(body);
      // Another account's key: that account's emulator answers (and records the event), as KMS serves it.
      const peer = Object.keys(peers).length
        ? peerFor(parsed, { accountId, peers, hasLocalKey: (keyId) => store.getKey(caller.region, keyId) !== undefined })
        : undefined;
      if (peer) {
        await forwardToPeer(peer, req, body, res);
        return;
      }
      if (!operation) throw apiError('UnsupportedOperationException', `The KMS emulator does not implement ${operationName}.`);
      const input = new Input(parsed);
      store.sweep();
      const output = await operation.handler(input, ctx);
      event.keyArns = keyArnsOf(ctx, output, parsed);
      event.requestParameters = loggedParameters(parsed);
      event.eventId = cloudTrail.record(event);
      const used = recordKeyUse(store, operationName, output, { time: now, eventId: event.eventId, requestId });
      if (!operation.readOnly || used) store.save();
      sendJson(res, 200, output, jsonContentType, requestId);
    } catch (error) {
      if (!event.eventId) {
        event.keyArns = keyArnsOf(ctx, {}, parsed);
        event.requestParameters = loggedParameters(parsed);
        event.errorCode = error instanceof KmsApiError ? error.errorName : 'InternalFailure';
        event.errorMessage = error instanceof Error ? error.message : String(error);
        cloudTrail.record(event);
      }
      throw error;
    }
  }

  /** The key ARNs a call acted on: from the answer (KeyId, SourceKeyId, KeyMetadata), else the request's key parameter. */
  function keyArnsOf(ctx: OpContext, output: Record<string, unknown>, input: Record<string, unknown>): string[] {
    const arns = new Set<string>();
    for (const value of [output.SourceKeyId, output.KeyId, (output.KeyMetadata as { Arn?: unknown } | undefined)?.Arn]) {
      if (typeof value === 'string' && value.startsWith('arn:')) arns.add(value);
    }
    if (arns.size === 0) {
      for (const field of ['KeyId', 'TargetKeyId', 'SourceKeyId', 'DestinationKeyId']) {
        const value = input[field];
        if (typeof value !== 'string') continue;
        try {
          arns.add(store.arnOf(resolveKeyParam(ctx, value, { aliases: true })));
        } catch {
          // not a key of this account and region: nothing to name
        }
      }
    }
    return [...arns];
  }

  async function handleCloudTrail(req: IncomingMessage, res: ServerResponse, body: Buffer, target: string): Promise<void> {
    if (req.method !== 'POST') throw apiError('UnsupportedOperationException', `CloudTrail answers POST / only, not ${req.method ?? '?'}.`);
    const caller = await verifySignature(
      { method: req.method, url: req.url ?? '/', headers: req.headers, body },
      credentials,
      new Date(),
      'cloudtrail',
    );
    const operationName = cloudTrailTarget.exec(target)?.[1] ?? target;
    counter.record(`CloudTrail.${operationName}`);
    if (operationName !== 'LookupEvents')
      throw apiError('UnsupportedOperationException', `The emulator's CloudTrail implements LookupEvents only, not ${operationName}.`);
    const callerArn = callerArnOf(accountId, caller);
    const event: NewEvent = {
      eventName: operationName,
      eventSource: 'cloudtrail.amazonaws.com',
      time: Date.now(),
      region: caller.region,
      caller: { accountId, accessKeyId: caller.accessKeyId, arn: callerArn },
      sourceIPAddress: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
      readOnly: true,
    };
    let parsed: Record<string, unknown> = {};
    try {
      parsed = parseBody(body);
      const output = cloudTrail.lookupEvents(parsed, caller.region);
      // Recorded after answering from the log, so a lookup does not see itself (CloudTrail delivers later too).
      cloudTrail.record({ ...event, requestParameters: loggedParameters(parsed) });
      sendJson(res, 200, output);
    } catch (error) {
      cloudTrail.record({
        ...event,
        requestParameters: loggedParameters(parsed),
        errorCode: error instanceof KmsApiError ? error.errorName : 'InternalFailure',
        errorMessage: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  }

  const server = createServer((req, res) => {
    const handle = async (): Promise<void> => {
      if (!isLoopback(req.socket.remoteAddress)) {
        req.socket.destroy();
        return;
      }
      const body = await readBody(req);
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/_emulator' || path.startsWith('/_emulator/')) {
        await handleControlRequest(req, res, body, {
          url: emulator.url,
          accountId,
          faults,
          counter,
          seed,
          reset,
          setKeyState,
          advanceClock,
          failNextConnection,
          operations: Object.keys(operations),
          cloudTrail,
          addCredential,
          setServices,
        });
        return;
      }
      const target = req.headers['x-amz-target'];
      if (typeof target === 'string' && cloudTrailTarget.test(target)) {
        await handleCloudTrail(req, res, body, target);
        return;
      }
      if (serveAnalyzer && isValidatePolicyRequest(req)) {
        await handleValidatePolicy(req, res, body, { credentials, record: (operation) => counter.record(operation) });
        return;
      }
      if (serveSts && isQueryRequest(req)) {
        await handleSts(req, res, body, { accountId, credentials, record: (operation) => counter.record(operation) });
        return;
      }
      await handleKms(req, res, body);
    };
    handle().catch((error: unknown) => {
      if (error instanceof KmsApiError) sendError(res, error);
      else
        sendError(
          res,
          apiError('KMSInternalException', `The KMS emulator failed: ${error instanceof Error ? error.message : String(error)}`),
        );
    });
  });
  server.keepAliveTimeout = 5000;

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });

  const emulator: Emulator = {
    cloudTrail,
    addCredential,
    url: `http://127.0.0.1:${port}`,
    port,
    accountId,
    faults,
    callCount: (operation) => counter.get(operation),
    calls: () => counter.all(),
    resetCalls: () => counter.reset(),
    seed,
    reset,
    setKeyState,
    setPeers: (next) => {
      peers = { ...next };
    },
    advanceClock,
    failNextConnection,
    setServices,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
  return emulator;
}
