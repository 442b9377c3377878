// dist/awsSdk.js as the build makes it, with its trims (scripts/bundleAliases.mjs awsSdkTrims):
// each client still works against the emulator and names its version in the user agent, and no
// client of the bundle has an event-stream operation (the codec is left out); the schemas of
// operations never sent are dropped, those sent and their errors are not.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ValidatePolicyResourceType } from '@aws-sdk/client-accessanalyzer';
import * as esbuild from 'esbuild';
import type * as AwsSdk from '../../../src/core/lazy/awsSdk';
import { awsSdkTrims } from '../../../scripts/bundleAliases.mjs';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';

const CLIENTS = ['client-kms', 'client-sts', 'client-cloudtrail', 'client-accessanalyzer'];

describe('the AWS SDK bundle with its trims', function () {
  this.timeout(120_000);
  let kms: KmsFixture;
  let dir: string;
  let sdk: typeof AwsSdk;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aws-sdk-bundle-'));
    const outfile = join(dir, 'awsSdk.js');
    const { metafile } = await esbuild.build({
      entryPoints: ['src/core/lazy/awsSdk.ts'],
      metafile: true,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      mainFields: ['module', 'main'],
      minify: true,
      logLevel: 'warning',
      outfile,
      plugins: [awsSdkTrims],
    });
    const inputs = Object.keys(metafile.inputs);
    assert.ok(!inputs.some((i) => /nested-clients[\\/]dist-es[\\/]submodules[\\/]sts[\\/]/.test(i)), 'one STS client, not two');
    assert.ok(
      inputs.some((i) => /nested-clients[\\/]dist-es[\\/]submodules[\\/]sso[\\/]/.test(i)),
      'the other nested clients stay',
    );
    const code = readFileSync(outfile, 'utf8');
    assert.ok(!code.includes('"devDependencies"'), 'no package manifest in the bundle');
    assert.ok(!code.includes('EventStreamCodec'), 'no event-stream codec in the bundle');
    assert.ok(!code.includes('"/analyzer"'), 'no schema of Access Analyzer operations the bundle never sends');
    assert.ok(code.includes('"ValidatePolicyRequest"'), 'the schema of ValidatePolicy is kept');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sdk = require(outfile) as typeof AwsSdk;
    kms = await startKmsFixture();
  });
  after(async () => {
    await kms?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('no client of the bundle has an event-stream (streaming) member', () => {
    for (const client of CLIENTS) {
      const pkg = dirname(require.resolve(`@aws-sdk/${client}/package.json`));
      const schemas = readFileSync(join(pkg, 'dist-es/schemas/schemas_0.js'), 'utf8');
      assert.ok(schemas.length > 1000, `${client} schemas read`);
      assert.ok(!/streaming/.test(schemas), `${client} has a streaming member: the event-stream codec is needed again`);
    }
  });

  it('KMS, STS, CloudTrail and Access Analyzer answer through the bundle, with their versions in the user agent', async () => {
    const config = {
      endpoint: kms.emulator.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    };
    const kmsClient = new sdk.KMSClient(config);
    const sts = new sdk.STSClient(config);
    const trail = new sdk.CloudTrailClient(config);
    const analyzer = new sdk.AccessAnalyzerClient(config);
    try {
      const key = await kmsClient.send(new sdk.CreateKeyCommand({}));
      await kmsClient.send(new sdk.EncryptCommand({ KeyId: key.KeyMetadata!.KeyId!, Plaintext: Buffer.from('x') }));
      await assert.rejects(kmsClient.send(new sdk.DescribeKeyCommand({ KeyId: 'alias/none-such' })), (e: Error) => {
        assert.equal(e.name, 'NotFoundException');
        return true;
      });
      const keys = await kmsClient.send(new sdk.ListKeysCommand({}));
      assert.ok(keys.Keys!.some((k) => k.KeyId === key.KeyMetadata!.KeyId));
      assert.match((await sts.send(new sdk.GetCallerIdentityCommand({}))).Account ?? '', /^\d{12}$/);
      const events = await trail.send(
        new sdk.LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: key.KeyMetadata!.Arn! }] }),
      );
      assert.ok(Array.isArray(events.Events));
      const findings = await analyzer.send(
        new sdk.ValidatePolicyCommand({
          policyType: 'RESOURCE_POLICY',
          validatePolicyResourceType: 'AWS::KMS::Key' as ValidatePolicyResourceType,
          policyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' }],
          }),
        }),
      );
      assert.ok(Array.isArray(findings.findings));
      for (const [client, name] of [
        [kmsClient, 'client-kms'],
        [sts, 'client-sts'],
        [trail, 'client-cloudtrail'],
        [analyzer, 'client-accessanalyzer'],
      ] as const) {
        const { version } = JSON.parse(readFileSync(require.resolve(`@aws-sdk/${name}/package.json`), 'utf8')) as { version: string };
        const agent = await client.config.defaultUserAgentProvider();
        assert.ok(
          agent.some(([, v]) => v === version),
          `${name} ${version} in ${JSON.stringify(agent)}`,
        );
      }
    } finally {
      for (const c of [kmsClient, sts, trail, analyzer]) c.destroy();
    }
  });

  it("assumes a role through the credential providers' STS client (the bundle's one STS client)", async () => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>' +
            '<AccessKeyId>ASIAASSUMED</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken>' +
            '<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId>' +
            '<Arn>arn:aws:sts::111122223333:assumed-role/Admin/s</Arn></AssumedRoleUser></AssumeRoleResult>' +
            '<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>',
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const provider = sdk.fromTemporaryCredentials({
        params: { RoleArn: 'arn:aws:iam::111122223333:role/Admin', RoleSessionName: 's' },
        masterCredentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        clientConfig: { region: 'us-east-1', endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, maxAttempts: 1 },
      });
      const credentials = await provider();
      assert.equal(credentials.accessKeyId, 'ASIAASSUMED');
      assert.equal(credentials.sessionToken, 'token');
      assert.match(bodies[0] ?? '', /Action=AssumeRole&/);
      assert.match(bodies[0] ?? '', /RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FAdmin/);
    } finally {
      server.close();
    }
  });
});
