import type { KMSClient } from '@aws-sdk/client-kms';
import { AwsConfigFiles, type Environment } from '../aws/awsConfigFiles';
import type { Connection } from '../aws/connection';
import { credentialProviderFor } from '../aws/credentials';
import { loadAwsSdk } from '../lazy/loadAwsSdk';
import { KmsGateway } from './gateway';

export interface KmsClientSettings {
  /** Attempts per call, with the SDK's standard retry (exponential backoff with jitter; throttling costs more of its quota). */
  readonly maxAttempts?: number;
  readonly userAgent?: string;
  readonly env: Environment;
  readonly mfaCodeProvider?: (serialNumber: string) => Promise<string>;
  /** How long a call may take before it is given up (defaults: DEFAULT_CALL_TIMEOUTS). */
  readonly timeouts?: Partial<CallTimeouts>;
}

/**
 * Time limits of every KMS call, so that no server can hang a command: one that accepts the
 * connection and never answers fails within `totalMs`, retries included.
 */
export interface CallTimeouts {
  /** To open the TCP (and TLS) connection, per attempt. */
  readonly connectMs: number;
  /** For the answer to one attempt (the request is aborted when it passes). */
  readonly requestMs: number;
  /** For the whole call: every attempt, and the pauses between them. */
  readonly totalMs: number;
}

/** Four attempts of 25 s fit in the 100 s a whole call may take: well under two minutes. */
export const DEFAULT_CALL_TIMEOUTS: CallTimeouts = { connectMs: 5_000, requestMs: 25_000, totalMs: 100_000 };

/**
 * Builds one KMS client per connection, on first use, and hands out gateways over them.
 * Forget (on settings or AWS config file changes) drops the clients so the next call
 * reads the files and credentials afresh.
 */
export class KmsClientFactory {
  private readonly clients = new Map<string, Promise<KMSClient>>();
  private readonly gateways = new Map<string, KmsGateway>();

  private readonly timeouts: CallTimeouts;

  constructor(private readonly settings: KmsClientSettings) {
    this.timeouts = { ...DEFAULT_CALL_TIMEOUTS, ...settings.timeouts };
  }

  gateway(connection: Connection): KmsGateway {
    let gateway = this.gateways.get(connection.id);
    if (!gateway) {
      gateway = new KmsGateway(connection, () => this.client(connection), this.timeouts.totalMs);
      this.gateways.set(connection.id, gateway);
    }
    return gateway;
  }

  /** The configured SDK client of a connection (also what the Encryption SDK is given). */
  client(connection: Connection): Promise<KMSClient> {
    let client = this.clients.get(connection.id);
    if (!client) {
      client = this.createClient(connection);
      this.clients.set(connection.id, client);
      client.catch(() => this.clients.delete(connection.id));
    }
    return client;
  }

  forget(): void {
    for (const client of this.clients.values()) {
      client.then((c) => c.destroy()).catch(() => undefined);
    }
    this.clients.clear();
    this.gateways.clear();
  }

  private async createClient(connection: Connection): Promise<KMSClient> {
    const sdk = await loadAwsSdk();
    const files = AwsConfigFiles.paths(this.settings.env);
    return new sdk.KMSClient({
      region: connection.region,
      ...(connection.endpoint ? { endpoint: connection.endpoint } : {}),
      credentials: credentialProviderFor(sdk, connection, {
        files: { configPath: files.configPath, credentialsPath: files.credentialsPath },
        mfaCodeProvider: this.settings.mfaCodeProvider,
      }),
      // Standard, not adaptive: adaptive's client-side rate limit, once throttled, slowed every
      // later call of the client for tens of seconds (a 200-selection edit: 33 s against 5 s).
      retryMode: 'standard',
      maxAttempts: this.settings.maxAttempts ?? 4,
      customUserAgent: this.settings.userAgent,
      // throwOnRequestTimeout: without it the handler only logs a warning when requestTimeout
      // passes, and a server that never answers hangs the call for good.
      requestHandler: { connectionTimeout: this.timeouts.connectMs, requestTimeout: this.timeouts.requestMs, throwOnRequestTimeout: true },
    });
  }
}
