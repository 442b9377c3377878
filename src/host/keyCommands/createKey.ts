import type { AliasListEntry, CustomKeyStoresListEntry, KeyMetadata, Tag } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import { ArgumentError } from '../../core/args/argumentError';
import { Args } from '../../core/args/readArgs';
import type { Connection } from '../../core/aws/connection';
import { KmsError } from '../../core/kms/errors';
import { collect, type KmsGateway } from '../../core/kms/gateway';
import { type Checked, ok } from '../../core/keyOps/checked';
import { KEY_TYPES, type KeyTypeId, type KeyUsageName, keyTypeInfo, keyTypeOf, specsFor } from '../../core/keyOps/keyTypes';
import { type Principal, accountOfArn, parsePrincipals } from '../../core/keyOps/principals';
import { consoleKeyPolicy, policySizeProblem } from '../../core/policy/consolePolicy';
import { checkAliasName, checkDescription, checkTags, parseTagsText, splitList } from '../../core/keyOps/validation';
import type { CommandSpec } from '../commands/commandRunner';
import type { Services } from '../services';
import type { UserInput } from '../ui/userInput';
import { argValue, inputChecked, isScripted } from './commandArgs';
import { notify } from './output';
import { keyChanged, resolveConnection } from './resolveKey';
import { WizardSteps } from '../ui/wizardSteps';

const ID = 'kmsWorkbench.createKey';
const FIELDS = [
  'connection',
  'keySpec',
  'keyUsage',
  'multiRegion',
  'origin',
  'customKeyStoreId',
  'xksKeyId',
  'alias',
  'description',
  'tags',
  'policy',
  'administrators',
  'users',
  'allowAdministratorsToDelete',
];

/** Where a new key's material comes from (CreateKey's Origin). */
export const ORIGINS = ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] as const;
export type KeyOrigin = (typeof ORIGINS)[number];

/** The command that imports material into a key with origin EXTERNAL. */
const IMPORT_COMMAND = 'kmsWorkbench.importKeyMaterial';

/** The command the tree offers to show a key (by `{ connection, keyId }`), when it has one. */
export const REVEAL_KEY_COMMAND = 'kmsWorkbench.revealKey';

export interface CreateKeyRequest {
  readonly type: KeyTypeId;
  readonly usage: KeyUsageName;
  readonly spec: string;
  readonly multiRegion: boolean;
  readonly origin: KeyOrigin;
  readonly customKeyStoreId?: string;
  readonly xksKeyId?: string;
  readonly alias?: string;
  readonly description?: string;
  readonly tags: readonly Tag[];
  readonly policy: 'default' | 'console';
  readonly administrators: readonly Principal[];
  readonly allowAdministratorsToDelete: boolean;
  readonly users: readonly Principal[];
}

/** The partition of a Region (for account ids typed as principals). */
function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * `kmsWorkbench.createKey` `{ connection?, keySpec? (default SYMMETRIC_DEFAULT), keyUsage?
 * (needed for RSA: ENCRYPT_DECRYPT or SIGN_VERIFY; KEY_AGREEMENT for ECDH keys; ML_DSA_* keys
 * sign, ML_KEM_* keys are ENCAPSULATE_DECAPSULATE),
 * multiRegion? (default false), origin? (AWS_KMS default | EXTERNAL: you import the key
 * material | AWS_CLOUDHSM with customKeyStoreId | EXTERNAL_KEY_STORE with customKeyStoreId
 * and xksKeyId; key store keys are symmetric and single-Region), customKeyStoreId?, xksKeyId?, alias?,
 * description?, tags? ({ key: value }), policy? (default | console; console when
 * administrators or users are given), administrators? (principals), users? (principals),
 * allowAdministratorsToDelete? (default true) }`: CreateKey, then CreateAlias. Without an
 * argument object, a multi-step wizard. The new key is revealed in the tree. Returns the new
 * key's KeyMetadata.
 */
export const createKey: CommandSpec<KeyMetadata> = {
  id: ID,
  action: 'create the key',
  run: async (arg, services) => {
    const args = Args.from(ID, arg, FIELDS);
    const connection = await resolveConnection(arg, args, services);
    const gateway = services.kms.gateway(connection);
    const request = isScripted(arg) ? requestFromArgs(args, connection) : await askRequest(services.ui, gateway, connection);
    return performCreate(services, connection, gateway, request, !isScripted(arg));
  },
};

