import type { CreateCustomKeyStoreCommandInput, CustomKeyStoresListEntry, UpdateCustomKeyStoreCommandInput } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import { ArgumentError } from '../../core/args/argumentError';
import { Args } from '../../core/args/readArgs';
import type { Connection } from '../../core/aws/connection';
import { type Checked, ok, problem } from '../../core/keyOps/checked';
import { KmsError } from '../../core/kms/errors';
import type { KmsGateway } from '../../core/kms/gateway';
import { connectionErrorText } from '../../core/tree/keyPresentation';
import type { CommandSpec } from '../commands/commandRunner';
import type { Services } from '../services';
import { targetOf } from '../targets';
import type { UserInput } from '../ui/userInput';
import { UserCancelledError } from '../ui/userInput';
import { argValue, confirmedByArgs, inputChecked, isScripted } from './commandArgs';
import { notify } from './output';
import { keyChanged, resolveConnection } from './resolveKey';

const CREATE = 'kmsWorkbench.createCustomKeyStore';
const UPDATE = 'kmsWorkbench.updateCustomKeyStore';
const CONNECT = 'kmsWorkbench.connectCustomKeyStore';
const DISCONNECT = 'kmsWorkbench.disconnectCustomKeyStore';
const DELETE = 'kmsWorkbench.deleteCustomKeyStore';

