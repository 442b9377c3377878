import type * as AwsSdk from './awsSdk';

export type AwsSdkModule = typeof AwsSdk;

let loading: Promise<AwsSdkModule> | undefined;

/**
 * Loads the AWS SDK bundle once, on first use. The build keeps `./awsSdk` out of the
 * extension bundle, so activation never pays for parsing the SDK.
 */
export function loadAwsSdk(): Promise<AwsSdkModule> {
  // A plain require, kept external by the build: dist/extension.js requires dist/awsSdk.js.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loading ??= Promise.resolve().then(() => require('./awsSdk') as AwsSdkModule);
  return loading;
}

/** Whether the SDK has been loaded by now (activation tests assert it has not). */
export function isAwsSdkLoaded(): boolean {
  return loading !== undefined;
}