function requestFromArgs(args: Args, connection: Connection): CreateKeyRequest {
  const spec = args.string('keySpec', 'a key spec like SYMMETRIC_DEFAULT') ?? 'SYMMETRIC_DEFAULT';
  const usageArg = args.string('keyUsage', 'ENCRYPT_DECRYPT, SIGN_VERIFY or GENERATE_VERIFY_MAC');
  const { type, usage } = argValue(ID, 'keySpec', keyTypeOf(spec, usageArg));
  if (!specsFor(type, connection.region).some((s) => s.spec === spec)) {
    throw new ArgumentError(`${ID}: "keySpec": ${spec} keys are not offered in ${connection.region}.`);
  }
  const multiRegion = args.boolean('multiRegion') ?? false;
  const origin = args.oneOf('origin', ORIGINS) ?? 'AWS_KMS';
  const customKeyStoreId = args.string('customKeyStoreId', 'a custom key store id like cks-1234567890abcdef0');
  const xksKeyId = args.string('xksKeyId', 'the id of the key in the external key manager');
  checkOrigin(origin, spec, multiRegion, customKeyStoreId, xksKeyId);
  const aliasArg = args.string('alias', 'an alias name like alias/my-app');
  const alias = aliasArg !== undefined ? argValue(ID, 'alias', checkAliasName(aliasArg)) : undefined;
  const descriptionArg = args.raw('description');
  if (descriptionArg !== undefined && typeof descriptionArg !== 'string') args.string('description');
  const description = typeof descriptionArg === 'string' ? argValue(ID, 'description', checkDescription(descriptionArg)) : undefined;
  const tagMap = args.stringMap('tags', 'an object of tag values, like { "env": "prod" }');
  const tags = tagMap ? argValue(ID, 'tags', checkTags(tagMap)) : [];
  const partition = partitionOf(connection.region);
  const adminList = args.stringArray('administrators', 'an array of principal ARNs or account ids');
  const userList = args.stringArray('users', 'an array of principal ARNs, account ids or service principals');
  const administrators = adminList
    ? argValue(ID, 'administrators', parsePrincipals(adminList, { partition, allowServices: false, role: 'a key administrator' }))
    : [];
  const users = userList ? argValue(ID, 'users', parsePrincipals(userList, { partition })) : [];
  const policy = args.oneOf('policy', ['default', 'console'] as const) ?? (adminList || userList ? 'console' : 'default');
  if (policy === 'default' && (administrators.length || users.length)) {
    throw new ArgumentError(`${ID}: "administrators" and "users" make a console-style policy: set "policy" to "console" or leave it out.`);
  }
  const allowAdministratorsToDelete = args.boolean('allowAdministratorsToDelete') ?? true;
  return {
    type,
    usage,
    spec,
    multiRegion,
    origin,
    customKeyStoreId,
    xksKeyId,
    alias,
    description,
    tags,
    policy,
    administrators,
    allowAdministratorsToDelete,
    users,
  };
}

/** What each origin needs and allows, as ArgumentErrors naming the field. */
function checkOrigin(
  origin: KeyOrigin,
  spec: string,
  multiRegion: boolean,
  customKeyStoreId: string | undefined,
  xksKeyId: string | undefined,
): void {
  const inStore = origin === 'AWS_CLOUDHSM' || origin === 'EXTERNAL_KEY_STORE';
  if (inStore) {
    if (!customKeyStoreId)
      throw new ArgumentError(`${ID}: "customKeyStoreId": origin ${origin} creates the key in a custom key store: give its id (cks-…).`);
    if (spec !== 'SYMMETRIC_DEFAULT')
      throw new ArgumentError(`${ID}: "keySpec": keys in a custom key store are symmetric (SYMMETRIC_DEFAULT), not ${spec}.`);
    if (multiRegion) throw new ArgumentError(`${ID}: "multiRegion": keys in a custom key store are single-Region.`);
  } else if (customKeyStoreId !== undefined) {
    throw new ArgumentError(`${ID}: "customKeyStoreId" is only for origin AWS_CLOUDHSM or EXTERNAL_KEY_STORE (origin is ${origin}).`);
  }
  if (origin === 'EXTERNAL_KEY_STORE' && !xksKeyId)
    throw new ArgumentError(
      `${ID}: "xksKeyId": a key in an external key store is backed by a key of the external key manager: give that key's id.`,
    );
  if (origin !== 'EXTERNAL_KEY_STORE' && xksKeyId !== undefined)
    throw new ArgumentError(`${ID}: "xksKeyId" is only for origin EXTERNAL_KEY_STORE.`);
  if (xksKeyId !== undefined && !/^[a-zA-Z0-9-_.]{1,128}$/.test(xksKeyId))
    throw new ArgumentError(`${ID}: "xksKeyId": 1 to 128 letters, digits, "-", "_" and ".".`);
}