const STORE_TYPES = ['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] as const;
const CONNECTIVITIES = ['PUBLIC_ENDPOINT', 'VPC_ENDPOINT_SERVICE'] as const;

/**
 * Checks of what a person types for a custom key store, as the KMS API reference constrains
 * it. Secrets (the kmsuser password, the proxy secret access key) are checked for shape
 * only and never appear in a message.
 */
const checks = {
  name: (v: string): Checked<string> =>
    v.trim().length >= 1 && v.length <= 256 ? ok(v.trim()) : problem('A name of 1 to 256 characters, unique in the Region.'),
  clusterId: (v: string): Checked<string> =>
    /^cluster-[a-z0-9]{11,16}$/i.test(v.trim()) ? ok(v.trim()) : problem('A CloudHSM cluster id looks like cluster-1a23b4cdefg.'),
  password: (v: string): Checked<string> =>
    v.length >= 7 && v.length <= 32 ? ok(v) : problem('The kmsuser password has 7 to 32 characters.'),
  endpoint: (v: string): Checked<string> =>
    /^https:\/\/[a-zA-Z0-9.-]+$/.test(v.trim()) && v.trim().length <= 128
      ? ok(v.trim())
      : problem('https:// and a host name, no path or port (e.g. https://xks.example.com).'),
  path: (v: string): Checked<string> =>
    /^\/[a-zA-Z0-9/_-]+\/kms\/xks\/v\d{1,2}$/.test(v.trim()) && v.trim().length >= 10 && v.trim().length <= 128
      ? ok(v.trim())
      : problem('A path ending in /kms/xks/v1 (e.g. /example/kms/xks/v1), 10 to 128 characters.'),
  vpcService: (v: string): Checked<string> =>
    /^com\.amazonaws\.vpce\.([a-z]+-){2,3}\d+\.vpce-svc-[0-9a-z]{17}$/.test(v.trim())
      ? ok(v.trim())
      : problem('A VPC endpoint service name like com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0.'),
  accessKeyId: (v: string): Checked<string> =>
    /^[A-Z2-7]{20,30}$/.test(v.trim()) ? ok(v.trim()) : problem('The proxy access key id: 20 to 30 characters A–Z and 2–7.'),
  secret: (v: string): Checked<string> =>
    /^[a-zA-Z0-9/+=]{43,64}$/.test(v) ? ok(v) : problem('The proxy secret access key: 43 to 64 characters of base64.'),
};

export interface CustomKeyStoreResult {
  readonly customKeyStoreId: string;
  readonly customKeyStoreName?: string;
  readonly customKeyStoreType?: string;
  readonly connectionState?: string;
  readonly connectionErrorCode?: string;
  /** The ConnectionErrorCode in words, when there is one. */
  readonly connectionError?: string;
}

function resultOf(store: CustomKeyStoresListEntry): CustomKeyStoreResult {
  return {
    customKeyStoreId: store.CustomKeyStoreId ?? '',
    customKeyStoreName: store.CustomKeyStoreName,
    customKeyStoreType: store.CustomKeyStoreType ?? 'AWS_CLOUDHSM',
    connectionState: store.ConnectionState,
    connectionErrorCode: store.ConnectionErrorCode,
    connectionError: connectionErrorText(store.ConnectionErrorCode),
  };
}

async function allStores(gateway: KmsGateway): Promise<CustomKeyStoresListEntry[]> {
  const stores: CustomKeyStoresListEntry[] = [];
  let marker: string | undefined;
  do {
    const page = await gateway.describeCustomKeyStoresPage(marker);
    stores.push(...page.items);
    marker = page.nextMarker;
  } while (marker);
  return stores;
}

interface ResolvedStore {
  readonly connection: Connection;
  readonly gateway: KmsGateway;
  readonly store: CustomKeyStoresListEntry;
  readonly id: string;
  readonly label: string;
}

/** The store a command acts on: a tree node's, `customKeyStoreId`, or a picker of the stores whose state allows the action. */
async function resolveStore(
  arg: unknown,
  args: Args,
  services: Services,
  options: { title: string; allowed?: (s: CustomKeyStoresListEntry) => boolean; none: string },
): Promise<ResolvedStore> {
  const target = targetOf(arg);
  const connection = target?.connection ?? (await resolveConnection(arg, args, services));
  const gateway = services.kms.gateway(connection);
  const id =
    target?.kind === 'customKeyStore'
      ? target.customKeyStoreId
      : args.string('customKeyStoreId', 'a custom key store id like cks-1234567890abcdef0');
  let store: CustomKeyStoresListEntry;
  if (id) {
    store = await gateway.describeCustomKeyStore(id);
  } else {
    const stores = (await allStores(gateway)).filter((s) => options.allowed?.(s) ?? true);
    if (!stores.length) throw new KmsError('NoCustomKeyStore', `${options.none} in ${connection.label}.`);
    store = await services.ui.pick(
      stores.map((s) => ({
        label: s.CustomKeyStoreName ?? s.CustomKeyStoreId ?? '?',
        description: `${s.CustomKeyStoreId ?? ''} · ${s.ConnectionState ?? ''}`,
        value: s,
      })),
      { title: options.title },
    );
  }
  const storeId = store.CustomKeyStoreId ?? id ?? '';
  return {
    connection,
    gateway,
    store,
    id: storeId,
    label: store.CustomKeyStoreName ? `${store.CustomKeyStoreName} (${storeId})` : storeId,
  };
}

const isCloudHsm = (s: CustomKeyStoresListEntry): boolean => (s.CustomKeyStoreType ?? 'AWS_CLOUDHSM') === 'AWS_CLOUDHSM';

async function readTrustAnchor(path: string): Promise<string> {
  let text: string;
  try {
    text = Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(path))).toString('utf8');
  } catch (error) {
    throw new ArgumentError(
      `${CREATE}: "trustAnchorCertificateFile": cannot read ${path} (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----'))
    throw new ArgumentError(
      `${CREATE}: "trustAnchorCertificateFile": ${path} is not a PEM certificate: give the customerCA.crt that signed the cluster's certificate.`,
    );
  if (text.length > 5000)
    throw new ArgumentError(`${CREATE}: "trustAnchorCertificateFile": KMS takes a trust anchor certificate of at most 5000 characters.`);
  return text;
}

function checkedArg(command: string, args: Args, field: string, what: string, check: (v: string) => Checked<string>): string | undefined {
  const value = args.string(field, what);
  return value === undefined ? undefined : argValue(command, field, check(value));
}

function requireArg<T>(command: string, field: string, value: T | undefined, why: string): T {
  if (value === undefined) throw new ArgumentError(`${command}: "${field}" is required ${why}.`);
  return value;
}

/** Wait for the end of a connection attempt, polling DescribeCustomKeyStores (cancellable). */
async function waitForConnection(gateway: KmsGateway, id: string, label: string): Promise<CustomKeyStoresListEntry> {
  return Promise.resolve(
    vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `KMS: connecting ${label} (this can take up to 20 minutes)…`,
        cancellable: true,
      },
      async (_progress, token) => {
        const deadline = Date.now() + 30 * 60 * 1000;
        for (;;) {
          const store = await gateway.describeCustomKeyStore(id);
          if (store.ConnectionState !== 'CONNECTING' || Date.now() > deadline) return store;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 1000);
            token.onCancellationRequested(() => {
              clearTimeout(timer);
              resolve();
            });
          });
          if (token.isCancellationRequested) return gateway.describeCustomKeyStore(id);
        }
      },
    ),
  );
}

