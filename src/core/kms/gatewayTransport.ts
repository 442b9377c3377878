// How KmsGateway (gateway.ts) sends one KMS call: the lazily loaded SDK command, the total time
// limit, the failure as a KmsError; and paging (one page, or an async iterator over all pages).
import type * as Kms from '@aws-sdk/client-kms';
import type { Connection } from '../aws/connection';
import { loadAwsSdk } from '../lazy/loadAwsSdk';
import { KmsError, toKmsError } from './errors';
import type { KmsOperationName, OperationInput, OperationOutput } from './operations';

export interface CallOptions {
  readonly abortSignal?: AbortSignal;
}

export interface Page<T> {
  readonly items: T[];
  /** Marker of the next page; undefined on the last page. */
  readonly nextMarker?: string;
}

export type EncryptionContext = Record<string, string>;

type CommandConstructor = new (input: unknown) => unknown;
type Sender = { send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown> };

/** The sending and paging under KmsGateway's named operations. */
export class KmsTransport {
  constructor(
    readonly connection: Connection,
    private readonly client: () => Promise<Kms.KMSClient>,
    /** Longest a call may take, retries included (0: no limit beyond the client's own). */
    private readonly totalTimeoutMs = 0,
  ) {}

  /** Where calls go, for messages: the endpoint URL, or KMS's public one for the region. */
  get endpointName(): string {
    return this.connection.endpoint ?? `https://kms.${this.connection.region ?? '<region>'}.amazonaws.com`;
  }

  /**
   * Sends one operation. Prefer the named methods of KmsGateway. A call that passes its time limit
   * fails with EndpointTimeout naming the endpoint; one aborted through `abortSignal` fails
   * with the SDK's AbortError (a cancel, not a failure).
   */
  async send<K extends KmsOperationName>(operation: K, input: OperationInput<K>, options: CallOptions = {}): Promise<OperationOutput<K>> {
    options.abortSignal?.throwIfAborted();
    const [sdk, client] = await Promise.all([loadAwsSdk(), this.clientOrError(operation)]);
    const Command = (sdk as unknown as Record<string, CommandConstructor>)[`${operation}Command`];
    if (!Command) throw new KmsError('NotSupportedByEndpoint', `${operation} is not available in this build.`);
    const deadline = this.totalTimeoutMs > 0 ? AbortSignal.timeout(this.totalTimeoutMs) : undefined;
    const signals = [options.abortSignal, deadline].filter((s): s is AbortSignal => s !== undefined);
    const abortSignal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    try {
      return (await (client as unknown as Sender).send(new Command(input), { abortSignal })) as OperationOutput<K>;
    } catch (error) {
      if (options.abortSignal?.aborted) throw error;
      const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts;
      if (deadline?.aborted || isTimeout(error)) {
        const limit = deadline?.aborted ? `within ${Math.round(this.totalTimeoutMs / 1000)} seconds` : 'in time';
        throw new KmsError(
          'EndpointTimeout',
          `${this.endpointName} did not answer ${operation} ${limit}${attempts && attempts > 1 ? ` (${attempts} attempts)` : ''}. ` +
            `Check that the endpoint URL of connection "${this.connection.label}" is right and its server is ` +
            'running and answering, and your network, proxy or VPN.',
          { operation, cause: error },
        );
      }
      throw toKmsError(error, {
        operation,
        profile: this.connection.profile,
        region: this.connection.region,
        endpoint: this.connection.endpoint,
        attempts,
        keyId: typeof (input as { KeyId?: unknown }).KeyId === 'string' ? (input as { KeyId: string }).KeyId : undefined,
        connectionId: this.connection.id,
      });
    }
  }

  private async clientOrError(operation: string): Promise<Kms.KMSClient> {
    try {
      return await this.client();
    } catch (error) {
      throw toKmsError(error, {
        operation,
        profile: this.connection.profile,
        region: this.connection.region,
        endpoint: this.connection.endpoint,
      });
    }
  }

  // ---- paging -----------------------------------------------------------------------

  protected async page<K extends KmsOperationName, T>(
    operation: K,
    input: OperationInput<K>,
    items: (output: OperationOutput<K>) => T[] | undefined,
    options?: CallOptions,
  ): Promise<Page<T>> {
    const out = await this.send(operation, input, options);
    const paged = out as { Truncated?: boolean; NextMarker?: string };
    return { items: items(out) ?? [], nextMarker: paged.Truncated && paged.NextMarker ? paged.NextMarker : undefined };
  }

  protected async *all<T>(fetchPage: (marker: string | undefined) => Promise<Page<T>>): AsyncIterable<T> {
    let marker: string | undefined;
    do {
      const page = await fetchPage(marker);
      yield* page.items;
      marker = page.nextMarker;
    } while (marker);
  }
}

/**
 * The SDK's per-attempt time limits (connection, request or socket timeout) passed. (The SDK
 * also names a dropped connection TimeoutError, with code ECONNRESET: that is not one.)
 */
function isTimeout(error: unknown): boolean {
  const e = error as { name?: string; code?: string; message?: string } | undefined;
  if (e?.code === 'ETIMEDOUT') return true;
  return e?.name === 'TimeoutError' && e.code !== 'ECONNRESET' && /timed? ?out|exceeded/i.test(e.message ?? '');
}

/** Collects an async iterable into an array. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