/** The prompts every run of the wizard shows at least: type, spec, Regionality, alias, description, tags, policy. */
const PLANNED_STEPS = 7;

async function askRequest(ui: UserInput, gateway: KmsGateway, connection: Connection): Promise<CreateKeyRequest> {
  const title = (what: string): string => `Create key (${connection.label}): ${what}`;
  const steps = new WizardSteps(PLANNED_STEPS);
  const type = await ui.pick(
    KEY_TYPES.map((t) => ({ label: t.label, detail: t.detail, value: t.id })),
    { title: title('key type'), ...steps.next() },
  );
  const specs = specsFor(type, connection.region);
  if (specs.length === 1) steps.skip();
  const spec =
    specs.length === 1
      ? specs[0].spec
      : await ui.pick(
          specs.map((s) => ({ label: s.spec, description: s.description, value: s.spec })),
          { title: title('key spec'), ...steps.next() },
        );
  const { multiRegion, origin, customKeyStoreId, xksKeyId } = await askPlacement(ui, gateway, connection, spec, title, steps);
  const existingAliases = await collect(gateway.listAliases());
  const alias = await inputChecked<string | undefined>(
    ui,
    {
      title: title('alias (optional)'),
      ...steps.next(),
      placeholder: 'alias/my-app — or leave empty',
      prompt: 'Letters, digits, "/", "_" and "-" after alias/.',
    },
    (text) => (text.trim() === '' ? ok(undefined) : aliasAvailable(checkAliasName(text), existingAliases)),
  );
  const description = await inputChecked<string | undefined>(
    ui,
    { title: title('description (optional)'), ...steps.next(), placeholder: 'What the key is for — or leave empty' },
    (text) => (text === '' ? ok(undefined) : checkDescription(text)),
  );
  const tags = await inputChecked(
    ui,
    {
      title: title('tags (optional)'),
      ...steps.next(),
      placeholder: 'env=prod, team=payments — or leave empty',
      prompt: 'key=value pairs separated by commas.',
    },
    (text) => parseTagsText(text),
  );
  const policy = await ui.pick(
    [
      {
        label: "KMS's default key policy",
        detail: 'The account (its root) may do everything with the key; IAM policies then decide who uses and manages it.',
        value: 'default' as const,
      },
      {
        label: 'Console-style key policy',
        detail:
          'Name key administrators and key users, as the AWS console does. The account statement stays, so the key cannot be locked out.',
        value: 'console' as const,
      },
    ],
    { title: title('key policy'), ...steps.next() },
  );
  let administrators: Principal[] = [];
  let users: Principal[] = [];
  let allowAdministratorsToDelete = true;
  const partition = partitionOf(connection.region);
  if (policy === 'console') {
    steps.add(2); // administrators, users
    const principalPrompt =
      'Separate several with commas. An account id, arn:aws:iam::<account>:root|user/<name>|role/<name>, or an assumed-role ARN.';
    administrators = await inputChecked(
      ui,
      {
        title: title('key administrators (may manage the key, not use it)'),
        ...steps.next(),
        placeholder: 'arn:aws:iam::111122223333:role/KeyAdmin — or leave empty',
        prompt: principalPrompt,
      },
      (text) => parsePrincipals(splitList(text), { partition, allowServices: false, role: 'a key administrator' }),
    );
    if (administrators.length) {
      steps.add();
      allowAdministratorsToDelete = await ui.pick(
        [
          {
            label: 'Allow key administrators to delete this key',
            description: 'kms:ScheduleKeyDeletion, kms:CancelKeyDeletion',
            value: true,
          },
          { label: 'Do not allow key administrators to delete this key', value: false },
        ],
        { title: title('key deletion'), ...steps.next() },
      );
    }
    users = await inputChecked(
      ui,
      {
        title: title('key users (may use the key for cryptography)'),
        ...steps.next(),
        placeholder: 'arn:aws:iam::111122223333:role/App — or leave empty',
        prompt: `${principalPrompt} Service principals (name.amazonaws.com) too.`,
      },
      (text) => parsePrincipals(splitList(text), { partition }),
    );
  }
  const request: CreateKeyRequest = {
    type,
    usage: keyTypeInfo(type).usage,
    spec,
    multiRegion,
    origin,
    customKeyStoreId,
    xksKeyId,
    alias,
    description,
    tags,
    policy,
    administrators,
    allowAdministratorsToDelete,
    users,
  };
  await ui.confirm(
    `Create a ${multiRegion ? 'multi-Region' : 'single-Region'} ${spec} ${request.usage} key${alias ? ` named ${alias}` : ''}?`,
    {
      detail: summary(request, connection).join('\n'),
      confirmLabel: 'Create Key',
      // A summary to check, not a danger: an information dialog, not a warning.
      severity: 'info',
    },
  );
  return request;
}