/**
 * `kmsWorkbench.createCustomKeyStore` `{ connection?, name, type (AWS_CLOUDHSM |
 * EXTERNAL_KEY_STORE), cloudHsmClusterId?, trustAnchorCertificateFile? (path of customerCA.crt),
 * keyStorePassword? (kmsuser's), xksProxyUriEndpoint?, xksProxyUriPath?,
 * xksProxyConnectivity? (PUBLIC_ENDPOINT | VPC_ENDPOINT_SERVICE), xksProxyVpcEndpointServiceName?,
 * xksProxyAccessKeyId?, xksProxySecretAccessKey? }`: CreateCustomKeyStore. Interactively a
 * wizard; the password and the proxy secret are asked in a password box and never stored or
 * logged. The store starts disconnected. Returns `{ customKeyStoreId, customKeyStoreName,
 * customKeyStoreType, connectionState }`.
 */
export const createCustomKeyStore: CommandSpec<CustomKeyStoreResult> = {
  id: CREATE,
  action: 'create the custom key store',
  run: async (arg, services) => {
    const args = Args.from(CREATE, arg, [
      'connection',
      'name',
      'type',
      'cloudHsmClusterId',
      'trustAnchorCertificateFile',
      'keyStorePassword',
      'xksProxyUriEndpoint',
      'xksProxyUriPath',
      'xksProxyConnectivity',
      'xksProxyVpcEndpointServiceName',
      'xksProxyAccessKeyId',
      'xksProxySecretAccessKey',
    ]);
    const connection = await resolveConnection(arg, args, services);
    const gateway = services.kms.gateway(connection);
    const input = isScripted(arg) ? await createInputFromArgs(args) : await askCreateInput(services.ui, connection);
    const id = await gateway.createCustomKeyStore(input);
    keyChanged(services, connection);
    const store = await gateway.describeCustomKeyStore(id);
    notify(`Created custom key store ${input.CustomKeyStoreName ?? ''} (${id}). It is disconnected: connect it to create keys in it.`, {
      title: 'Connect',
      run: () => vscode.commands.executeCommand(CONNECT, { connection: connection.id, customKeyStoreId: id }),
    });
    return resultOf(store);
  },
};

