import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  DisconnectCustomKeyStoreCommand,
  EncryptCommand,
  type KMSClient,
  ScheduleKeyDeletionCommand,
  UpdateCustomKeyStoreCommand,
} from '@aws-sdk/client-kms';
import { readFileSync } from 'node:fs';
import * as assert from 'node:assert/strict';
import { EmulatorControl } from '../../emulator/control';
import { type Emulator, startEmulator } from '../../emulator/server';
import { kmsClient, rejectsWith, utf8 } from './helpers';

const trustAnchor = readFileSync('test/fixtures/byok/customerCA.crt', 'utf8');
const credential = { AccessKeyId: 'ABCDEFGHIJKLMNOPQRST', RawSecretAccessKey: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==' };
const vpcService = 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0';

describe('KMS emulator: custom key stores', () => {
  let kms: Emulator;
  let client: KMSClient;

  before(async () => {
    kms = await startEmulator({ port: 0 });
    client = kmsClient(kms);
  });
  after(() => kms.close());
  afterEach(() => kms.reset());

  const describeStore = async (id: string) =>
    (await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).CustomKeyStores![0];
  const cloudHsm = async (name = 'hsm', clusterId = 'cluster-1a23b4cdefg'): Promise<string> =>
    (
      await client.send(
        new CreateCustomKeyStoreCommand({
          CustomKeyStoreName: name,
          CloudHsmClusterId: clusterId,
          TrustAnchorCertificate: trustAnchor,
          KeyStorePassword: 'kmsuser-pass',
        }),
      )
    ).CustomKeyStoreId!;
  const external = async (name = 'xks', path = '/example/kms/xks/v1'): Promise<string> =>
    (
      await client.send(
        new CreateCustomKeyStoreCommand({
          CustomKeyStoreName: name,
          CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
          XksProxyConnectivity: 'PUBLIC_ENDPOINT',
          XksProxyUriEndpoint: 'https://xks.example.com',
          XksProxyUriPath: path,
          XksProxyAuthenticationCredential: credential,
        }),
      )
    ).CustomKeyStoreId!;
  /** Connects and lets the emulator's clock pass the connection attempt. */
  const connect = async (id: string): Promise<void> => {
    await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    assert.equal((await describeStore(id)).ConnectionState, 'CONNECTING');
    kms.advanceClock(1500);
  };

  it('creates a CloudHSM key store, disconnected, never showing the password', async () => {
    const id = await cloudHsm();
    assert.match(id, /^cks-[0-9a-f]{17}$/);
    const store = await describeStore(id);
    assert.equal(store.ConnectionState, 'DISCONNECTED');
    assert.equal(store.CustomKeyStoreType, 'AWS_CLOUDHSM');
    assert.equal(store.CloudHsmClusterId, 'cluster-1a23b4cdefg');
    assert.equal(store.TrustAnchorCertificate, trustAnchor);
    assert.ok(!JSON.stringify(store).includes('kmsuser-pass'));
    await rejectsWith(cloudHsm('hsm', 'cluster-2b34c5defgh'), 'CustomKeyStoreNameInUseException');
    await rejectsWith(cloudHsm('other'), 'CloudHsmClusterInUseException');
    await rejectsWith(
      client.send(
        new CreateCustomKeyStoreCommand({
          CustomKeyStoreName: 'x',
          CloudHsmClusterId: 'cluster-9z98y7xwvut',
          TrustAnchorCertificate: 'not a certificate',
          KeyStorePassword: 'kmsuser-pass',
        }),
      ),
      'IncorrectTrustAnchorException',
    );
    await rejectsWith(
      client.send(
        new CreateCustomKeyStoreCommand({
          CustomKeyStoreName: 'x',
          CloudHsmClusterId: 'cluster-9z98y7xwvut',
          TrustAnchorCertificate: trustAnchor,
          KeyStorePassword: 'short',
        }),
      ),
      'ValidationException',
    );
  });

  it('creates external key stores with public or VPC endpoint service connectivity, without the proxy secret', async () => {
    const id = await external();
    const store = await describeStore(id);
    assert.deepEqual(store.XksProxyConfiguration, {
      Connectivity: 'PUBLIC_ENDPOINT',
      AccessKeyId: credential.AccessKeyId,
      UriEndpoint: 'https://xks.example.com',
      UriPath: '/example/kms/xks/v1',
    });
    assert.ok(!JSON.stringify(store).includes(credential.RawSecretAccessKey));
    await rejectsWith(external('again'), 'XksProxyUriInUseException');
    const base = {
      CustomKeyStoreType: 'EXTERNAL_KEY_STORE' as const,
      XksProxyUriEndpoint: 'https://xks.vpc.example.com',
      XksProxyUriPath: '/vpc/kms/xks/v1',
      XksProxyAuthenticationCredential: credential,
    };
    await rejectsWith(
      client.send(new CreateCustomKeyStoreCommand({ ...base, CustomKeyStoreName: 'vpc', XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE' })),
      'ValidationException',
      { message: /VpcEndpointServiceName/ },
    );
    await client.send(
      new CreateCustomKeyStoreCommand({
        ...base,
        CustomKeyStoreName: 'vpc',
        XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE',
        XksProxyVpcEndpointServiceName: vpcService,
      }),
    );
    await rejectsWith(
      client.send(
        new CreateCustomKeyStoreCommand({
          ...base,
          CustomKeyStoreName: 'bad-path',
          XksProxyConnectivity: 'PUBLIC_ENDPOINT',
          XksProxyUriPath: '/no/xks/here',
        }),
      ),
      'ValidationException',
    );
    await rejectsWith(
      client.send(
        new CreateCustomKeyStoreCommand({
          ...base,
          CustomKeyStoreName: 'plain-http',
          XksProxyConnectivity: 'PUBLIC_ENDPOINT',
          XksProxyUriEndpoint: 'http://xks.example.org',
        }),
      ),
      'ValidationException',
    );
    await rejectsWith(
      client.send(
        new CreateCustomKeyStoreCommand({
          ...base,
          CustomKeyStoreName: 'mixed',
          XksProxyConnectivity: 'PUBLIC_ENDPOINT',
          KeyStorePassword: 'kmsuser-pass',
        }),
      ),
      'ValidationException',
    );
  });

  it('connects (CONNECTING, then CONNECTED), disconnects, and fails with a ConnectionErrorCode', async () => {
    const id = await cloudHsm();
    await connect(id);
    assert.equal((await describeStore(id)).ConnectionState, 'CONNECTED');
    await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    assert.equal((await describeStore(id)).ConnectionState, 'DISCONNECTED');
    await rejectsWith(client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id })), 'CustomKeyStoreInvalidStateException');
    kms.failNextConnection(id, 'INVALID_CREDENTIALS');
    await connect(id);
    const failed = await describeStore(id);
    assert.equal(failed.ConnectionState, 'FAILED');
    assert.equal(failed.ConnectionErrorCode, 'INVALID_CREDENTIALS');
    await rejectsWith(client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id })), 'CustomKeyStoreInvalidStateException', {
      message: /disconnect/,
    });
    await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await connect(id);
    assert.equal((await describeStore(id)).ConnectionState, 'CONNECTED');
    assert.equal((await describeStore(id)).ConnectionErrorCode, undefined);
    await rejectsWith(
      client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: 'cks-00000000000000000' })),
      'CustomKeyStoreNotFoundException',
    );
  });

  it('updates what each state allows', async () => {
    const hsm = await cloudHsm();
    const xks = await external();
    await connect(hsm);
    await connect(xks);
    await client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: hsm, NewCustomKeyStoreName: 'renamed' }));
    assert.equal((await describeStore(hsm)).CustomKeyStoreName, 'renamed');
    await rejectsWith(
      client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: hsm, KeyStorePassword: 'new-password' })),
      'CustomKeyStoreInvalidStateException',
    );
    await rejectsWith(
      client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: hsm, XksProxyUriPath: '/a/kms/xks/v1' })),
      'ValidationException',
    );
    await client.send(
      new UpdateCustomKeyStoreCommand({
        CustomKeyStoreId: xks,
        XksProxyUriPath: '/moved/kms/xks/v2',
        XksProxyAuthenticationCredential: { ...credential, AccessKeyId: 'ZYXWVUTSRQPONMLKJIHG' },
      }),
    );
    assert.equal((await describeStore(xks)).XksProxyConfiguration?.UriPath, '/moved/kms/xks/v2');
    assert.equal((await describeStore(xks)).XksProxyConfiguration?.AccessKeyId, 'ZYXWVUTSRQPONMLKJIHG');
    await rejectsWith(
      client.send(
        new UpdateCustomKeyStoreCommand({
          CustomKeyStoreId: xks,
          XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE',
          XksProxyVpcEndpointServiceName: vpcService,
        }),
      ),
      'CustomKeyStoreInvalidStateException',
    );
    await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: xks }));
    await client.send(
      new UpdateCustomKeyStoreCommand({
        CustomKeyStoreId: xks,
        XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE',
        XksProxyVpcEndpointServiceName: vpcService,
      }),
    );
    assert.equal((await describeStore(xks)).XksProxyConfiguration?.Connectivity, 'VPC_ENDPOINT_SERVICE');
    await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: hsm }));
    await client.send(
      new UpdateCustomKeyStoreCommand({
        CustomKeyStoreId: hsm,
        KeyStorePassword: 'new-password',
        CloudHsmClusterId: 'cluster-2b34c5defgh',
      }),
    );
    assert.equal((await describeStore(hsm)).CloudHsmClusterId, 'cluster-2b34c5defgh');
  });

  it('creates keys in a connected store; they are Unavailable while it is disconnected; it is deleted only empty and disconnected', async () => {
    const hsm = await cloudHsm();
    const xks = await external();
    await rejectsWith(
      client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: hsm })),
      'CustomKeyStoreInvalidStateException',
    );
    await connect(hsm);
    await connect(xks);
    const inHsm = (await client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: hsm }))).KeyMetadata!;
    assert.equal(inHsm.CloudHsmClusterId, 'cluster-1a23b4cdefg');
    await rejectsWith(client.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: xks })), 'ValidationException', {
      message: /XksKeyId/,
    });
    await rejectsWith(client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: xks })), 'ValidationException');
    const inXks = (await client.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: xks, XksKeyId: 'key-0001' })))
      .KeyMetadata!;
    assert.deepEqual(inXks.XksKeyConfiguration, { Id: 'key-0001' });
    await rejectsWith(
      client.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: xks, XksKeyId: 'key-0001' })),
      'XksKeyAlreadyInUseException',
    );
    await client.send(new EncryptCommand({ KeyId: inHsm.KeyId, Plaintext: utf8('x') }));

    await rejectsWith(client.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: hsm })), 'CustomKeyStoreInvalidStateException');
    await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: hsm }));
    assert.equal((await client.send(new DescribeKeyCommand({ KeyId: inHsm.KeyId }))).KeyMetadata?.KeyState, 'Unavailable');
    await rejectsWith(client.send(new EncryptCommand({ KeyId: inHsm.KeyId, Plaintext: utf8('x') })), 'KMSInvalidStateException');
    await connect(hsm);
    assert.equal((await client.send(new DescribeKeyCommand({ KeyId: inHsm.KeyId }))).KeyMetadata?.KeyState, 'Enabled');
    await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: hsm }));
    await rejectsWith(client.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: hsm })), 'CustomKeyStoreHasCMKsException');
    await client.send(new ScheduleKeyDeletionCommand({ KeyId: inHsm.KeyId, PendingWindowInDays: 7 }));
    await rejectsWith(client.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: hsm })), 'CustomKeyStoreHasCMKsException');
    kms.advanceClock(8 * 24 * 60 * 60 * 1000);
    await client.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: hsm }));
    await rejectsWith(client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: hsm })), 'CustomKeyStoreNotFoundException');
  });

  it('plans a connection failure and moves the clock through the control API (for tests in another process)', async () => {
    const id = await cloudHsm();
    const control = new EmulatorControl(kms.url);
    await control.failNextConnection(id, 'USER_LOCKED_OUT');
    await assert.rejects(control.failNextConnection('cks-00000000000000000', 'USER_LOCKED_OUT'), /404/);
    await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    const offset = await control.advanceClock(1500);
    assert.ok(offset >= 1500);
    assert.equal((await describeStore(id)).ConnectionErrorCode, 'USER_LOCKED_OUT');
    await assert.rejects(control.advanceClock(-1), /advanceMs/);
  });

  it('keeps stores per Region', async () => {
    const id = await cloudHsm();
    const eu = kmsClient(kms, 'eu-west-1');
    assert.deepEqual((await eu.send(new DescribeCustomKeyStoresCommand({}))).CustomKeyStores, []);
    await rejectsWith(eu.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id })), 'CustomKeyStoreNotFoundException');
  });
});
