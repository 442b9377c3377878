import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { AwsSdkModule } from '../lazy/loadAwsSdk';
import type { AwsConfigFiles } from './awsConfigFiles';
import type { Connection } from './connection';

export interface CredentialOptions {
  readonly files: Pick<AwsConfigFiles, 'configPath' | 'credentialsPath'>;
  /** Asked for an MFA code when a role profile needs one. */
  readonly mfaCodeProvider?: (serialNumber: string) => Promise<string>;
}

/**
 * The credential provider of a connection, from @aws-sdk/credential-providers: `fromIni`
 * for a named profile (static keys, role_arn + source_profile, credential_process, SSO and
 * sso-session), the SDK's default chain for the environment connection.
 */
export function credentialProviderFor(
  sdk: AwsSdkModule,
  connection: Pick<Connection, 'profile' | 'roleArn' | 'region'>,
  options: CredentialOptions,
): AwsCredentialIdentityProvider {
  const shared = {
    filepath: options.files.credentialsPath,
    configFilepath: options.files.configPath,
    ignoreCache: true,
    ...(options.mfaCodeProvider ? { mfaCodeProvider: options.mfaCodeProvider } : {}),
  };
  const base = connection.profile ? sdk.fromIni({ ...shared, profile: connection.profile }) : sdk.fromNodeProviderChain(shared);
  if (!connection.roleArn) return base;
  return sdk.fromTemporaryCredentials({
    masterCredentials: base,
    params: { RoleArn: connection.roleArn, RoleSessionName: 'kms-workbench-sops', DurationSeconds: 900 },
    clientConfig: { region: connection.region },
  });
}
