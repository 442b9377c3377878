// The Create Custom Key Store command: a CloudHSM store (cluster, trust anchor, kmsuser password)
// or an external key store (proxy endpoint, path, connectivity, credential), from arguments or a wizard.
import type { CreateCustomKeyStoreCommandInput } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import { ArgumentError } from '../../core/args/argumentError';
import { Args } from '../../core/args/readArgs';
import type { Connection } from '../../core/aws/connection';
import type { CommandSpec } from '../commands/commandRunner';
import type { UserInput } from '../ui/userInput';
import { UserCancelledError } from '../ui/userInput';
import { inputChecked, isScripted } from './commandArgs';
import { notify } from './output';
import { keyChanged, resolveConnection } from './resolveKey';
import {
  CLOUDHSM_FIELDS,
  CONNECT,
  CONNECTIVITIES,
  CREATE,
  STORE_TYPES,
  XKS_FIELDS,
  checks,
  type CustomKeyStoreResult,
  refuseFields,
  requireArg,
  resultOf,
  storeArg,
  type TypedField,
} from './customKeyStoreSupport';

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
    const args = Args.from(CREATE, arg, ['connection', 'name', 'type', ...CLOUDHSM_FIELDS, ...XKS_FIELDS]);
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

/** What a CloudHSM key store is made of, as CreateCustomKeyStore takes it. */
function cloudHsmStore(name: string, v: { clusterId: string; trustAnchor: string; password: string }): CreateCustomKeyStoreCommandInput {
  return {
    CustomKeyStoreName: name,
    CustomKeyStoreType: 'AWS_CLOUDHSM',
    CloudHsmClusterId: v.clusterId,
    TrustAnchorCertificate: v.trustAnchor,
    KeyStorePassword: v.password,
  };
}

/** What an external key store is made of, as CreateCustomKeyStore takes it. */
function externalStore(
  name: string,
  v: {
    connectivity: (typeof CONNECTIVITIES)[number];
    endpoint: string;
    path: string;
    service?: string;
    accessKeyId: string;
    secret: string;
  },
): CreateCustomKeyStoreCommandInput {
  return {
    CustomKeyStoreName: name,
    CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
    XksProxyConnectivity: v.connectivity,
    XksProxyUriEndpoint: v.endpoint,
    XksProxyUriPath: v.path,
    XksProxyVpcEndpointServiceName: v.service,
    XksProxyAuthenticationCredential: { AccessKeyId: v.accessKeyId, RawSecretAccessKey: v.secret },
  };
}

async function createInputFromArgs(args: Args): Promise<CreateCustomKeyStoreCommandInput> {
  const required = (field: TypedField, why: string): string => requireArg(CREATE, field, storeArg(CREATE, args, field), why);
  const name = required('name', 'a name for the store');
  const type = requireArg(CREATE, 'type', args.oneOf('type', STORE_TYPES), '(AWS_CLOUDHSM or EXTERNAL_KEY_STORE)');
  refuseFields(CREATE, args, type === 'AWS_CLOUDHSM' ? XKS_FIELDS : CLOUDHSM_FIELDS, `a store of type ${type}`);
  if (type === 'AWS_CLOUDHSM') {
    const clusterId = required('cloudHsmClusterId', 'for a CloudHSM key store');
    const file = requireArg(
      CREATE,
      'trustAnchorCertificateFile',
      args.string('trustAnchorCertificateFile', 'the path of customerCA.crt'),
      'for a CloudHSM key store (the customerCA.crt that signed the cluster certificate)',
    );
    const password = required('keyStorePassword', 'for a CloudHSM key store (the kmsuser password)');
    return cloudHsmStore(name, { clusterId, trustAnchor: await readTrustAnchor(file), password });
  }
  const connectivity = requireArg(
    CREATE,
    'xksProxyConnectivity',
    args.oneOf('xksProxyConnectivity', CONNECTIVITIES),
    'for an external key store (PUBLIC_ENDPOINT or VPC_ENDPOINT_SERVICE)',
  );
  const endpoint = required('xksProxyUriEndpoint', 'for an external key store');
  const path = required('xksProxyUriPath', 'for an external key store');
  const service = storeArg(CREATE, args, 'xksProxyVpcEndpointServiceName');
  if (connectivity === 'VPC_ENDPOINT_SERVICE' && !service)
    throw new ArgumentError(`${CREATE}: "xksProxyVpcEndpointServiceName" is required with VPC_ENDPOINT_SERVICE connectivity.`);
  if (connectivity === 'PUBLIC_ENDPOINT' && service)
    throw new ArgumentError(`${CREATE}: "xksProxyVpcEndpointServiceName" is only for VPC_ENDPOINT_SERVICE connectivity.`);
  const accessKeyId = required('xksProxyAccessKeyId', 'for an external key store');
  const secret = required('xksProxySecretAccessKey', 'for an external key store');
  return externalStore(name, { connectivity, endpoint, path, service, accessKeyId, secret });
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
    return cloudHsmStore(name, { clusterId, trustAnchor, password });
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
  return externalStore(name, { connectivity, endpoint, path, service, accessKeyId, secret });
}
