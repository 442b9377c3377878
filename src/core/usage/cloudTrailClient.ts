import type { CloudTrailClient, LookupEventsCommandInput, LookupEventsCommandOutput } from '@aws-sdk/client-cloudtrail';
import { AwsConfigFiles } from '../aws/awsConfigFiles';
import type { Connection } from '../aws/connection';
import { credentialProviderFor } from '../aws/credentials';
import { serviceEndpoint } from '../aws/serviceEndpoint';
import type { KmsClientSettings } from '../kms/client';
import { loadAwsSdk } from '../lazy/loadAwsSdk';
import { type LookupSource, UsageError } from './keyEvents';

/**
 * One CloudTrail client per connection, built on first use with the connection's
 * credentials, region and endpoint (see serviceEndpoint). The SDK's own retries are off
 * (`maxAttempts: 1`): the lookup paces its calls and backs off on throttling itself.
 */
export class CloudTrailClientFactory {
  private readonly clients = new Map<string, Promise<CloudTrailClient>>();

  constructor(private readonly settings: KmsClientSettings) {}

  source(connection: Connection): LookupSource {
    return {
      lookupEvents: async (input: LookupEventsCommandInput, signal?: AbortSignal): Promise<LookupEventsCommandOutput> => {
        const [sdk, client] = await Promise.all([loadAwsSdk(), this.client(connection)]);
        try {
          return await client.send(new sdk.LookupEventsCommand(input), { abortSignal: signal });
        } catch (error) {
          throw UsageError.from(error, connection);
        }
      },
    };
  }

  forget(): void {
    for (const client of this.clients.values()) client.then((c) => c.destroy()).catch(() => undefined);
    this.clients.clear();
  }

  private client(connection: Connection): Promise<CloudTrailClient> {
    let client = this.clients.get(connection.id);
    if (!client) {
      client = this.create(connection);
      this.clients.set(connection.id, client);
      client.catch(() => this.clients.delete(connection.id));
    }
    return client;
  }

  private async create(connection: Connection): Promise<CloudTrailClient> {
    const [sdk, files] = await Promise.all([loadAwsSdk(), AwsConfigFiles.load(this.settings.env)]);
    const endpoint = serviceEndpoint(connection, 'cloudtrail', this.settings.env, files);
    return new sdk.CloudTrailClient({
      region: connection.region,
      ...(endpoint ? { endpoint: endpoint.url } : {}),
      credentials: credentialProviderFor(sdk, connection, {
        files: { configPath: files.configPath, credentialsPath: files.credentialsPath },
        mfaCodeProvider: this.settings.mfaCodeProvider,
      }),
      maxAttempts: 1,
      customUserAgent: this.settings.userAgent,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
    });
  }
}