const ORIGIN_WORDS: Record<KeyOrigin, string> = {
  AWS_KMS: 'key material made by KMS',
  EXTERNAL: 'imported key material (bring your own key)',
  AWS_CLOUDHSM: 'in an AWS CloudHSM key store',
  EXTERNAL_KEY_STORE: 'in an external key store',
};

interface Placement {
  readonly multiRegion: boolean;
  readonly origin: KeyOrigin;
}

/**
 * The wizard's third step: Regionality and where the key material comes from (KMS, imported
 * by you, or a custom key store, which holds symmetric single-Region keys only); then the
 * store and, for an external key store, the external key's id.
 */
async function askPlacement(
  ui: UserInput,
  gateway: KmsGateway,
  connection: Connection,
  spec: string,
  title: (what: string) => string,
  steps: WizardSteps,
): Promise<{ multiRegion: boolean; origin: KeyOrigin; customKeyStoreId?: string; xksKeyId?: string }> {
  const symmetric = spec === 'SYMMETRIC_DEFAULT';
  const mrDetail =
    'A primary key that can be replicated to other Regions: replicas share its key material and key id, so data encrypted in one Region decrypts in another.';
  const byok =
    'Created without key material; "Import Key Material…" then wraps yours (or fresh material made here, shown once) and imports it. You keep a copy and may let it expire.';
  const placement = await ui.pick<Placement>(
    [
      {
        label: 'Single-Region key',
        detail: `The key lives in ${connection.region} only; KMS makes its key material.`,
        value: { multiRegion: false, origin: 'AWS_KMS' },
      },
      { label: 'Multi-Region key', detail: mrDetail, value: { multiRegion: true, origin: 'AWS_KMS' } },
      {
        label: 'Single-Region key with imported key material',
        description: 'EXTERNAL (bring your own key)',
        detail: byok,
        value: { multiRegion: false, origin: 'EXTERNAL' },
        group: 'Your own key material',
      },
      {
        label: 'Multi-Region key with imported key material',
        description: 'EXTERNAL',
        detail: 'Import the same material into the primary and each replica.',
        value: { multiRegion: true, origin: 'EXTERNAL' },
      },
      ...(symmetric
        ? [
            {
              label: 'In an AWS CloudHSM key store',
              description: 'AWS_CLOUDHSM',
              detail: 'The key material is made and kept in your CloudHSM cluster; the store must be connected.',
              value: { multiRegion: false, origin: 'AWS_CLOUDHSM' as const },
              group: 'Custom key stores',
            },
            {
              label: 'In an external key store',
              description: 'EXTERNAL_KEY_STORE',
              detail: 'Backed by a key of your external key manager, reached through its XKS proxy; the store must be connected.',
              value: { multiRegion: false, origin: 'EXTERNAL_KEY_STORE' as const },
            },
          ]
        : []),
    ],
    { title: title('Regionality and key material'), ...steps.next() },
  );
  const { multiRegion, origin } = placement;
  if (origin === 'AWS_KMS' || origin === 'EXTERNAL') return { multiRegion, origin };
  steps.add(origin === 'EXTERNAL_KEY_STORE' ? 2 : 1); // the store, and the external key's id
  const stores = (await collect(customKeyStores(gateway))).filter((s) => (s.CustomKeyStoreType ?? 'AWS_CLOUDHSM') === origin);
  if (!stores.length)
    throw new KmsError(
      'NoCustomKeyStore',
      `There is no ${origin === 'AWS_CLOUDHSM' ? 'CloudHSM' : 'external'} key store in ${connection.region}. Create one in the Custom key stores folder first.`,
    );
  const customKeyStoreId = await ui.pick(
    stores.map((s) => ({
      label: s.CustomKeyStoreName ?? s.CustomKeyStoreId ?? '?',
      description: `${s.CustomKeyStoreId ?? ''} · ${s.ConnectionState ?? ''}`,
      detail:
        s.ConnectionState === 'CONNECTED' ? undefined : 'Not connected: KMS creates keys only in a connected store. Connect it first.',
      value: s.CustomKeyStoreId ?? '',
    })),
    { title: title('custom key store'), ...steps.next() },
  );
  if (origin === 'AWS_CLOUDHSM') return { multiRegion, origin, customKeyStoreId };
  const xksKeyId = await ui.input({
    title: title('external key id'),
    ...steps.next(),
    prompt: 'The id of the key in your external key manager (an AES-256 key its XKS proxy can use).',
    validate: (v) => (/^[a-zA-Z0-9-_.]{1,128}$/.test(v) ? undefined : '1 to 128 letters, digits, "-", "_" and ".".'),
  });
  return { multiRegion, origin, customKeyStoreId, xksKeyId };
}

