import type * as StsSdk from './stsSdk';

export type StsSdkModule = typeof StsSdk;

let loading: Promise<StsSdkModule> | undefined;

/** Loads the STS client bundle once, on first use (kept out of the extension bundle by the build). */
export function loadStsSdk(): Promise<StsSdkModule> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loading ??= Promise.resolve().then(() => require('./stsSdk') as StsSdkModule);
  return loading;
}

/** Whether the STS client has been loaded by now (activation tests assert it has not). */
export function isStsSdkLoaded(): boolean {
  return loading !== undefined;
}
