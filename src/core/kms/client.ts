import type { KMSClient } from '@aws-sdk/client-kms';
import { AwsConfigFiles, type Environment } from '../aws/awsConfigFiles';
import type { Connection } from '../aws/connection';
import { credentialProviderFor } from '../aws/credentials';
import { loadAwsSdk } from '../lazy/loadAwsSdk';
import { KmsGateway } from './gateway';

export interface KmsClientSettings {
  /** Attempts per call, with the SDK's adaptive retry (throttling backs off). */
  readonly maxAttempts?: number;
  readonly userAgent?: string;
  readonly env: Environment;
  readonly mfaCodeProvider?: (serialNumber: string) => Promise<string>;
}

/**
 * Builds one KMS client per connection, on first use, and hands out gateways over them.
 * Forget (on settings or AWS config file changes) drops the clients so the next call
 * reads the files and credentials afresh.
 */
export class KmsClientFactory {
  private readonly clients = new Map<string, Promise<KMSClient>>();
  private readonly gateways = new Map<string, KmsGateway>();

  constructor(private readonly settings: KmsClientSettings) {}

  gateway(connection: Connection): KmsGateway {
    let gateway = this.gateways.get(connection.id);
    if (!gateway) {
      gateway = new KmsGateway(connection, () => this.client(connection));
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
      retryMode: 'adaptive',
      maxAttempts: this.settings.maxAttempts ?? 4,
      customUserAgent: this.settings.userAgent,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
    });
  }
}
