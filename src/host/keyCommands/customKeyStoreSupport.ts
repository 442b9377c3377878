// What the custom key store commands share: their ids, the checks of typed values, the result
// shape, and finding the store a command acts on (tree node, customKeyStoreId or a picker).
import type { CustomKeyStoresListEntry } from '@aws-sdk/client-kms';
import { ArgumentError } from '../../core/args/argumentError';
import type { Args } from '../../core/args/readArgs';
import type { Connection } from '../../core/aws/connection';
import { type Checked, ok, problem } from '../../core/keyOps/checked';
import { KmsError } from '../../core/kms/errors';
import type { KmsGateway } from '../../core/kms/gateway';
import { connectionErrorText } from '../../core/tree/keyPresentation';
import type { Services } from '../services';
import { targetOf } from '../targets';
import { argValue } from './commandArgs';
import { resolveConnection } from './resolveKey';

export const CREATE = 'kmsWorkbench.createCustomKeyStore';
export const UPDATE = 'kmsWorkbench.updateCustomKeyStore';
export const CONNECT = 'kmsWorkbench.connectCustomKeyStore';
export const DISCONNECT = 'kmsWorkbench.disconnectCustomKeyStore';
export const DELETE = 'kmsWorkbench.deleteCustomKeyStore';

export const STORE_TYPES = ['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] as const;
export const CONNECTIVITIES = ['PUBLIC_ENDPOINT', 'VPC_ENDPOINT_SERVICE'] as const;

/**
 * Checks of what a person types for a custom key store, as the KMS API reference constrains
 * it. Secrets (the kmsuser password, the proxy secret access key) are checked for shape
 * only and never appear in a message.
 */
export const checks = {
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

export function resultOf(store: CustomKeyStoresListEntry): CustomKeyStoreResult {
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

export interface ResolvedStore {
  readonly connection: Connection;
  readonly gateway: KmsGateway;
  readonly store: CustomKeyStoresListEntry;
  readonly id: string;
  readonly label: string;
}

/** The store a command acts on: a tree node's, `customKeyStoreId`, or a picker of the stores whose state allows the action. */
export async function resolveStore(
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

export const isCloudHsm = (s: CustomKeyStoresListEntry): boolean => (s.CustomKeyStoreType ?? 'AWS_CLOUDHSM') === 'AWS_CLOUDHSM';

/** The arguments of a CloudHSM key store (Create takes them all; Update the password and the cluster). */
export const CLOUDHSM_FIELDS = ['cloudHsmClusterId', 'trustAnchorCertificateFile', 'keyStorePassword'] as const;
/** The arguments of an external key store (the secret access key goes with the access key id). */
export const XKS_FIELDS = [
  'xksProxyUriEndpoint',
  'xksProxyUriPath',
  'xksProxyConnectivity',
  'xksProxyVpcEndpointServiceName',
  'xksProxyAccessKeyId',
  'xksProxySecretAccessKey',
] as const;

/** The typed arguments of the store commands: what each is (for messages) and its check. */
const TYPED_FIELDS = {
  name: { what: 'the store name', check: checks.name },
  newName: { what: 'the new name', check: checks.name },
  cloudHsmClusterId: { what: 'a cluster id', check: checks.clusterId },
  keyStorePassword: { what: 'the kmsuser password', check: checks.password },
  xksProxyUriEndpoint: { what: 'the proxy endpoint', check: checks.endpoint },
  xksProxyUriPath: { what: 'the proxy path', check: checks.path },
  xksProxyVpcEndpointServiceName: { what: 'the VPC endpoint service name', check: checks.vpcService },
  xksProxyAccessKeyId: { what: 'the proxy access key id', check: checks.accessKeyId },
  xksProxySecretAccessKey: { what: 'the proxy secret access key', check: checks.secret },
};
export type TypedField = keyof typeof TYPED_FIELDS;

/** A typed argument, checked (a bad value is refused naming the field); undefined when not given. */
export function storeArg(command: string, args: Args, field: TypedField): string | undefined {
  const { what, check } = TYPED_FIELDS[field];
  const value = args.string(field, what);
  return value === undefined ? undefined : argValue(command, field, check(value));
}

export function requireArg<T>(command: string, field: string, value: T | undefined, why: string): T {
  if (value === undefined) throw new ArgumentError(`${command}: "${field}" is required ${why}.`);
  return value;
}

/** Refuses the given ones of `fields` (arguments of the other kind of store): `forWhat` completes "not for …". */
export function refuseFields(command: string, args: Args, fields: readonly string[], forWhat: string): void {
  const given = fields.filter((f) => args.has(f));
  if (given.length) {
    throw new ArgumentError(`${command}: ${given.map((f) => `"${f}"`).join(', ')} ${given.length > 1 ? 'are' : 'is'} not for ${forWhat}.`);
  }
}
