// The Update Custom Key Store command: the properties a CloudHSM or external key store can change,
// from arguments or by picking a property and its new value.
import type { UpdateCustomKeyStoreCommandInput } from '@aws-sdk/client-kms';
import { ArgumentError } from '../../core/args/argumentError';
import { Args } from '../../core/args/readArgs';
import type { CommandSpec } from '../commands/commandRunner';
import type { UserInput } from '../ui/userInput';
import { inputChecked, isScripted } from './commandArgs';
import { notify } from './output';
import { keyChanged } from './resolveKey';
import {
  CONNECTIVITIES,
  UPDATE,
  XKS_FIELDS,
  checks,
  type CustomKeyStoreResult,
  isCloudHsm,
  refuseFields,
  resolveStore,
  type ResolvedStore,
  resultOf,
  storeArg,
} from './customKeyStoreSupport';

/** What a CloudHSM key store can change besides its name (the trust anchor stays). */
const CLOUDHSM_UPDATE_FIELDS = ['keyStorePassword', 'cloudHsmClusterId'];
const UPDATE_FIELDS = ['newName', ...CLOUDHSM_UPDATE_FIELDS, ...XKS_FIELDS];

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
    if (Object.keys(input).length === 1) {
      const fields = ['newName', ...(cloudHsm ? CLOUDHSM_UPDATE_FIELDS : XKS_FIELDS.filter((f) => f !== 'xksProxySecretAccessKey'))];
      throw new ArgumentError(`${UPDATE}: nothing to change: give ${fields.map((f) => `"${f}"`).join(', ')}.`);
    }
    await target.gateway.updateCustomKeyStore(input);
    keyChanged(services, target.connection);
    const store = await target.gateway.describeCustomKeyStore(target.id);
    notify(`Updated custom key store ${store.CustomKeyStoreName ?? target.id}.`);
    return resultOf(store);
  },
};

function updateFromArgs(args: Args, cloudHsm: boolean): UpdateCustomKeyStoreCommandInput {
  refuseFields(UPDATE, args, cloudHsm ? XKS_FIELDS : CLOUDHSM_UPDATE_FIELDS, cloudHsm ? 'a CloudHSM key store' : 'an external key store');
  const input: UpdateCustomKeyStoreCommandInput = { CustomKeyStoreId: undefined };
  input.NewCustomKeyStoreName = storeArg(UPDATE, args, 'newName');
  input.KeyStorePassword = storeArg(UPDATE, args, 'keyStorePassword');
  input.CloudHsmClusterId = storeArg(UPDATE, args, 'cloudHsmClusterId');
  input.XksProxyUriEndpoint = storeArg(UPDATE, args, 'xksProxyUriEndpoint');
  input.XksProxyUriPath = storeArg(UPDATE, args, 'xksProxyUriPath');
  input.XksProxyConnectivity = args.oneOf('xksProxyConnectivity', CONNECTIVITIES);
  input.XksProxyVpcEndpointServiceName = storeArg(UPDATE, args, 'xksProxyVpcEndpointServiceName');
  const accessKeyId = storeArg(UPDATE, args, 'xksProxyAccessKeyId');
  const secret = storeArg(UPDATE, args, 'xksProxySecretAccessKey');
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