async function createInputFromArgs(args: Args): Promise<CreateCustomKeyStoreCommandInput> {
  const name = requireArg(CREATE, 'name', checkedArg(CREATE, args, 'name', 'the store name', checks.name), 'a name for the store');
  const type = requireArg(CREATE, 'type', args.oneOf('type', STORE_TYPES), '(AWS_CLOUDHSM or EXTERNAL_KEY_STORE)');
  const cloudHsmFields = ['cloudHsmClusterId', 'trustAnchorCertificateFile', 'keyStorePassword'];
  const xksFields = [
    'xksProxyUriEndpoint',
    'xksProxyUriPath',
    'xksProxyConnectivity',
    'xksProxyVpcEndpointServiceName',
    'xksProxyAccessKeyId',
    'xksProxySecretAccessKey',
  ];
  const foreign = (type === 'AWS_CLOUDHSM' ? xksFields : cloudHsmFields).filter((f) => args.has(f));
  if (foreign.length)
    throw new ArgumentError(
      `${CREATE}: ${foreign.map((f) => `"${f}"`).join(', ')} ${foreign.length > 1 ? 'are' : 'is'} not for a store of type ${type}.`,
    );
  if (type === 'AWS_CLOUDHSM') {
    const clusterId = requireArg(
      CREATE,
      'cloudHsmClusterId',
      checkedArg(CREATE, args, 'cloudHsmClusterId', 'a cluster id', checks.clusterId),
      'for a CloudHSM key store',
    );
    const file = requireArg(
      CREATE,
      'trustAnchorCertificateFile',
      args.string('trustAnchorCertificateFile', 'the path of customerCA.crt'),
      'for a CloudHSM key store (the customerCA.crt that signed the cluster certificate)',
    );
    const password = requireArg(
      CREATE,
      'keyStorePassword',
      checkedArg(CREATE, args, 'keyStorePassword', 'the kmsuser password', checks.password),
      'for a CloudHSM key store (the kmsuser password)',
    );
    return {
      CustomKeyStoreName: name,
      CustomKeyStoreType: type,
      CloudHsmClusterId: clusterId,
      TrustAnchorCertificate: await readTrustAnchor(file),
      KeyStorePassword: password,
    };
  }
  const connectivity = requireArg(
    CREATE,
    'xksProxyConnectivity',
    args.oneOf('xksProxyConnectivity', CONNECTIVITIES),
    'for an external key store (PUBLIC_ENDPOINT or VPC_ENDPOINT_SERVICE)',
  );
  const endpoint = requireArg(
    CREATE,
    'xksProxyUriEndpoint',
    checkedArg(CREATE, args, 'xksProxyUriEndpoint', 'the proxy endpoint', checks.endpoint),
    'for an external key store',
  );
  const path = requireArg(
    CREATE,
    'xksProxyUriPath',
    checkedArg(CREATE, args, 'xksProxyUriPath', 'the proxy path', checks.path),
    'for an external key store',
  );
  const service = checkedArg(CREATE, args, 'xksProxyVpcEndpointServiceName', 'the VPC endpoint service name', checks.vpcService);
  if (connectivity === 'VPC_ENDPOINT_SERVICE' && !service)
    throw new ArgumentError(`${CREATE}: "xksProxyVpcEndpointServiceName" is required with VPC_ENDPOINT_SERVICE connectivity.`);
  if (connectivity === 'PUBLIC_ENDPOINT' && service)
    throw new ArgumentError(`${CREATE}: "xksProxyVpcEndpointServiceName" is only for VPC_ENDPOINT_SERVICE connectivity.`);
  const accessKeyId = requireArg(
    CREATE,
    'xksProxyAccessKeyId',
    checkedArg(CREATE, args, 'xksProxyAccessKeyId', 'the proxy access key id', checks.accessKeyId),
    'for an external key store',
  );
  const secret = requireArg(
    CREATE,
    'xksProxySecretAccessKey',
    checkedArg(CREATE, args, 'xksProxySecretAccessKey', 'the proxy secret access key', checks.secret),
    'for an external key store',
  );
  return {
    CustomKeyStoreName: name,
    CustomKeyStoreType: type,
    XksProxyConnectivity: connectivity,
    XksProxyUriEndpoint: endpoint,
    XksProxyUriPath: path,
    XksProxyVpcEndpointServiceName: service,
    XksProxyAuthenticationCredential: { AccessKeyId: accessKeyId, RawSecretAccessKey: secret },
  };
}

