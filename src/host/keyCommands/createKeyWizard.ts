// The Create Key wizard: the steps that ask for a key's type, Regionality, key material placement
// (custom key stores), alias, description, tags and policy, ending with a summary to confirm.
import type { AliasListEntry, CustomKeyStoresListEntry } from '@aws-sdk/client-kms';
import type { Connection } from '../../core/aws/connection';
import { KmsError } from '../../core/kms/errors';
import { collect, type KmsGateway } from '../../core/kms/gateway';
import { type Checked, ok } from '../../core/keyOps/checked';
import { KEY_TYPES, keyTypeInfo, specsFor } from '../../core/keyOps/keyTypes';
import { type Principal, parsePrincipals } from '../../core/keyOps/principals';
import { checkAliasName, checkDescription, parseTagsText, splitList } from '../../core/keyOps/validation';
import type { UserInput } from '../ui/userInput';
import { inputChecked } from './commandArgs';
import { WizardSteps } from '../ui/wizardSteps';
import { type KeyOrigin, type CreateKeyRequest, ORIGIN_WORDS, partitionOf } from './createKeyRequest';

/** The prompts every run of the wizard shows at least: type, spec, Regionality, alias, description, tags, policy. */
const PLANNED_STEPS = 7;

export async function askRequest(ui: UserInput, gateway: KmsGateway, connection: Connection): Promise<CreateKeyRequest> {
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
    'Created without key material; "Import Key Material…" then wraps yours (or fresh material made here, ' +
    'shown once) and imports it. You keep a copy and may let it expire.';
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
  const mayDelete = !r.administrators.length ? '' : r.allowAdministratorsToDelete ? ' (may delete the key)' : ' (may not delete the key)';
  return [
    `Connection: ${connection.label} (${connection.region})`,
    `Key: ${keyTypeInfo(r.type).label}, ${r.spec}, ${r.multiRegion ? 'multi-Region primary' : 'single-Region'}`,
    `Key material: ${ORIGIN_WORDS[r.origin]}${r.customKeyStoreId ? ` ${r.customKeyStoreId}` : ''}${r.xksKeyId ? `, external key ${r.xksKeyId}` : ''}`,
    `Alias: ${r.alias ?? 'none'}`,
    `Description: ${r.description ?? 'none'}`,
    `Tags: ${r.tags.length ? r.tags.map((t) => `${t.TagKey}=${t.TagValue}`).join(', ') : 'none'}`,
    r.policy === 'default'
      ? "Key policy: KMS's default (the account may do everything; IAM policies decide)"
      : `Key policy: console-style. Administrators: ${names(r.administrators)}${mayDelete}. Users: ${names(r.users)}.`,
  ];
}
