// `npm run emulator`: the KMS emulator as a command, for the demo and for trying the extension
// or the AWS CLI against it.
//
//   KMS_EMULATOR_PORT               port on 127.0.0.1 (default 4599)
//   KMS_EMULATOR_ACCESS_KEY_ID      access key accepted (default test)
//   KMS_EMULATOR_SECRET_ACCESS_KEY  its secret (default test)
//   KMS_EMULATOR_ACCOUNT_ID         account in ARNs (default 111122223333)
//   KMS_EMULATOR_SEED               seed file (.json, .yaml, .yml), e.g. test/emulator/demo-seed.yaml
//   KMS_EMULATOR_PERSIST            state file: loaded at start, saved after every change
//   KMS_EMULATOR_STS                false: no sts:GetCallerIdentity on the port (like local-kms)
//   KMS_EMULATOR_ACCESS_ANALYZER    false: no IAM Access Analyzer ValidatePolicy on the port
//   KMS_EMULATOR_OMIT_KEY_USAGE     1: describe keys of a plain CreateKey as moto/LocalStack do (no KeyUsage)
//   KMS_EMULATOR_OMIT_KEY_SPEC      1 (with the above): no KeySpec either, only CustomerMasterKeySpec
import { startEmulator } from './server';

async function main(): Promise<void> {
  const env = process.env;
  const port = Number(env.KMS_EMULATOR_PORT ?? 4599);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`KMS_EMULATOR_PORT must be a port number, not ${env.KMS_EMULATOR_PORT}`);
  const emulator = await startEmulator({
    port,
    accountId: env.KMS_EMULATOR_ACCOUNT_ID || '111122223333',
    credentials: [{ accessKeyId: env.KMS_EMULATOR_ACCESS_KEY_ID || 'test', secretAccessKey: env.KMS_EMULATOR_SECRET_ACCESS_KEY || 'test' }],
    seed: env.KMS_EMULATOR_SEED || undefined,
    persistPath: env.KMS_EMULATOR_PERSIST || undefined,
    sts: env.KMS_EMULATOR_STS?.trim().toLowerCase() !== 'false',
    accessAnalyzer: env.KMS_EMULATOR_ACCESS_ANALYZER?.trim().toLowerCase() !== 'false',
    omitKeyUsage: env.KMS_EMULATOR_OMIT_KEY_USAGE === '1' || env.KMS_EMULATOR_OMIT_KEY_USAGE === 'true',
    omitKeySpec: env.KMS_EMULATOR_OMIT_KEY_SPEC === '1' || env.KMS_EMULATOR_OMIT_KEY_SPEC === 'true',
  });
  console.log(`KMS emulator listening on ${emulator.url}`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`KMS emulator: ${signal}, stopping`);
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`KMS emulator: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`KMS emulator: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
