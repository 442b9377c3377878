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
import { applySeed, loadSeedFile, type SeedDocument, type SeedResult } from './seed';
import { type EmulatorCredential, verifySignature } from './sigv4';
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
  /** Moves the emulator's clock forward (import tokens and imported material expire, deletions happen); returns the offset. */
  advanceClock(ms: number): number;
  /** The next connection attempt of a custom key store fails with this ConnectionErrorCode. */
  failNextConnection(customKeyStoreId: string, connectionErrorCode: string): void;
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

function sendJson(res: ServerResponse, status: number, body: unknown, contentType = jsonContentType): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'x-amzn-RequestId': randomUUID() });
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
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw apiError('SerializationException', 'The request body must be a JSON object.');
  return parsed as Record<string, unknown>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const accountId = options.accountId ?? '111122223333';
  if (!/^\d{12}$/.test(accountId)) throw new Error(`accountId must be 12 digits, not ${accountId}`);
  const credentials = options.credentials ?? [{ accessKeyId: 'test', secretAccessKey: 'test' }];
  const defaultRegion = options.defaultRegion ?? 'us-east-1';
  const persistPath = options.persistPath ?? (options.persistDir ? join(options.persistDir, 'kms-emulator-state.json') : undefined);
  const store = new Store(accountId, persistPath);
  if (options.onDemandRotationLimit !== undefined) store.onDemandRotationLimit = options.onDemandRotationLimit;
  const faults = new Faults();
  const counter = new CallCounter();

  const seed = (doc: SeedDocument | string): SeedResult => {
    const result = applySeed(store, typeof doc === 'string' ? loadSeedFile(doc) : doc, defaultRegion);
    store.save();
    return result;
  };
  const initialState = (): void => {
    store.clear();
    if (options.seed !== undefined) applySeed(store, typeof options.seed === 'string' ? loadSeedFile(options.seed) : options.seed, defaultRegion);
    store.save();
  };
  if (!store.load()) initialState();

  const setKeyState = (region: string, keyId: string, state: KeyState): void => {
    if (!(keyStates as readonly string[]).includes(state)) throw new Error(`unknown key state ${String(state)}; one of ${keyStates.join(', ')}`);
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
  };

  async function handleKms(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    if (req.method !== 'POST') throw apiError('UnsupportedOperationException', `KMS answers POST / only, not ${req.method ?? '?'} ${req.url ?? ''}.`);
    const target = req.headers['x-amz-target'];
    const match = typeof target === 'string' ? /^TrentService\.(\w+)$/.exec(target) : null;
    if (!match) throw apiError('UnsupportedOperationException', `X-Amz-Target must be TrentService.<Operation>, not ${typeof target === 'string' ? target : 'missing'}.`);
    const operationName = match[1];
    const caller = await verifySignature({ method: req.method, url: req.url ?? '/', headers: req.headers, body }, credentials);

    counter.record(operationName);
    const outcome = faults.next(operationName);
    if (outcome.latencyMs > 0) await sleep(outcome.latencyMs);
    if (outcome.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (outcome.kind === 'fail') throw outcome.error;

    const operation = operations[operationName];
    if (!operation) throw apiError('UnsupportedOperationException', `The KMS emulator does not implement ${operationName}.`);
    const input = new Input(parseBody(body));
    store.sweep();
    const ctx: OpContext = { store, region: caller.region, accountId, callerArn: `arn:aws:iam::${accountId}:user/${caller.accessKeyId}`, operation: operationName, now: store.now() };
    const output = await operation.handler(input, ctx);
    if (!operation.readOnly) store.save();
    sendJson(res, 200, output);
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
        await handleControlRequest(req, res, body, { url: emulator.url, accountId, faults, counter, seed, reset, setKeyState, advanceClock, failNextConnection, operations: Object.keys(operations) });
        return;
      }
      await handleKms(req, res, body);
    };
    handle().catch((error: unknown) => {
      if (error instanceof KmsApiError) sendError(res, error);
      else sendError(res, apiError('KMSInternalException', `The KMS emulator failed: ${error instanceof Error ? error.message : String(error)}`));
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
    advanceClock,
    failNextConnection,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
  return emulator;
}
