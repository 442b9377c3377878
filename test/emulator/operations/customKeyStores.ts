// Custom key stores: CreateCustomKeyStore, DescribeCustomKeyStores, UpdateCustomKeyStore,
// ConnectCustomKeyStore, DisconnectCustomKeyStore, DeleteCustomKeyStore, with the connection
// states and errors of the KMS API reference. There is no CloudHSM cluster or XKS proxy behind a
// store: a connection attempt stays CONNECTING for Store.connectDelayMs (emulator clock), then the
// store is CONNECTED, or FAILED with the ConnectionErrorCode a test planned (failNextConnection).
// While a store is not connected its keys are Unavailable. The kmsuser password and the proxy
// secret are kept only as a SHA-256 digest and never returned.
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import type { OpContext } from '../context';
import { apiError, validation } from '../errors';
import { type OperationTable, seconds } from '../operation';
import { paginate, pageFields } from '../paging';
import type { CustomKeyStore, XksProxyConfiguration } from '../types';
import type { Input } from '../validate';

const storeTypes = ['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] as const;
const connectivities = ['PUBLIC_ENDPOINT', 'VPC_ENDPOINT_SERVICE'] as const;
/** Custom key stores per account and Region (a KMS quota). */
const storeLimit = 10;

const rules = {
  name: { min: 1, max: 256 },
  clusterId: { min: 19, max: 24 },
  trustAnchor: { min: 1, max: 5000 },
  password: { min: 7, max: 32 },
  uriEndpoint: { min: 10, max: 128, pattern: /^https:\/\/[a-zA-Z0-9.-]+$/ },
  uriPath: { min: 10, max: 128, pattern: /^(\/[a-zA-Z0-9/_-]+\/kms\/xks\/v\d{1,2})$|^$/ },
  vpcServiceName: { min: 20, max: 64, pattern: /^com\.amazonaws\.vpce\.([a-z]+-){2,3}\d+\.vpce-svc-[0-9a-z]{17}$/ },
  vpcServiceOwner: { min: 12, max: 12, pattern: /^[0-9]{12}$/ },
  accessKeyId: { min: 20, max: 30, pattern: /^[A-Z2-7]+$/ },
  secret: { min: 43, max: 64, pattern: /^[a-zA-Z0-9/+=]+$/ },
};

const digest = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const invalidStoreState = (message: string): Error => apiError('CustomKeyStoreInvalidStateException', message);

export function findStore(ctx: OpContext, id: string): CustomKeyStore {
  const store = ctx.store.customKeyStoresOf(ctx.region).find((s) => s.CustomKeyStoreId === id);
  if (!store) throw apiError('CustomKeyStoreNotFoundException', `Custom key store ${id} does not exist in ${ctx.region}.`);
  return store;
}

const stateOf = (store: CustomKeyStore): string => store.ConnectionState ?? 'CONNECTED';

/** What DescribeCustomKeyStores shows of a store: never the password, the proxy secret or the emulator's own fields. */
function describe(store: CustomKeyStore): Record<string, unknown> {
  const out: Record<string, unknown> = {
    CustomKeyStoreId: store.CustomKeyStoreId,
    CustomKeyStoreName: store.CustomKeyStoreName,
    CustomKeyStoreType: store.CustomKeyStoreType ?? 'AWS_CLOUDHSM',
    ConnectionState: stateOf(store),
  };
  if (store.CloudHsmClusterId) out.CloudHsmClusterId = store.CloudHsmClusterId;
  if (store.TrustAnchorCertificate) out.TrustAnchorCertificate = store.TrustAnchorCertificate;
  if (store.ConnectionState === 'FAILED' && store.ConnectionErrorCode) out.ConnectionErrorCode = store.ConnectionErrorCode;
  if (store.CreationDate !== undefined) out.CreationDate = seconds(store.CreationDate);
  if (store.XksProxyConfiguration) out.XksProxyConfiguration = { ...store.XksProxyConfiguration };
  return out;
}

function checkTrustAnchor(pem: string): void {
  try {
    new X509Certificate(pem);
  } catch {
    throw apiError(
      'IncorrectTrustAnchorException',
      'TrustAnchorCertificate is not a certificate: give the content of the customerCA.crt file (PEM) that signed the CloudHSM cluster certificate.',
    );
  }
}

function checkClusterFree(ctx: OpContext, clusterId: string, self?: CustomKeyStore): void {
  if (!/^cluster-[a-z0-9]+$/i.test(clusterId))
    throw apiError('CloudHsmClusterNotFoundException', `No CloudHSM cluster ${clusterId}: a cluster id looks like cluster-1a23b4cdefg.`);
  const other = ctx.store.customKeyStoresOf(ctx.region).find((s) => s !== self && s.CloudHsmClusterId === clusterId);
  if (other)
    throw apiError(
      'CloudHsmClusterInUseException',
      `CloudHSM cluster ${clusterId} is already associated with custom key store ${other.CustomKeyStoreId}.`,
    );
}

function checkNameFree(ctx: OpContext, name: string, self?: CustomKeyStore): void {
  if (ctx.store.customKeyStoresOf(ctx.region).some((s) => s !== self && s.CustomKeyStoreName === name)) {
    throw apiError('CustomKeyStoreNameInUseException', `A custom key store named ${name} already exists in ${ctx.region}.`);
  }
}

function proxyCredential(input: Input, required: boolean): { accessKeyId: string; secret: string } | undefined {
  const credential = input.object('XksProxyAuthenticationCredential');
  if (!credential) {
    if (required)
      throw validation(
        'XksProxyAuthenticationCredential (AccessKeyId and RawSecretAccessKey of the proxy) is required for an external key store.',
      );
    return undefined;
  }
  return {
    accessKeyId: credential.requiredString('AccessKeyId', rules.accessKeyId),
    secret: credential.requiredString('RawSecretAccessKey', rules.secret),
  };
}

/** XKS proxy settings: a public endpoint is any https host; a VPC endpoint service needs its service name. */
function checkProxy(ctx: OpContext, config: XksProxyConfiguration, self?: CustomKeyStore): void {
  if (config.Connectivity === 'VPC_ENDPOINT_SERVICE' && !config.VpcEndpointServiceName) {
    throw validation('XksProxyVpcEndpointServiceName is required when XksProxyConnectivity is VPC_ENDPOINT_SERVICE.');
  }
  if (config.Connectivity === 'PUBLIC_ENDPOINT' && config.VpcEndpointServiceName) {
    throw validation('XksProxyVpcEndpointServiceName is only valid when XksProxyConnectivity is VPC_ENDPOINT_SERVICE.');
  }
  const others = ctx.store.customKeyStoresOf(ctx.region).filter((s) => s !== self && s.XksProxyConfiguration);
  const sameEndpoint = others.filter((s) => s.XksProxyConfiguration?.UriEndpoint === config.UriEndpoint);
  if (sameEndpoint.some((s) => s.XksProxyConfiguration?.UriPath === config.UriPath)) {
    throw apiError(
      'XksProxyUriInUseException',
      `The proxy URI ${config.UriEndpoint ?? ''}${config.UriPath ?? ''} is already used by another external key store.`,
    );
  }
  if (config.Connectivity === 'VPC_ENDPOINT_SERVICE' && sameEndpoint.length) {
    throw apiError(
      'XksProxyUriEndpointInUseException',
      `The proxy endpoint ${config.UriEndpoint ?? ''} is already used by another external key store; a VPC endpoint service needs an endpoint of its own.`,
    );
  }
}

/** CloudHSM fields on an external store (or the other way round) are refused. */
function refuseFieldsOf(input: Input, type: string, fields: readonly string[]): void {
  const given = fields.filter((f) => input.has(f));
  if (given.length)
    throw validation(`${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} not valid for a custom key store of type ${type}.`);
}

const cloudHsmFields = ['CloudHsmClusterId', 'TrustAnchorCertificate', 'KeyStorePassword'] as const;
const xksFields = [
  'XksProxyUriEndpoint',
  'XksProxyUriPath',
  'XksProxyVpcEndpointServiceName',
  'XksProxyVpcEndpointServiceOwner',
  'XksProxyAuthenticationCredential',
  'XksProxyConnectivity',
] as const;

export const customKeyStoreOperations: OperationTable = {
  CreateCustomKeyStore: {
    handler(input, ctx) {
      const name = input.requiredString('CustomKeyStoreName', rules.name);
      const type = input.enumValue('CustomKeyStoreType', storeTypes) ?? 'AWS_CLOUDHSM';
      const store: CustomKeyStore = {
        CustomKeyStoreId: `cks-${randomBytes(9).toString('hex').slice(0, 17)}`,
        CustomKeyStoreName: name,
        CustomKeyStoreType: type,
        ConnectionState: 'DISCONNECTED',
        CreationDate: ctx.now,
        region: ctx.region,
      };
      if (type === 'AWS_CLOUDHSM') {
        refuseFieldsOf(input, type, xksFields);
        const clusterId = input.string('CloudHsmClusterId', rules.clusterId);
        const trustAnchor = input.string('TrustAnchorCertificate', rules.trustAnchor);
        const password = input.string('KeyStorePassword', rules.password);
        if (!clusterId || !trustAnchor || !password)
          throw validation(
            'A CloudHSM key store needs CloudHsmClusterId, TrustAnchorCertificate and KeyStorePassword (of the kmsuser crypto user).',
          );
        checkNameFree(ctx, name);
        checkClusterFree(ctx, clusterId);
        checkTrustAnchor(trustAnchor);
        Object.assign(store, { CloudHsmClusterId: clusterId, TrustAnchorCertificate: trustAnchor, secretDigest: digest(password) });
      } else {
        refuseFieldsOf(input, type, cloudHsmFields);
        const connectivity = input.enumValue('XksProxyConnectivity', connectivities);
        const endpoint = input.string('XksProxyUriEndpoint', rules.uriEndpoint);
        const path = input.string('XksProxyUriPath', rules.uriPath);
        const serviceName = input.string('XksProxyVpcEndpointServiceName', rules.vpcServiceName);
        const serviceOwner = input.string('XksProxyVpcEndpointServiceOwner', rules.vpcServiceOwner);
        const credential = proxyCredential(input, true)!;
        if (!connectivity || !endpoint || !path)
          throw validation(
            'An external key store needs XksProxyConnectivity, XksProxyUriEndpoint, XksProxyUriPath and XksProxyAuthenticationCredential.',
          );
        const config: XksProxyConfiguration = {
          Connectivity: connectivity,
          AccessKeyId: credential.accessKeyId,
          UriEndpoint: endpoint,
          UriPath: path,
        };
        if (serviceName) config.VpcEndpointServiceName = serviceName;
        if (serviceOwner) config.VpcEndpointServiceOwner = serviceOwner;
        checkNameFree(ctx, name);
        checkProxy(ctx, config);
        Object.assign(store, { XksProxyConfiguration: config, secretDigest: digest(credential.secret) });
      }
      if (ctx.store.customKeyStoresOf(ctx.region).length >= storeLimit)
        throw apiError('LimitExceededException', `An account can have at most ${storeLimit} custom key stores per Region.`);
      ctx.store.customKeyStores.push(store);
      return { CustomKeyStoreId: store.CustomKeyStoreId };
    },
  },

  DescribeCustomKeyStores: {
    readOnly: true,
    handler(input, ctx) {
      const id = input.string('CustomKeyStoreId', { min: 1, max: 64 });
      const name = input.string('CustomKeyStoreName', rules.name);
      const stores = ctx.store
        .customKeyStoresOf(ctx.region)
        .filter((s) => (id === undefined || s.CustomKeyStoreId === id) && (name === undefined || s.CustomKeyStoreName === name));
      if ((id !== undefined || name !== undefined) && stores.length === 0)
        throw apiError('CustomKeyStoreNotFoundException', `Custom key store ${id ?? name} does not exist.`);
      const page = paginate(stores, (s) => s.CustomKeyStoreId, input, { max: 1000, default: 100 });
      return pageFields('CustomKeyStores', page, describe);
    },
  },

  UpdateCustomKeyStore: {
    handler(input, ctx) {
      const store = findStore(ctx, input.requiredString('CustomKeyStoreId', { max: 64 }));
      const type = store.CustomKeyStoreType ?? 'AWS_CLOUDHSM';
      const newName = input.string('NewCustomKeyStoreName', rules.name);
      const disconnected = stateOf(store) === 'DISCONNECTED';
      const needDisconnected = (field: string): void => {
        if (!disconnected)
          throw invalidStoreState(
            `To change ${field}, disconnect custom key store ${store.CustomKeyStoreId} first (it is ${stateOf(store)}).`,
          );
      };
      if (newName !== undefined) checkNameFree(ctx, newName, store);
      if (type === 'AWS_CLOUDHSM') {
        refuseFieldsOf(input, type, xksFields);
        const password = input.string('KeyStorePassword', rules.password);
        const clusterId = input.string('CloudHsmClusterId', rules.clusterId);
        if (password !== undefined) needDisconnected('KeyStorePassword');
        if (clusterId !== undefined) {
          needDisconnected('CloudHsmClusterId');
          checkClusterFree(ctx, clusterId, store);
        }
        if (password !== undefined) store.secretDigest = digest(password);
        if (clusterId !== undefined) store.CloudHsmClusterId = clusterId;
      } else {
        refuseFieldsOf(input, type, cloudHsmFields);
        const endpoint = input.string('XksProxyUriEndpoint', rules.uriEndpoint);
        const path = input.string('XksProxyUriPath', rules.uriPath);
        const serviceName = input.string('XksProxyVpcEndpointServiceName', rules.vpcServiceName);
        const serviceOwner = input.string('XksProxyVpcEndpointServiceOwner', rules.vpcServiceOwner);
        const connectivity = input.enumValue('XksProxyConnectivity', connectivities);
        const credential = proxyCredential(input, false);
        if (endpoint !== undefined) needDisconnected('XksProxyUriEndpoint');
        if (serviceName !== undefined) needDisconnected('XksProxyVpcEndpointServiceName');
        if (serviceOwner !== undefined) needDisconnected('XksProxyVpcEndpointServiceOwner');
        if (connectivity !== undefined) needDisconnected('XksProxyConnectivity');
        const config: XksProxyConfiguration = { ...store.XksProxyConfiguration };
        if (endpoint !== undefined) config.UriEndpoint = endpoint;
        if (path !== undefined) config.UriPath = path;
        if (connectivity !== undefined) config.Connectivity = connectivity;
        if (serviceName !== undefined) config.VpcEndpointServiceName = serviceName;
        if (serviceOwner !== undefined) config.VpcEndpointServiceOwner = serviceOwner;
        if (connectivity === 'PUBLIC_ENDPOINT') {
          delete config.VpcEndpointServiceName;
          delete config.VpcEndpointServiceOwner;
        }
        if (credential) config.AccessKeyId = credential.accessKeyId;
        checkProxy(ctx, config, store);
        store.XksProxyConfiguration = config;
        if (credential) store.secretDigest = digest(credential.secret);
      }
      if (newName !== undefined) store.CustomKeyStoreName = newName;
      return {};
    },
  },

  ConnectCustomKeyStore: {
    handler(input, ctx) {
      const store = findStore(ctx, input.requiredString('CustomKeyStoreId', { max: 64 }));
      const state = stateOf(store);
      if (state === 'DISCONNECTING' || state === 'FAILED') {
        throw invalidStoreState(
          `Custom key store ${store.CustomKeyStoreId} is ${state}: ${state === 'FAILED' ? 'disconnect it (DisconnectCustomKeyStore), fix the cause, then connect it again' : 'wait until it is disconnected'}.`,
        );
      }
      if (state === 'DISCONNECTED') {
        store.ConnectionState = 'CONNECTING';
        store.ConnectionErrorCode = undefined;
        store.connectingUntil = ctx.now + ctx.store.connectDelayMs;
      }
      return {};
    },
  },

  DisconnectCustomKeyStore: {
    handler(input, ctx) {
      const store = findStore(ctx, input.requiredString('CustomKeyStoreId', { max: 64 }));
      const state = stateOf(store);
      if (state === 'DISCONNECTED' || state === 'DISCONNECTING')
        throw invalidStoreState(`Custom key store ${store.CustomKeyStoreId} is already ${state}.`);
      store.ConnectionState = 'DISCONNECTED';
      store.ConnectionErrorCode = undefined;
      store.connectingUntil = undefined;
      ctx.store.setStoreKeysAvailable(store.CustomKeyStoreId, false);
      return {};
    },
  },

  DeleteCustomKeyStore: {
    handler(input, ctx) {
      const store = findStore(ctx, input.requiredString('CustomKeyStoreId', { max: 64 }));
      if (stateOf(store) !== 'DISCONNECTED')
        throw invalidStoreState(`Custom key store ${store.CustomKeyStoreId} is ${stateOf(store)}: disconnect it before deleting it.`);
      const keys = ctx.store.keysInStore(store.CustomKeyStoreId);
      if (keys.length) {
        throw apiError(
          'CustomKeyStoreHasCMKsException',
          `Custom key store ${store.CustomKeyStoreId} still holds ${keys.length} KMS key${keys.length === 1 ? '' : 's'} (keys pending deletion count): delete them first (ScheduleKeyDeletion, then wait for the waiting period).`,
        );
      }
      ctx.store.customKeyStores = ctx.store.customKeyStores.filter((s) => s !== store);
      return {};
    },
  },
};
