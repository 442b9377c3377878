// The AWS environment every test run and the demo give code-server (and so the extension
// host): the emulator as the KMS endpoint, static test credentials, and empty shared
// config/credentials files so nothing from the developer's ~/.aws leaks in.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** AWS variables a developer's shell may carry that would change what the SDK does. */
export const leakyAwsVariables = [
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_DEFAULT_REGION',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_ENDPOINT_URL',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_SDK_LOAD_CONFIG',
  'AWS_CA_BUNDLE',
];

export interface AwsEnvironmentOptions {
  /** Base URL of the KMS emulator. */
  emulatorUrl: string;
  /** Folder for the (empty) shared config and credentials files. */
  dir: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Text of the shared config file (default empty), for tests of profiles. */
  configFile?: string;
  /** Text of the shared credentials file (default empty). */
  credentialsFile?: string;
}

/**
 * Environment for code-server pointing the extension at the emulator. Variables set to
 * `undefined` are removed from the inherited environment.
 */
export function awsEnvironment(options: AwsEnvironmentOptions): Record<string, string | undefined> {
  mkdirSync(options.dir, { recursive: true });
  const configFile = join(options.dir, 'aws-config');
  const credentialsFile = join(options.dir, 'aws-credentials');
  writeFileSync(configFile, options.configFile ?? '');
  writeFileSync(credentialsFile, options.credentialsFile ?? '');
  const url = options.emulatorUrl.replace(/\/+$/, '');
  return {
    ...Object.fromEntries(leakyAwsVariables.map((name) => [name, undefined])),
    AWS_ACCESS_KEY_ID: options.accessKeyId ?? 'test',
    AWS_SECRET_ACCESS_KEY: options.secretAccessKey ?? 'test',
    AWS_REGION: options.region ?? 'us-east-1',
    AWS_ENDPOINT_URL_KMS: url,
    // CloudTrail (Show Key Usage) answers on the emulator's port too.
    AWS_ENDPOINT_URL_CLOUDTRAIL: url,
    // And IAM Access Analyzer (ValidatePolicy in the key-policy editor).
    AWS_ENDPOINT_URL_ACCESSANALYZER: url,
    KMS_EMULATOR_URL: url,
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}
