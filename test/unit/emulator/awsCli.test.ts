// The emulator driven by the real AWS CLI (v2 from the Debian package `awscli`), run as a child
// process. The CLI runs asynchronously: the emulator lives in this process and must keep serving.
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetPublicKeyCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createPublicKey, verify } from 'node:crypto';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { type Emulator, startEmulator } from '../../emulator/server';
import { kmsClient, text, utf8 } from './helpers';

const run = promisify(execFile);

/** /usr/bin/aws (AWS CLI v2, Debian) when present, else the first `aws` on PATH. */
function findAwsCli(): string | undefined {
  if (existsSync('/usr/bin/aws')) return '/usr/bin/aws';
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'aws'))) return join(dir, 'aws');
  }
  return undefined;
}

describe('KMS emulator: driven by the AWS CLI', function () {
  this.timeout(60_000);
  let kms: Emulator;
  let client: KMSClient;
  let dir: string;
  let cli: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    const found = findAwsCli();
    if (!found)
      throw new Error('No AWS CLI found (expected /usr/bin/aws from the Debian package awscli, installed by .ci/run): this test needs it.');
    cli = found;
    kms = await startEmulator({ port: 0 });
    client = kmsClient(kms);
    dir = mkdtempSync(join(tmpdir(), 'kms-cli-'));
    writeFileSync(join(dir, 'config'), '');
    writeFileSync(join(dir, 'credentials'), '');
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
    env = {
      ...inherited,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
      AWS_PAGER: '',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  });
  after(async () => {
    await kms?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const file = (name: string, content: string | Uint8Array): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  /** Runs `aws kms <args>` against the emulator; JSON output parsed (text output with --output text). */
  async function aws(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Record<string, unknown>> {
    const output = args.includes('--output') ? [] : ['--output', 'json'];
    const { stdout } = await run(cli, ['kms', ...args, '--endpoint-url', kms.url, '--region', 'us-east-1', ...output], {
      env: { ...env, ...extraEnv },
    });
    if (args.includes('--output')) return { text: stdout.trim() };
    return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
  }

  async function awsFails(args: string[], errorName: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    await assert.rejects(aws(args, extraEnv), (error: { stderr?: string }) => {
      assert.match(error.stderr ?? '', new RegExp(`An error occurred \\(${errorName}\\)`));
      return true;
    });
  }

  it('manages keys: create-key, describe-key, list-keys, schedule-key-deletion, cancel-key-deletion', async () => {
    const created = (await aws(['create-key', '--description', 'made by the CLI'])).KeyMetadata as Record<string, unknown>;
    const keyId = created.KeyId as string;
    assert.equal(created.Arn, `arn:aws:kms:us-east-1:111122223333:key/${keyId}`);
    const [described, listed] = await Promise.all([aws(['describe-key', '--key-id', keyId]), aws(['list-keys'])]);
    assert.equal((described.KeyMetadata as Record<string, unknown>).Description, 'made by the CLI');
    assert.ok((listed.Keys as Array<{ KeyId: string }>).some((k) => k.KeyId === keyId));
    const scheduled = await aws(['schedule-key-deletion', '--key-id', keyId, '--pending-window-in-days', '7']);
    assert.equal(scheduled.KeyState, 'PendingDeletion');
    assert.ok(Math.abs(new Date(scheduled.DeletionDate as string).getTime() - (Date.now() + 7 * 86_400_000)) < 60_000);
    assert.equal((await aws(['cancel-key-deletion', '--key-id', keyId])).KeyId, created.Arn);
    assert.equal((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState, 'Disabled');
  });

  it('encrypts, decrypts, re-encrypts and generates data keys; blobs pass between the CLI and the SDK both ways', async () => {
    const [source, destination] = await Promise.all([client.send(new CreateKeyCommand({})), client.send(new CreateKeyCommand({}))]);
    const sourceId = source.KeyMetadata!.KeyId!;
    const destinationId = destination.KeyMetadata!.KeyId!;
    const plaintext = file('plain.txt', 'from the CLI');

    const [byCli, viaSdk, dataKey] = await Promise.all([
      aws([
        'encrypt',
        '--key-id',
        sourceId,
        '--plaintext',
        `fileb://${plaintext}`,
        '--encryption-context',
        'app=cli',
        '--query',
        'CiphertextBlob',
        '--output',
        'text',
      ]),
      client.send(new EncryptCommand({ KeyId: sourceId, Plaintext: utf8('from the SDK'), EncryptionContext: { app: 'sdk' } })),
      aws(['generate-data-key', '--key-id', sourceId, '--key-spec', 'AES_256']),
    ]);
    // CLI → SDK
    const cliBlob = Buffer.from(byCli.text as string, 'base64');
    assert.ok((byCli.text as string).startsWith('AQICAHh'));
    assert.equal(
      text((await client.send(new DecryptCommand({ CiphertextBlob: cliBlob, EncryptionContext: { app: 'cli' } }))).Plaintext),
      'from the CLI',
    );
    // SDK → CLI (fileb:// reads the raw blob)
    const sdkBlob = file('sdk.bin', viaSdk.CiphertextBlob!);
    const decrypted = await aws(['decrypt', '--ciphertext-blob', `fileb://${sdkBlob}`, '--encryption-context', 'app=sdk']);
    assert.equal(Buffer.from(decrypted.Plaintext as string, 'base64').toString(), 'from the SDK');
    assert.equal(decrypted.KeyId, source.KeyMetadata!.Arn);
    // generate-data-key: the wrapped key unwraps to the plaintext key
    const dataKeyPlain = Buffer.from(dataKey.Plaintext as string, 'base64');
    assert.equal(dataKeyPlain.length, 32);
    const unwrapped = await client.send(new DecryptCommand({ CiphertextBlob: Buffer.from(dataKey.CiphertextBlob as string, 'base64') }));
    assert.deepEqual(Buffer.from(unwrapped.Plaintext!), dataKeyPlain);
    // re-encrypt the CLI's blob under another key and context
    const cliBlobFile = file('cli.bin', cliBlob);
    const moved = await aws([
      're-encrypt',
      '--ciphertext-blob',
      `fileb://${cliBlobFile}`,
      '--source-encryption-context',
      'app=cli',
      '--destination-key-id',
      destinationId,
      '--destination-encryption-context',
      'app=moved',
    ]);
    assert.equal(moved.SourceKeyId, source.KeyMetadata!.Arn);
    assert.equal(moved.KeyId, destination.KeyMetadata!.Arn);
    const back = await client.send(
      new DecryptCommand({ CiphertextBlob: Buffer.from(moved.CiphertextBlob as string, 'base64'), EncryptionContext: { app: 'moved' } }),
    );
    assert.equal(text(back.Plaintext), 'from the CLI');
  });

  it('manages aliases, grants, the key policy and rotation', async () => {
    const keyId = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'root', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }],
    });
    const [, grant] = await Promise.all([
      aws(['create-alias', '--alias-name', 'alias/from-cli', '--target-key-id', keyId]),
      aws([
        'create-grant',
        '--key-id',
        keyId,
        '--grantee-principal',
        'arn:aws:iam::111122223333:role/cli',
        '--operations',
        'Decrypt',
        'Encrypt',
        '--name',
        'cli-grant',
      ]),
      aws(['put-key-policy', '--key-id', keyId, '--policy-name', 'default', '--policy', `file://${file('policy.json', policy)}`]),
      aws(['enable-key-rotation', '--key-id', keyId]),
    ]);
    const [aliases, grants, gotPolicy, rotation] = await Promise.all([
      aws(['list-aliases', '--key-id', keyId]),
      aws(['list-grants', '--key-id', keyId]),
      aws(['get-key-policy', '--key-id', keyId, '--policy-name', 'default']),
      aws(['get-key-rotation-status', '--key-id', keyId]),
    ]);
    assert.deepEqual(
      (aliases.Aliases as Array<Record<string, unknown>>).map((a) => [a.AliasName, a.TargetKeyId]),
      [['alias/from-cli', keyId]],
    );
    assert.match(grant.GrantId as string, /^[0-9a-f]{64}$/);
    const listed = grants.Grants as Array<Record<string, unknown>>;
    assert.deepEqual(
      listed.map((g) => [g.GrantId, g.Name, g.Operations]),
      [[grant.GrantId, 'cli-grant', ['Decrypt', 'Encrypt']]],
    );
    assert.equal(gotPolicy.Policy, policy);
    assert.equal(rotation.KeyRotationEnabled, true);
  });

  it('signs and verifies; the CLI’s signature verifies with node:crypto; bad credentials are refused', async () => {
    const keyId = (await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!;
    const message = file('message.txt', 'release 1.0');
    const signed = await aws([
      'sign',
      '--key-id',
      keyId,
      '--message',
      `fileb://${message}`,
      '--message-type',
      'RAW',
      '--signing-algorithm',
      'ECDSA_SHA_256',
    ]);
    const signature = file('signature.bin', Buffer.from(signed.Signature as string, 'base64'));
    const [verified, publicKey] = await Promise.all([
      aws([
        'verify',
        '--key-id',
        keyId,
        '--message',
        `fileb://${message}`,
        '--message-type',
        'RAW',
        '--signing-algorithm',
        'ECDSA_SHA_256',
        '--signature',
        `fileb://${signature}`,
      ]),
      client.send(new GetPublicKeyCommand({ KeyId: keyId })),
      awsFails(['list-keys'], 'UnrecognizedClientException', { AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN' }),
      awsFails(['list-keys'], 'InvalidSignatureException', { AWS_SECRET_ACCESS_KEY: 'wrong' }),
    ]);
    assert.equal(verified.SignatureValid, true);
    const key = createPublicKey({ key: Buffer.from(publicKey.PublicKey!), format: 'der', type: 'spki' });
    assert.ok(verify('sha256', utf8('release 1.0'), key, Buffer.from(signed.Signature as string, 'base64')));
  });
});