async function* customKeyStores(gateway: KmsGateway): AsyncIterable<CustomKeyStoresListEntry> {
  let marker: string | undefined;
  do {
    const page = await gateway.describeCustomKeyStoresPage(marker);
    yield* page.items;
    marker = page.nextMarker;
  } while (marker);
}

function aliasAvailable(checked: Checked<string>, existing: readonly AliasListEntry[]): Checked<string> {
  if (!checked.ok) return checked;
  const other = existing.find((a) => a.AliasName === checked.value);
  return other
    ? { ok: false, problem: `${checked.value} already exists (it points at ${other.TargetKeyId ?? 'another key'}). Choose another name.` }
    : checked;
}

function summary(r: CreateKeyRequest, connection: Connection): string[] {
  const names = (ps: readonly Principal[]): string => (ps.length ? ps.map((p) => p.value).join(', ') : 'none');
  return [
    `Connection: ${connection.label} (${connection.region})`,
    `Key: ${keyTypeInfo(r.type).label}, ${r.spec}, ${r.multiRegion ? 'multi-Region primary' : 'single-Region'}`,
    `Key material: ${ORIGIN_WORDS[r.origin]}${r.customKeyStoreId ? ` ${r.customKeyStoreId}` : ''}${r.xksKeyId ? `, external key ${r.xksKeyId}` : ''}`,
    `Alias: ${r.alias ?? 'none'}`,
    `Description: ${r.description ?? 'none'}`,
    `Tags: ${r.tags.length ? r.tags.map((t) => `${t.TagKey}=${t.TagValue}`).join(', ') : 'none'}`,
    r.policy === 'default'
      ? "Key policy: KMS's default (the account may do everything; IAM policies decide)"
      : `Key policy: console-style. Administrators: ${names(r.administrators)}${r.administrators.length ? (r.allowAdministratorsToDelete ? ' (may delete the key)' : ' (may not delete the key)') : ''}. Users: ${names(r.users)}.`,
  ];
}

type Account = NonNullable<ReturnType<typeof accountOfArn>>;

function buildPolicy(r: CreateKeyRequest, account: Account): string {
  const policy = consoleKeyPolicy({
    ...account,
    kind: { keyUsage: r.usage, keySpec: r.spec, multiRegion: r.multiRegion },
    administrators: r.administrators.map((p) => p.value),
    allowAdministratorsToDelete: r.allowAdministratorsToDelete,
    users: r.users.map((p) => p.value),
  });
  const json = JSON.stringify(policy, null, 2);
  const tooBig = policySizeProblem(json);
  if (tooBig) throw new ArgumentError(tooBig);
  return json;
}