async function askCreateInput(ui: UserInput, connection: Connection): Promise<CreateCustomKeyStoreCommandInput> {
  const title = (what: string): string => `Create custom key store (${connection.label}): ${what}`;
  const type = await ui.pick(
    [
      {
        label: 'AWS CloudHSM key store',
        detail: 'Keys live in your AWS CloudHSM cluster (in the same account and Region); KMS logs in as the kmsuser crypto user.',
        value: 'AWS_CLOUDHSM' as const,
      },
      {
        label: 'External key store',
        detail: 'Keys live in your own key manager outside AWS, reached through an external key store (XKS) proxy.',
        value: 'EXTERNAL_KEY_STORE' as const,
      },
    ],
    { title: title('type'), step: 1, totalSteps: 5 },
  );
  const name = await inputChecked(ui, { title: title('name'), step: 2, totalSteps: 5, placeholder: 'my-key-store' }, checks.name);
  if (type === 'AWS_CLOUDHSM') {
    const clusterId = await inputChecked(
      ui,
      {
        title: title('CloudHSM cluster id'),
        step: 3,
        totalSteps: 5,
        placeholder: 'cluster-1a23b4cdefg',
        prompt: 'An active cluster with at least two HSMs in different Availability Zones.',
      },
      checks.clusterId,
    );
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      openLabel: 'Use This Certificate',
      title: 'Trust anchor certificate (customerCA.crt)',
      filters: { Certificates: ['crt', 'pem', 'cer'], 'All files': ['*'] },
    });
    if (!picked?.[0]) throw new UserCancelledError();
    const trustAnchor = await readTrustAnchor(picked[0].fsPath);
    const password = await inputChecked(
      ui,
      {
        title: title('kmsuser password'),
        step: 5,
        totalSteps: 5,
        password: true,
        prompt: 'The password of the kmsuser crypto user in the cluster. Sent to KMS only; never stored.',
      },
      checks.password,
    );
    return {
      CustomKeyStoreName: name,
      CustomKeyStoreType: type,
      CloudHsmClusterId: clusterId,
      TrustAnchorCertificate: trustAnchor,
      KeyStorePassword: password,
    };
  }
  const connectivity = await ui.pick(
    [
      {
        label: 'Public endpoint',
        description: 'PUBLIC_ENDPOINT',
        detail: 'KMS reaches the proxy over the internet (https).',
        value: 'PUBLIC_ENDPOINT' as const,
      },
      {
        label: 'VPC endpoint service',
        description: 'VPC_ENDPOINT_SERVICE',
        detail: 'KMS reaches the proxy through an Amazon VPC endpoint service you made for it.',
        value: 'VPC_ENDPOINT_SERVICE' as const,
      },
    ],
    { title: title('proxy connectivity'), step: 3, totalSteps: 5 },
  );
  const endpoint = await inputChecked(
    ui,
    { title: title('proxy URI endpoint'), step: 3, totalSteps: 5, placeholder: 'https://xks.example.com' },
    checks.endpoint,
  );
  const path = await inputChecked(
    ui,
    { title: title('proxy URI path'), step: 3, totalSteps: 5, placeholder: '/example/kms/xks/v1' },
    checks.path,
  );
  const service =
    connectivity === 'VPC_ENDPOINT_SERVICE'
      ? await inputChecked(
          ui,
          {
            title: title('VPC endpoint service name'),
            step: 4,
            totalSteps: 5,
            placeholder: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0',
          },
          checks.vpcService,
        )
      : undefined;
  const accessKeyId = await inputChecked(
    ui,
    {
      title: title('proxy authentication: access key id'),
      step: 5,
      totalSteps: 5,
      prompt: 'The access key id the proxy expects (SigV4 credential of the proxy, not an IAM key).',
    },
    checks.accessKeyId,
  );
  const secret = await inputChecked(
    ui,
    {
      title: title('proxy authentication: secret access key'),
      step: 5,
      totalSteps: 5,
      password: true,
      prompt: 'Sent to KMS only; never stored.',
    },
    checks.secret,
  );
  return {
    CustomKeyStoreName: name,
    CustomKeyStoreType: type,
    XksProxyConnectivity: connectivity,
    XksProxyUriEndpoint: endpoint,
    XksProxyUriPath: path,
    XksProxyVpcEndpointServiceName: service,
    XksProxyAuthenticationCredential: { AccessKeyId: accessKeyId, RawSecretAccessKey: secret },
  };
}

const UPDATE_FIELDS = [
  'newName',
  'keyStorePassword',
  'cloudHsmClusterId',
  'xksProxyUriEndpoint',
  'xksProxyUriPath',
  'xksProxyConnectivity',
  'xksProxyVpcEndpointServiceName',
  'xksProxyAccessKeyId',
  'xksProxySecretAccessKey',
];

/**
 * `kmsWorkbench.updateCustomKeyStore` `{ customKeyStoreId?, connection?, newName?,
 * keyStorePassword?, cloudHsmClusterId?, xksProxyUriEndpoint?, xksProxyUriPath?,
 * xksProxyConnectivity?, xksProxyVpcEndpointServiceName?, xksProxyAccessKeyId? with
 * xksProxySecretAccessKey? }`: UpdateCustomKeyStore. The name (and, for an external store,
 * the path and proxy credential) can change while connected; the rest needs a disconnected
 * store. Interactively: pick a property, then its new value (secrets in a password box).
 * Returns the store as `{ customKeyStoreId, …, connectionState }`.
 */
export const updateCustomKeyStore: CommandSpec<CustomKeyStoreResult> = {
  id: UPDATE,
  action: 'update the custom key store',
  run: async (arg, services) => {
    const args = Args.from(UPDATE, arg, ['customKeyStoreId', 'connection', ...UPDATE_FIELDS]);
    const target = await resolveStore(arg, args, services, { title: 'Update custom key store', none: 'There is no custom key store' });
    const cloudHsm = isCloudHsm(target.store);
    const input: UpdateCustomKeyStoreCommandInput = isScripted(arg)
      ? updateFromArgs(args, cloudHsm)
      : await askUpdate(services.ui, target, cloudHsm);
    input.CustomKeyStoreId = target.id;
    if (Object.keys(input).length === 1)
      throw new ArgumentError(
        `${UPDATE}: nothing to change: give ${(cloudHsm ? ['newName', 'keyStorePassword', 'cloudHsmClusterId'] : ['newName', 'xksProxyUriEndpoint', 'xksProxyUriPath', 'xksProxyConnectivity', 'xksProxyVpcEndpointServiceName', 'xksProxyAccessKeyId']).map((f) => `"${f}"`).join(', ')}.`,
      );
    await target.gateway.updateCustomKeyStore(input);
    keyChanged(services, target.connection);
    const store = await target.gateway.describeCustomKeyStore(target.id);
    notify(`Updated custom key store ${store.CustomKeyStoreName ?? target.id}.`);
    return resultOf(store);
  },
};

