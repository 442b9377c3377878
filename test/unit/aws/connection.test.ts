import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsConfigFiles } from '../../../src/core/aws/awsConfigFiles';
import { ConnectionConfigError, isLoopbackHost, resolveConnection } from '../../../src/core/aws/connection';

describe('connections: profiles, regions and endpoints from the shared AWS files', () => {
  let dir: string;
  let env: Record<string, string>;

  const CONFIG = `
[default]
region = eu-west-1

[profile dev]
region = us-west-2
services = local-kms

[profile staging]
region = ap-southeast-2
endpoint_url = http://staging-kms.internal:4566

[profile both]
region = us-east-2
services = local-kms
endpoint_url = http://profile-level:1

[profile ignoring]
region = us-east-1
endpoint_url = http://ignored:1
ignore_configured_endpoint_urls = true

[profile sso-user]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Admin
region = eu-central-1

[profile assumer]
role_arn = arn:aws:iam::111122223333:role/Admin
source_profile = dev

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-central-1

[services local-kms]
kms =
  endpoint_url = http://localhost:4599
s3 =
  endpoint_url = http://localhost:9000
`;
  const CREDENTIALS = `
[default]
aws_access_key_id = AKIAEXAMPLEDEFAULT00
aws_secret_access_key = secret

[keys-only]
aws_access_key_id = AKIAEXAMPLEKEYSONLY0
aws_secret_access_key = secret
region = sa-east-1
`;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kmswb-aws-'));
    writeFileSync(join(dir, 'config'), CONFIG);
    writeFileSync(join(dir, 'credentials'), CREDENTIALS);
    env = { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), HOME: dir };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const load = (): Promise<AwsConfigFiles> => AwsConfigFiles.load(env);

  it('lists profiles of both files, default first, with their kind', async () => {
    const files = await load();
    assert.deepEqual(files.profileNames(), ['default', 'assumer', 'both', 'dev', 'ignoring', 'keys-only', 'sso-user', 'staging']);
    const kinds = Object.fromEntries(files.profiles().map((p) => [p.name, p.kind]));
    assert.equal(kinds['sso-user'], 'sso');
    assert.equal(kinds.assumer, 'role');
    assert.equal(kinds['keys-only'], 'static');
    assert.deepEqual(files.profileInfo('default')?.sources, ['config', 'credentials']);
  });

  it('reads the files named by AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, and nothing else', async () => {
    const files = await AwsConfigFiles.load({ ...env, AWS_CONFIG_FILE: join(dir, 'missing') });
    assert.deepEqual(files.profileNames(), ['default', 'keys-only']);
  });

  it('takes the region from the connection, then AWS_REGION, then the profile, then AWS_DEFAULT_REGION', async () => {
    const files = await load();
    assert.equal(resolveConnection({ profile: 'dev', region: 'ca-central-1' }, env, files).region, 'ca-central-1');
    assert.equal(resolveConnection({ profile: 'dev' }, { ...env, AWS_REGION: 'eu-north-1' }, files).region, 'eu-north-1');
    assert.equal(resolveConnection({ profile: 'dev' }, env, files).region, 'us-west-2');
    assert.equal(resolveConnection({ profile: 'keys-only' }, env, files).region, 'sa-east-1');
    assert.equal(resolveConnection({ profile: 'assumer' }, { ...env, AWS_DEFAULT_REGION: 'us-east-1' }, files).region, 'us-east-1');
  });

  it('the environment connection uses AWS_PROFILE when set, else the default profile', async () => {
    const files = await load();
    const viaDefault = resolveConnection({}, env, files);
    assert.equal(viaDefault.profile, undefined);
    assert.equal(viaDefault.region, 'eu-west-1');
    assert.equal(viaDefault.label, 'environment · eu-west-1');
    const viaProfile = resolveConnection({}, { ...env, AWS_PROFILE: 'dev' }, files);
    assert.equal(viaProfile.region, 'us-west-2');
    assert.equal(viaProfile.endpoint, 'http://localhost:4599');
    assert.equal(viaProfile.label, 'dev · us-west-2');
  });

  it('resolves the endpoint in the documented order, for the chosen profile (not the default one)', async () => {
    const files = await load();
    const full = { ...env, AWS_ENDPOINT_URL_KMS: 'http://kms-env:1', AWS_ENDPOINT_URL: 'http://all-env:1' };
    // These hosts are not loopback ones: allowed here, since this test is about the order.
    const r = (config: Parameters<typeof resolveConnection>[0], e: Record<string, string>): [string | undefined, string | undefined] => {
      const c = resolveConnection(config, e, files, { allowInsecureEndpoints: true });
      return [c.endpoint, c.endpointSource];
    };
    assert.deepEqual(r({ profile: 'both', endpoint: 'http://explicit:1' }, full), ['http://explicit:1', 'connection']);
    assert.deepEqual(r({ profile: 'both' }, full), ['http://kms-env:1', 'AWS_ENDPOINT_URL_KMS']);
    assert.deepEqual(r({ profile: 'both' }, { ...env, AWS_ENDPOINT_URL: 'http://all-env:1' }), ['http://all-env:1', 'AWS_ENDPOINT_URL']);
    assert.deepEqual(r({ profile: 'both' }, env), ['http://localhost:4599', 'profile services section']);
    assert.deepEqual(r({ profile: 'staging' }, env), ['http://staging-kms.internal:4566', 'profile endpoint_url']);
    assert.deepEqual(r({ profile: 'sso-user' }, env), [undefined, undefined]);
  });

  it('honours ignore_configured_endpoint_urls from the profile and from the environment, but not over an explicit endpoint', async () => {
    const files = await load();
    assert.equal(
      resolveConnection({ profile: 'ignoring' }, { ...env, AWS_ENDPOINT_URL_KMS: 'http://kms-env:1' }, files).endpoint,
      undefined,
    );
    assert.equal(resolveConnection({ profile: 'dev' }, { ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }, files).endpoint, undefined);
    assert.equal(resolveConnection({ profile: 'ignoring', endpoint: 'http://localhost:1' }, env, files).endpoint, 'http://localhost:1');
  });

  it('gives connections distinct ids and a readable label', async () => {
    const files = await load();
    const a = resolveConnection({ profile: 'dev' }, env, files);
    const b = resolveConnection({ profile: 'dev', region: 'us-east-1' }, env, files);
    const c = resolveConnection({ profile: 'dev', label: 'Local' }, env, files);
    assert.notEqual(a.id, b.id);
    assert.equal(a.label, 'dev · us-west-2');
    assert.equal(c.label, 'Local');
  });

  it('refuses what cannot work with a sentence naming the fix', async () => {
    const files = await load();
    assert.throws(
      () => resolveConnection({ profile: 'nope' }, env, files),
      (e: Error) => e instanceof ConnectionConfigError && /Profile "nope" is not in .*config.*aws configure --profile nope/.test(e.message),
    );
    assert.throws(() => resolveConnection({ profile: 'assumer' }, env, files), /No region for profile "assumer": set "region"/);
    assert.throws(() => resolveConnection({ profile: 'dev', region: 'Frankfurt' }, env, files), /"Frankfurt" is not an AWS region name/);
    assert.throws(
      () => resolveConnection({ profile: 'dev', endpoint: 'localhost:4566' }, env, files),
      /must start with http:\/\/ or https:\/\//,
    );
    assert.throws(() => resolveConnection({ profile: 'dev', endpoint: 'http://' }, env, files), /is not a URL/);
  });

  describe('plain http:// only to this machine unless the user allows it', () => {
    const refused = (e: unknown): boolean =>
      e instanceof ConnectionConfigError &&
      /plain http:\/\/ to .*not this machine.*https:\/\/.*127\.0\.0\.1 or localhost.*"kmsWorkbench\.allowInsecureEndpoints": true/.test(
        e.message,
      );

    it('accepts https anywhere and http to loopback addresses, however they are written', async () => {
      const files = await load();
      for (const endpoint of [
        'https://kms.eu-west-1.amazonaws.com',
        'https://kms.internal.example:8443',
        'http://localhost:4566',
        'http://LOCALHOST:4566',
        'http://localhost.:4566',
        'http://127.0.0.1:8080',
        'http://127.8.9.10',
        'http://127.1:9',
        'http://2130706433:9',
        'http://[::1]:4566',
        'http://[::ffff:127.0.0.1]:4566',
      ]) {
        assert.equal(resolveConnection({ profile: 'dev', endpoint }, env, files).endpoint, endpoint, endpoint);
      }
    });

    it('refuses http to any other host, naming the source, the host and the setting', async () => {
      const files = await load();
      for (const endpoint of [
        'http://evil.example:80',
        'http://10.0.0.5:4566',
        'http://128.0.0.1',
        'http://[::2]:1',
        'http://[::ffff:10.0.0.1]',
        'http://0.0.0.0:4566',
        'http://localhost.evil.example',
        'http://127.0.0.1.nip.io',
      ]) {
        assert.throws(() => resolveConnection({ profile: 'dev', endpoint }, env, files), refused, endpoint);
        assert.throws(
          () => resolveConnection({ profile: 'dev', endpoint }, env, files),
          (e: Error) => e.message.includes(`"${endpoint}" (from connection)`),
          endpoint,
        );
      }
    });

    it('applies to every endpoint source: AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL, the services section and endpoint_url', async () => {
      const files = await load();
      assert.throws(
        () => resolveConnection({ profile: 'dev' }, { ...env, AWS_ENDPOINT_URL_KMS: 'http://kms-env:1' }, files),
        (e: Error) => refused(e) && /from AWS_ENDPOINT_URL_KMS/.test(e.message),
      );
      assert.throws(
        () => resolveConnection({ profile: 'dev' }, { ...env, AWS_ENDPOINT_URL: 'http://all-env:1' }, files),
        (e: Error) => refused(e) && /from AWS_ENDPOINT_URL\)/.test(e.message),
      );
      assert.throws(
        () => resolveConnection({ profile: 'staging' }, env, files),
        (e: Error) => refused(e) && /staging-kms\.internal.*from profile endpoint_url/.test(e.message),
      );
      writeFileSync(
        join(dir, 'remote-services'),
        '[profile r]\nregion = us-east-1\nservices = remote\n\n[services remote]\nkms =\n  endpoint_url = http://kms.lan:4566\n',
      );
      const remoteServices = await AwsConfigFiles.load({
        AWS_CONFIG_FILE: join(dir, 'remote-services'),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
      });
      assert.throws(
        () => resolveConnection({ profile: 'r' }, env, remoteServices),
        (e: Error) => refused(e) && /from profile services section/.test(e.message),
      );
    });

    it('allows them when the user setting says so', async () => {
      const files = await load();
      const allow = { allowInsecureEndpoints: true };
      assert.equal(
        resolveConnection({ profile: 'dev', endpoint: 'http://kms.lan:4566' }, env, files, allow).endpoint,
        'http://kms.lan:4566',
      );
      assert.equal(resolveConnection({ profile: 'staging' }, env, files, allow).endpoint, 'http://staging-kms.internal:4566');
      assert.throws(
        () => resolveConnection({ profile: 'dev', endpoint: 'http://kms.lan:4566' }, env, files, { allowInsecureEndpoints: false }),
        refused,
      );
    });

    it('tells loopback host names from others', () => {
      assert.equal(isLoopbackHost('localhost'), true);
      assert.equal(isLoopbackHost('127.255.255.254'), true);
      assert.equal(isLoopbackHost('[::1]'), true);
      assert.equal(isLoopbackHost('[::ffff:7f00:1]'), true);
      assert.equal(isLoopbackHost('[::ffff:a00:1]'), false);
      assert.equal(isLoopbackHost('127.0.0.1.example'), false);
      assert.equal(isLoopbackHost('localhost.example'), false);
      assert.equal(isLoopbackHost('::1'), false);
    });
  });
});