async function performCreate(
  services: Services,
  connection: Connection,
  gateway: KmsGateway,
  r: CreateKeyRequest,
  interactive: boolean,
): Promise<KeyMetadata> {
  if (r.alias) {
    const taken = (await collect(gateway.listAliases())).find((a) => a.AliasName === r.alias);
    if (taken)
      throw new KmsError(
        'AlreadyExistsException',
        `${r.alias} already exists (it points at ${taken.TargetKeyId ?? 'another key'}). Choose another alias; no key was created.`,
      );
  }
  // The console-style policy names the account: take it from any key's ARN; with no key in
  // the Region yet, the new key's own ARN tells it, and the policy is put right after.
  let account: Account | undefined;
  if (r.policy === 'console') account = accountOfArn((await gateway.listKeysPage(undefined, 1)).items[0]?.KeyArn);
  const metadata = await gateway.createKey({
    KeySpec: r.spec as KeyMetadata['KeySpec'],
    KeyUsage: r.usage,
    MultiRegion: r.multiRegion,
    Origin: r.origin === 'AWS_KMS' ? undefined : r.origin,
    CustomKeyStoreId: r.customKeyStoreId,
    XksKeyId: r.xksKeyId,
    Description: r.description,
    Tags: r.tags.length ? [...r.tags] : undefined,
    Policy: account ? buildPolicy(r, account) : undefined,
  });
  const keyId = metadata.KeyId ?? '';
  keyChanged(services, connection);
  const problems: string[] = [];
  if (r.policy === 'console' && !account) {
    const own = accountOfArn(metadata.Arn);
    try {
      if (!own) throw new Error(`its ARN (${metadata.Arn ?? 'none'}) names no account`);
      await gateway.putKeyPolicy(keyId, buildPolicy(r, own));
    } catch (error) {
      problems.push(
        `its console-style key policy was refused, so it has KMS's default policy (${error instanceof Error ? error.message : String(error)})`,
      );
    }
  }
  if (r.alias) {
    try {
      await gateway.createAlias(r.alias, keyId);
    } catch (error) {
      problems.push(`the alias ${r.alias} was not created (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  keyChanged(services, connection, keyId);
  await revealKey(services, connection, keyId, interactive);
  if (problems.length) {
    throw new KmsError('PartlyDone', `Created key ${keyId}, but ${problems.join('; and ')}. Fix this from the key's context menu.`);
  }
  const name = r.alias ? `${r.alias} (${keyId})` : keyId;
  if (r.origin === 'EXTERNAL') {
    notify(`Created key ${name}: ${r.spec}, ${r.usage}, waiting for its key material (PendingImport). Import the material to use it.`, {
      title: 'Import Key Material…',
      run: () => vscode.commands.executeCommand(IMPORT_COMMAND, { connection: connection.id, keyId }),
    });
  } else {
    notify(
      `Created key ${name}: ${r.spec}, ${r.usage}${r.multiRegion ? ', multi-Region' : ''}${r.origin === 'AWS_KMS' ? '' : `, ${ORIGIN_WORDS[r.origin]}`}.`,
    );
  }
  return metadata;
}

/**
 * Shows the new key in the tree: the change announced above refreshes the connection's
 * keys; a key created interactively also brings the KMS view forward, and the tree's
 * reveal command (when it offers one) selects the key. Never fails the creation.
 */
async function revealKey(services: Services, connection: Connection, keyId: string, interactive: boolean): Promise<void> {
  try {
    if (interactive) await vscode.commands.executeCommand('kmsWorkbench.keys.focus');
    if (!(await vscode.commands.getCommands(true)).includes(REVEAL_KEY_COMMAND)) return;
    await vscode.commands.executeCommand(REVEAL_KEY_COMMAND, { connection: connection.id, keyId });
  } catch (error) {
    services.log.warn(`Could not reveal the new key ${keyId} in the tree: ${error instanceof Error ? error.message : String(error)}`);
  }
}