function updateFromArgs(args: Args, cloudHsm: boolean): UpdateCustomKeyStoreCommandInput {
  const wrong = (cloudHsm ? UPDATE_FIELDS.filter((f) => f.startsWith('xks')) : ['keyStorePassword', 'cloudHsmClusterId']).filter((f) =>
    args.has(f),
  );
  if (wrong.length)
    throw new ArgumentError(
      `${UPDATE}: ${wrong.map((f) => `"${f}"`).join(', ')} ${wrong.length > 1 ? 'are' : 'is'} not for ${cloudHsm ? 'a CloudHSM' : 'an external'} key store.`,
    );
  const input: UpdateCustomKeyStoreCommandInput = { CustomKeyStoreId: undefined };
  input.NewCustomKeyStoreName = checkedArg(UPDATE, args, 'newName', 'the new name', checks.name);
  input.KeyStorePassword = checkedArg(UPDATE, args, 'keyStorePassword', 'the kmsuser password', checks.password);
  input.CloudHsmClusterId = checkedArg(UPDATE, args, 'cloudHsmClusterId', 'a cluster id', checks.clusterId);
  input.XksProxyUriEndpoint = checkedArg(UPDATE, args, 'xksProxyUriEndpoint', 'the proxy endpoint', checks.endpoint);
  input.XksProxyUriPath = checkedArg(UPDATE, args, 'xksProxyUriPath', 'the proxy path', checks.path);
  input.XksProxyConnectivity = args.oneOf('xksProxyConnectivity', CONNECTIVITIES);
  input.XksProxyVpcEndpointServiceName = checkedArg(
    UPDATE,
    args,
    'xksProxyVpcEndpointServiceName',
    'the VPC endpoint service name',
    checks.vpcService,
  );
  const accessKeyId = checkedArg(UPDATE, args, 'xksProxyAccessKeyId', 'the proxy access key id', checks.accessKeyId);
  const secret = checkedArg(UPDATE, args, 'xksProxySecretAccessKey', 'the proxy secret access key', checks.secret);
  if ((accessKeyId === undefined) !== (secret === undefined))
    throw new ArgumentError(`${UPDATE}: the proxy credential is "xksProxyAccessKeyId" and "xksProxySecretAccessKey" together.`);
  if (accessKeyId && secret) input.XksProxyAuthenticationCredential = { AccessKeyId: accessKeyId, RawSecretAccessKey: secret };
  for (const key of Object.keys(input) as (keyof UpdateCustomKeyStoreCommandInput)[]) if (input[key] === undefined) delete input[key];
  return input;
}

