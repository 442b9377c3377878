// Shared helpers of the emulator tests: a real SDK client pointed at the emulator, a raw signed
// HTTP request (for what the SDK cannot send), and an assertion on KMS errors.
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import * as assert from 'node:assert/strict';
import type { Emulator } from '../../emulator/server';

export const testCredentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export function kmsClient(kms: Pick<Emulator, 'url'>, region = 'us-east-1', config: Partial<KMSClientConfig> = {}): KMSClient {
  return new KMSClient({ endpoint: kms.url, region, credentials: testCredentials, maxAttempts: 1, ...config });
}

interface ErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Asserts that `promise` rejects with the KMS error `name` (and HTTP status, message pattern). */
export async function rejectsWith(
  promise: Promise<unknown>,
  name: string,
  options: { status?: number; message?: RegExp } = {},
): Promise<ErrorShape> {
  let caught: ErrorShape | undefined;
  try {
    await promise;
  } catch (error) {
    caught = error as ErrorShape;
  }
  assert.ok(caught, `expected ${name}, but the call succeeded`);
  assert.equal(caught.name, name, `expected ${name}, got ${caught.name}: ${caught.message}`);
  assert.equal(caught.$metadata?.httpStatusCode, options.status ?? 400, `HTTP status of ${name}`);
  if (options.message) assert.match(caught.message ?? '', options.message);
  return caught;
}

export interface RawResponse {
  status: number;
  contentType: string | null;
  text: string;
  json(): Record<string, unknown>;
}

/** A SigV4-signed KMS request made by hand (fetch), for operations or bodies the SDK would not send; `sendBody` replaces the body after signing. */
export async function signedRequest(
  url: string,
  target: string,
  body: string,
  options: { region?: string; accessKeyId?: string; secretAccessKey?: string; sendBody?: string } = {},
): Promise<RawResponse> {
  const { hostname, port, host } = new URL(url);
  const region = options.region ?? 'us-east-1';
  const signer = new SignatureV4({
    credentials: { accessKeyId: options.accessKeyId ?? 'test', secretAccessKey: options.secretAccessKey ?? 'test' },
    region,
    service: 'kms',
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname,
    port: Number(port),
    path: '/',
    query: {},
    headers: { host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    body,
  });
  const headers = Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name !== 'host'));
  const response = await fetch(`${url}/`, { method: 'POST', headers, body: options.sendBody ?? body });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    text,
    json: () => JSON.parse(text) as Record<string, unknown>,
  };
}

export const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');
export const text = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
