import type * as EncryptionSdk from './encryptionSdk';

export type EncryptionSdkModule = typeof EncryptionSdk;

let loading: Promise<EncryptionSdkModule> | undefined;

/**
 * Loads the AWS Encryption SDK bundle once, on first use. The build keeps `./encryptionSdk`
 * out of the extension bundle, so activation never pays for parsing it.
 */
export function loadEncryptionSdk(): Promise<EncryptionSdkModule> {
  // A plain require, kept external by the build: dist/extension.js requires dist/encryptionSdk.js.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loading ??= Promise.resolve().then(() => require('./encryptionSdk') as EncryptionSdkModule);
  return loading;
}

/** Whether the Encryption SDK has been loaded by now (activation tests assert it has not). */
export function isEncryptionSdkLoaded(): boolean {
  return loading !== undefined;
}