async function askUpdate(ui: UserInput, target: ResolvedStore, cloudHsm: boolean): Promise<UpdateCustomKeyStoreCommandInput> {
  const disconnected = target.store.ConnectionState === 'DISCONNECTED';
  const needsDisconnect = disconnected ? undefined : 'disconnect the store first';
  type Property = 'name' | 'password' | 'cluster' | 'endpoint' | 'path' | 'connectivity' | 'credential';
  const items: { label: string; description?: string; value: Property }[] = [
    { label: 'Name', description: target.store.CustomKeyStoreName, value: 'name' },
    ...(cloudHsm
      ? [
          { label: 'kmsuser password', description: needsDisconnect ?? 'tell KMS the current password', value: 'password' as const },
          { label: 'CloudHSM cluster', description: needsDisconnect ?? target.store.CloudHsmClusterId, value: 'cluster' as const },
        ]
      : [
          { label: 'Proxy URI path', description: target.store.XksProxyConfiguration?.UriPath, value: 'path' as const },
          { label: 'Proxy authentication credential', description: 'access key id and secret', value: 'credential' as const },
          {
            label: 'Proxy URI endpoint',
            description: needsDisconnect ?? target.store.XksProxyConfiguration?.UriEndpoint,
            value: 'endpoint' as const,
          },
          {
            label: 'Proxy connectivity',
            description: needsDisconnect ?? target.store.XksProxyConfiguration?.Connectivity,
            value: 'connectivity' as const,
          },
        ]),
  ];
  const property = await ui.pick(items, { title: `Update ${target.label}: what to change` });
  const title = `Update ${target.label}`;
  switch (property) {
    case 'name':
      return {
        CustomKeyStoreId: target.id,
        NewCustomKeyStoreName: await inputChecked(ui, { title: `${title}: new name`, value: target.store.CustomKeyStoreName }, checks.name),
      };
    case 'password':
      return {
        CustomKeyStoreId: target.id,
        KeyStorePassword: await inputChecked(
          ui,
          {
            title: `${title}: current kmsuser password`,
            password: true,
            prompt: 'Does not change the password in the cluster: it tells KMS the password kmsuser has now.',
          },
          checks.password,
        ),
      };
    case 'cluster':
      return {
        CustomKeyStoreId: target.id,
        CloudHsmClusterId: await inputChecked(
          ui,
          { title: `${title}: CloudHSM cluster id`, prompt: 'A cluster related to the current one (made from a backup of it).' },
          checks.clusterId,
        ),
      };
    case 'endpoint':
      return {
        CustomKeyStoreId: target.id,
        XksProxyUriEndpoint: await inputChecked(
          ui,
          { title: `${title}: proxy URI endpoint`, value: target.store.XksProxyConfiguration?.UriEndpoint },
          checks.endpoint,
        ),
      };
    case 'path':
      return {
        CustomKeyStoreId: target.id,
        XksProxyUriPath: await inputChecked(
          ui,
          { title: `${title}: proxy URI path`, value: target.store.XksProxyConfiguration?.UriPath },
          checks.path,
        ),
      };
    case 'connectivity': {
      const connectivity = await ui.pick(
        [
          { label: 'Public endpoint', description: 'PUBLIC_ENDPOINT', value: 'PUBLIC_ENDPOINT' as const },
          { label: 'VPC endpoint service', description: 'VPC_ENDPOINT_SERVICE', value: 'VPC_ENDPOINT_SERVICE' as const },
        ],
        { title: `${title}: proxy connectivity` },
      );
      const service =
        connectivity === 'VPC_ENDPOINT_SERVICE'
          ? await inputChecked(ui, { title: `${title}: VPC endpoint service name` }, checks.vpcService)
          : undefined;
      return {
        CustomKeyStoreId: target.id,
        XksProxyConnectivity: connectivity,
        ...(service ? { XksProxyVpcEndpointServiceName: service } : {}),
      };
    }
    case 'credential': {
      const accessKeyId = await inputChecked(ui, { title: `${title}: proxy access key id` }, checks.accessKeyId);
      const secret = await inputChecked(
        ui,
        { title: `${title}: proxy secret access key`, password: true, prompt: 'Sent to KMS only; never stored.' },
        checks.secret,
      );
      return { CustomKeyStoreId: target.id, XksProxyAuthenticationCredential: { AccessKeyId: accessKeyId, RawSecretAccessKey: secret } };
    }
  }
}

/**
 * `kmsWorkbench.connectCustomKeyStore` `{ customKeyStoreId?, connection?, wait? (default true
 * interactively, false with an argument object) }`: ConnectCustomKeyStore. A connection
 * takes KMS minutes; with `wait` the command polls DescribeCustomKeyStores (cancellable)
 * until the store is CONNECTED or FAILED, and explains the ConnectionErrorCode. Returns
 * `{ customKeyStoreId, connectionState, connectionErrorCode, connectionError }`.
 */
export const connectCustomKeyStore: CommandSpec<CustomKeyStoreResult> = {
  id: CONNECT,
  action: 'connect the custom key store',
  run: async (arg, services) => {
    const args = Args.from(CONNECT, arg, ['customKeyStoreId', 'connection', 'wait']);
    const wait = args.boolean('wait') ?? !isScripted(arg);
    const target = await resolveStore(arg, args, services, {
      title: 'Connect custom key store',
      allowed: (s) => s.ConnectionState === 'DISCONNECTED',
      none: 'No custom key store is disconnected',
    });
    if (target.store.ConnectionState === 'FAILED') {
      throw new KmsError(
        'CustomKeyStoreInvalidStateException',
        `${target.label} failed to connect (${connectionErrorText(target.store.ConnectionErrorCode) ?? 'no error code'}). Disconnect it, fix the cause, then connect it again.`,
      );
    }
    await target.gateway.connectCustomKeyStore(target.id);
    keyChanged(services, target.connection);
    const store = wait
      ? await waitForConnection(target.gateway, target.id, target.label)
      : await target.gateway.describeCustomKeyStore(target.id);
    keyChanged(services, target.connection);
    if (store.ConnectionState === 'FAILED') {
      throw new KmsError(
        'ConnectionFailed',
        `${target.label} could not connect: ${connectionErrorText(store.ConnectionErrorCode) ?? 'KMS gave no error code'}`,
      );
    }
    notify(
      store.ConnectionState === 'CONNECTED'
        ? `${target.label} is connected: its keys can be used and new keys created in it.`
        : `${target.label} is connecting; KMS can take up to 20 minutes.`,
    );
    return resultOf(store);
  },
};

