// The one KMS set-up of the Node tests and benches: the emulator in this process, a profile in
// temporary AWS shared files, and the extension's own client factory over them (real SDK,
// SigV4, the same connection code as the commands), so tests reach KMS as the extension does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '../../src/core/aws/connection';
import { EnvelopeCrypto, type GatewayForRegion } from '../../src/core/envelope/envelopeCrypto';
import { regionalGateways } from '../../src/core/envelope/regionalGateways';
import { KmsClientFactory, type KmsClientSettings } from '../../src/core/kms/client';
import type { KmsGateway } from '../../src/core/kms/gateway';
import { type Emulator, type EmulatorOptions, startEmulator } from '../emulator/server';

/** The profile the fixture writes (static test credentials the emulator accepts). */
export const FIXTURE_PROFILE = 'emu';
export const FIXTURE_REGION = 'us-east-1';

/** Temporary AWS shared files and the environment that points the SDK at them. */
export interface AwsProfileFiles {
  /** The folder of `config` and `credentials` (also HOME; room for test files). */
  readonly dir: string;
  readonly env: Record<string, string>;
  remove(): void;
}

/**
 * Writes `config` and `credentials` in a new temporary folder. By default one profile, `emu`
 * (region us-east-1, credentials test/test); `config` and `credentials` replace the files' text.
 */
export function awsProfileFiles(options: { prefix?: string; config?: string; credentials?: string } = {}): AwsProfileFiles {
  const dir = mkdtempSync(join(tmpdir(), options.prefix ?? 'kmswb-test-'));
  writeFileSync(join(dir, 'config'), options.config ?? `[profile ${FIXTURE_PROFILE}]\nregion = ${FIXTURE_REGION}\n`);
  writeFileSync(
    join(dir, 'credentials'),
    options.credentials ?? `[${FIXTURE_PROFILE}]\naws_access_key_id = test\naws_secret_access_key = test\n`,
  );
  const env = {
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    HOME: dir,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  return { dir, env, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface KmsFixture {
  readonly emulator: Emulator;
  readonly factory: KmsClientFactory;
  /** The `emu` profile with the emulator as its endpoint. */
  readonly connection: Connection;
  readonly gateway: KmsGateway;
  readonly gatewayFor: GatewayForRegion;
  readonly envelope: EnvelopeCrypto;
  /** Folder with the temporary AWS shared files (and room for test files). */
  readonly dir: string;
  readonly env: Record<string, string>;
  /** A new enabled symmetric key; returns its ARN. */
  createKey(options?: { region?: string; alias?: string }): Promise<string>;
  /**
   * The same profile through another endpoint (a proxy, a silent server), with its own client
   * factory: forget() it when done.
   */
  clientAt(
    endpoint: string,
    options?: { id?: string; label?: string; maxAttempts?: number; timeouts?: KmsClientSettings['timeouts'] },
  ): KmsClient;
  close(): Promise<void>;
}

/** A client factory over one connection, and its crypto. */
export interface KmsClient {
  readonly factory: KmsClientFactory;
  readonly connection: Connection;
  readonly gatewayFor: GatewayForRegion;
  readonly envelope: EnvelopeCrypto;
}

export interface KmsFixtureOptions {
  /** How the emulator starts (seed, account, peers…); it always listens on a free port. */
  readonly emulator?: EmulatorOptions;
  /** The client factory's retries; default 1 (no retry), so a test sees each failure. */
  readonly maxAttempts?: number;
  /** More settings of the client factory (time limits…). */
  readonly client?: Omit<KmsClientSettings, 'env' | 'maxAttempts'>;
  /** Prefix of the temporary folder's name. */
  readonly prefix?: string;
  /** The text of the config file, given the emulator's URL (e.g. a services section); default the `emu` profile. */
  readonly config?: (emulatorUrl: string) => string;
  /** Connection fields over the default ones (id, label, endpointSource…). */
  readonly connection?: Partial<Connection>;
}

export async function startKmsFixture(options: KmsFixtureOptions = {}): Promise<KmsFixture> {
  const emulator = await startEmulator({ ...options.emulator, port: 0 });
  const files = awsProfileFiles({ prefix: options.prefix, config: options.config?.(emulator.url) });
  const factory = new KmsClientFactory({ ...options.client, env: files.env, maxAttempts: options.maxAttempts ?? 1 });
  const connection: Connection = {
    id: 'emu',
    label: 'emulator',
    profile: FIXTURE_PROFILE,
    region: FIXTURE_REGION,
    endpoint: emulator.url,
    ...options.connection,
  };
  const gatewayFor = regionalGateways(factory, connection);
  const gateway = gatewayFor(undefined);
  return {
    emulator,
    factory,
    connection,
    gateway,
    gatewayFor,
    envelope: new EnvelopeCrypto(gatewayFor),
    dir: files.dir,
    env: files.env,
    async createKey({ region, alias } = {}) {
      const gw = gatewayFor(region);
      const meta = await gw.createKey({});
      if (alias) await gw.createAlias(alias, meta.KeyId!);
      return meta.Arn!;
    },
    clientAt(endpoint, { id = 'other', label = 'other server', maxAttempts = 1, timeouts } = {}) {
      const other = new KmsClientFactory({ env: files.env, maxAttempts, timeouts });
      const at: Connection = { id, label, profile: FIXTURE_PROFILE, region: FIXTURE_REGION, endpoint };
      const gatewayFor = regionalGateways(other, at);
      return { factory: other, connection: at, gatewayFor, envelope: new EnvelopeCrypto(gatewayFor) };
    },
    async close() {
      factory.forget();
      await emulator.close();
      files.remove();
    },
  };
}