/**
 * `kmsWorkbench.disconnectCustomKeyStore` `{ customKeyStoreId?, connection?, confirm }`:
 * DisconnectCustomKeyStore. Its keys become Unavailable (every cryptographic operation with
 * them fails) until it is connected again; with an argument object it needs `confirm: true`.
 * Returns `{ customKeyStoreId, connectionState }`.
 */
export const disconnectCustomKeyStore: CommandSpec<CustomKeyStoreResult> = {
  id: DISCONNECT,
  action: 'disconnect the custom key store',
  run: async (arg, services) => {
    const args = Args.from(DISCONNECT, arg, ['customKeyStoreId', 'connection', 'confirm']);
    const confirmed = confirmedByArgs(DISCONNECT, arg, args, 'makes every key in the store unavailable until it is connected again');
    const target = await resolveStore(arg, args, services, {
      title: 'Disconnect custom key store',
      allowed: (s) => s.ConnectionState !== 'DISCONNECTED' && s.ConnectionState !== 'DISCONNECTING',
      none: 'No custom key store is connected',
    });
    if (!confirmed) {
      await services.ui.confirm(`Disconnect ${target.label}?`, {
        detail:
          'Its KMS keys become Unavailable at once: Encrypt, Decrypt, GenerateDataKey and the other cryptographic operations with them fail (for AWS services too) until you connect the store again. Nothing is deleted.',
        confirmLabel: 'Disconnect',
        modal: true,
      });
    }
    await target.gateway.disconnectCustomKeyStore(target.id);
    keyChanged(services, target.connection);
    const store = await target.gateway.describeCustomKeyStore(target.id);
    notify(`${target.label} is disconnected; its keys are unavailable until it is connected again.`);
    return resultOf(store);
  },
};

/**
 * `kmsWorkbench.deleteCustomKeyStore` `{ customKeyStoreId?, connection?, confirm }`:
 * DeleteCustomKeyStore. KMS deletes only a disconnected store without KMS keys; with an
 * argument object it needs `confirm: true`. Returns `{ customKeyStoreId, deleted: true }`.
 */
export const deleteCustomKeyStore: CommandSpec<{ customKeyStoreId: string; deleted: true }> = {
  id: DELETE,
  action: 'delete the custom key store',
  run: async (arg, services) => {
    const args = Args.from(DELETE, arg, ['customKeyStoreId', 'connection', 'confirm']);
    const confirmed = confirmedByArgs(DELETE, arg, args, 'deletes a custom key store');
    const target = await resolveStore(arg, args, services, {
      title: 'Delete custom key store',
      allowed: (s) => s.ConnectionState === 'DISCONNECTED',
      none: 'No custom key store is disconnected (only a disconnected store can be deleted)',
    });
    if (target.store.ConnectionState !== 'DISCONNECTED') {
      throw new KmsError(
        'CustomKeyStoreInvalidStateException',
        `${target.label} is ${target.store.ConnectionState?.toLowerCase() ?? 'not disconnected'}: disconnect it before deleting it.`,
      );
    }
    if (!confirmed) {
      await services.ui.confirm(`Delete custom key store ${target.label}?`, {
        detail: `KMS forgets the store (its ${isCloudHsm(target.store) ? 'CloudHSM cluster' : 'external key manager'} and the keys in it are not touched). KMS refuses while any KMS key, even one pending deletion, is still in the store.`,
        confirmLabel: 'Delete Key Store',
        modal: true,
      });
    }
    await target.gateway.deleteCustomKeyStore(target.id);
    keyChanged(services, target.connection);
    notify(`Deleted custom key store ${target.label}.`);
    return { customKeyStoreId: target.id, deleted: true };
  },
};
