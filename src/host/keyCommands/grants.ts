import type { GrantConstraints, GrantListEntry, KeyMetadata } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import { ArgumentError } from '../../core/args/argumentError';
import { Args } from '../../core/args/readArgs';
import { inertLabel } from '../../core/text/inertText';
import type { Connection } from '../../core/aws/connection';
import { KmsError } from '../../core/kms/errors';
import { collect } from '../../core/kms/gateway';
import { type GrantOperation, checkGrantOperations, constraintRefusal, grantOperationsFor } from '../../core/keyOps/keyTypes';
import { accountOfArn, parsePrincipal } from '../../core/keyOps/principals';
import { describeGrant } from '../../core/keyOps/summaries';
import { type EncryptionContext, checkConstraintContext, checkGrantName, parseEncryptionContextText } from '../../core/keyOps/validation';
import type { CommandSpec } from '../commands/commandRunner';
import type { Services } from '../services';
import { targetOf } from '../targets';
import { argValue, confirmedByArgs, inputChecked, isScripted } from './commandArgs';
import type { KeyCommandDeps } from './deps';
import { fileLabel, notify } from './output';
import { KEY_FIELDS, keyChanged, resolveConnection, resolveKey } from './resolveKey';

const CREATE = 'kmsWorkbench.createGrant';
const RETIRE = 'kmsWorkbench.retireGrant';
const REVOKE = 'kmsWorkbench.revokeGrant';
const LIST_RETIRABLE = 'kmsWorkbench.listRetirableGrants';

export interface CreatedGrant {
  readonly keyId: string;
  readonly grantId: string;
  /** Usable at once (before the grant is consistent everywhere); shown only now. */
  readonly grantToken: string;
}

/**
 * `kmsWorkbench.createGrant` `{ keyId?, connection?, granteePrincipal, operations: string[],
 * retiringPrincipal?, encryptionContextEquals?, encryptionContextSubset?, name? }`:
 * CreateGrant. Principals: an account id, an IAM root/user/role ARN, an assumed-role ARN
 * or a service principal. Operations must suit the key type; encryption-context
 * constraints only on symmetric encryption keys. Interactively a wizard, and the grant
 * token is shown once with a button to copy it. Returns `{ keyId, grantId, grantToken }`.
 */
export const createGrant: CommandSpec<CreatedGrant> = {
  id: CREATE,
  action: 'create the grant',
  run: async (arg, services) => {
    const args = Args.from(CREATE, arg, [
      ...KEY_FIELDS,
      'granteePrincipal',
      'operations',
      'retiringPrincipal',
      'encryptionContextEquals',
      'encryptionContextSubset',
      'name',
    ]);
    const scripted = isScripted(arg);
    // Read every field first, so a bad argument is refused before anything is sent.
    const givenGrantee = args.string('granteePrincipal', 'a principal ARN, account id or service principal');
    const givenOps = args.stringArray('operations', 'an array of grant operations like ["Decrypt"]');
    const givenRetiring = args.string('retiringPrincipal', 'a principal ARN, account id or service principal');
    const equals = args.stringMap('encryptionContextEquals');
    const subset = args.stringMap('encryptionContextSubset');
    const givenName = args.string('name', 'a grant name');
    if (givenGrantee !== undefined) argValue(CREATE, 'granteePrincipal', parsePrincipal(givenGrantee));
    if (givenRetiring !== undefined) argValue(CREATE, 'retiringPrincipal', parsePrincipal(givenRetiring));
    if (givenName !== undefined) argValue(CREATE, 'name', checkGrantName(givenName));
    if (equals) argValue(CREATE, 'encryptionContextEquals', checkConstraintContext(equals));
    if (subset) argValue(CREATE, 'encryptionContextSubset', checkConstraintContext(subset));

    const key = await resolveKey(arg, args, services, { title: 'Create grant for key', action: 'createGrant' });
    const partition = accountOfArn(key.metadata.Arn)?.partition;
    const step = (n: number): { step: number; totalSteps: number } => ({ step: n, totalSteps: 6 });
    const principalInput = (title: string, optional: boolean, n: number): Promise<string | undefined> =>
      inputChecked(
        services.ui,
        {
          title,
          ...step(n),
          placeholder: optional ? 'Leave empty for none' : 'arn:aws:iam::111122223333:role/AppRole',
          prompt:
            'An account id, arn:aws:iam::<account>:root|user/<name>|role/<name>, an assumed-role ARN, or a service principal (name.amazonaws.com).',
        },
        (text) =>
          optional && text.trim() === ''
            ? { ok: true, value: undefined }
            : (() => {
                const p = parsePrincipal(text.trim(), { partition });
                return p.ok ? { ok: true as const, value: p.value.value } : p;
              })(),
      );

    let grantee: string;
    if (givenGrantee !== undefined) grantee = argValue(CREATE, 'granteePrincipal', parsePrincipal(givenGrantee, { partition })).value;
    else if (scripted) throw new ArgumentError(`${CREATE}: "granteePrincipal" is required: the principal that gets the permissions.`);
    else grantee = (await principalInput(`Grantee principal for a grant on ${key.label}`, false, 1)) ?? '';

    let operations: GrantOperation[];
    if (givenOps) operations = argValue(CREATE, 'operations', checkGrantOperations(givenOps, key.metadata));
    else if (scripted)
      throw new ArgumentError(
        `${CREATE}: "operations" is required, e.g. ["Decrypt"]. This key allows ${grantOperationsFor(key.metadata).join(', ')}.`,
      );
    else {
      const picked = await services.ui.pickMany(
        grantOperationsFor(key.metadata).map((op) => ({ label: op, value: op })),
        { title: 'Operations the grant allows', ...step(2), placeholder: 'Choose one or more' },
      );
      operations = argValue(CREATE, 'operations', checkGrantOperations(picked, key.metadata));
    }

    let retiring: string | undefined;
    if (givenRetiring !== undefined) retiring = argValue(CREATE, 'retiringPrincipal', parsePrincipal(givenRetiring, { partition })).value;
    else if (!scripted) retiring = await principalInput('Retiring principal (optional): who may retire the grant', true, 3);

    let constraints: GrantConstraints | undefined;
    if (equals || subset) {
      const refusal = constraintRefusal(key.metadata);
      if (refusal) throw new ArgumentError(`${CREATE}: ${refusal}`);
      constraints = { EncryptionContextEquals: equals, EncryptionContextSubset: subset };
    } else if (!scripted && constraintRefusal(key.metadata) === undefined) {
      constraints = await askConstraints(services, step(4));
    }

    let name = givenName;
    if (name === undefined && !scripted) {
      name = await inputChecked<string | undefined>(
        services.ui,
        { title: 'Grant name (optional)', ...step(5), placeholder: 'Leave empty for none' },
        (t) => (t.trim() === '' ? { ok: true, value: undefined } : checkGrantName(t.trim())),
      );
    }

    if (!scripted) {
      await services.ui.confirm(`Create this grant on ${key.label}?`, {
        detail: [
          `Grantee: ${grantee}`,
          `Operations: ${operations.join(', ')}`,
          `Retiring principal: ${retiring ?? 'none'}`,
          `Constraint: ${describeConstraints(constraints)}`,
          `Name: ${name ?? 'none'}`,
        ].join('\n'),
        confirmLabel: 'Create Grant',
      });
    }
    const out = await key.gateway.createGrant({
      KeyId: key.keyId,
      GranteePrincipal: grantee,
      Operations: operations,
      RetiringPrincipal: retiring,
      Constraints: constraints,
      Name: name,
    });
    keyChanged(services, key.connection, key.keyId);
    const result = { keyId: key.keyId, grantId: out.GrantId ?? '', grantToken: out.GrantToken ?? '' };
    if (!scripted) await showTokenOnce(services, key.label, result);
    return result;
  },
};

async function askConstraints(services: Services, step: { step: number; totalSteps: number }): Promise<GrantConstraints | undefined> {
  const kind = await services.ui.pick(
    [
      { label: 'No constraint', description: 'the grant applies whatever the encryption context', value: 'none' as const },
      { label: 'Encryption context must equal…', description: 'EncryptionContextEquals', value: 'equals' as const },
      { label: 'Encryption context must include…', description: 'EncryptionContextSubset', value: 'subset' as const },
    ],
    { title: 'Encryption context constraint', ...step },
  );
  if (kind === 'none') return undefined;
  const context: EncryptionContext = await inputChecked(
    services.ui,
    {
      title: kind === 'equals' ? 'The exact encryption context' : 'Pairs the encryption context must include',
      ...step,
      placeholder: 'app=web, stage=prod',
      prompt: 'key=value pairs separated by commas, or a JSON object; at most 8 pairs.',
    },
    (text) => {
      const parsed = parseEncryptionContextText(text);
      return parsed.ok ? checkConstraintContext(parsed.value) : parsed;
    },
  );
  return kind === 'equals' ? { EncryptionContextEquals: context } : { EncryptionContextSubset: context };
}

function describeConstraints(c: GrantConstraints | undefined): string {
  if (!c) return 'none';
  const fmt = (m: Record<string, string>): string =>
    Object.entries(m)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
  return [
    c.EncryptionContextEquals && `context equals ${fmt(c.EncryptionContextEquals)}`,
    c.EncryptionContextSubset && `context includes ${fmt(c.EncryptionContextSubset)}`,
  ]
    .filter(Boolean)
    .join('; ');
}

/** The grant token is shown once, in a modal the person dismisses, with a button to copy it. */
async function showTokenOnce(services: Services, label: string, grant: CreatedGrant): Promise<void> {
  const choice = await services.ui.choose(
    `Created grant ${grant.grantId} on ${label}. Its grant token is shown only now:`,
    ['Copy Grant Token', 'Copy Grant ID'],
    {
      modal: true,
      detail:
        `${grant.grantToken}\n\nUse the token to use the grant's permissions at once, before the grant is ` +
        'consistent throughout KMS (usually within five minutes).',
    },
  );
  if (choice === 'Copy Grant Token') await vscode.env.clipboard.writeText(grant.grantToken);
  if (choice === 'Copy Grant ID') await vscode.env.clipboard.writeText(grant.grantId);
}

interface ResolvedGrant {
  readonly connection: Connection;
  readonly keyId?: string;
  readonly grantId?: string;
  readonly grantToken?: string;
  readonly grant?: GrantListEntry;
  readonly label: string;
}

/** The grant to retire or revoke: a grant node, arguments, or a key then one of its grants. */
async function resolveGrant(
  command: string,
  arg: unknown,
  args: Args,
  services: Services,
  title: string,
  allowToken: boolean,
): Promise<ResolvedGrant> {
  const target = targetOf(arg);
  if (target?.kind === 'grant') {
    return {
      connection: target.connection,
      keyId: target.keyId,
      grantId: target.grant.GrantId,
      grant: target.grant,
      label: describeGrant(target.grant),
    };
  }
  const grantToken = allowToken ? args.string('grantToken', 'a grant token') : undefined;
  const grantId = args.string('grantId', 'a grant id');
  if (grantToken !== undefined) {
    if (grantId !== undefined || args.has('keyId'))
      throw new ArgumentError(`${command}: give either "grantToken", or "keyId" and "grantId", not both.`);
    return { connection: await resolveConnection(arg, args, services), grantToken, label: 'the grant of the token' };
  }
  if (grantId !== undefined && !args.has('keyId'))
    throw new ArgumentError(`${command}: "grantId" needs "keyId" too (the key the grant is on).`);
  // Retiring and revoking work in every key state, so any customer managed key is offered.
  const key = await resolveKey(arg, args, services, { title, filter: (m: KeyMetadata) => m.KeyManager !== 'AWS' });
  if (grantId !== undefined) return { connection: key.connection, keyId: key.keyId, grantId, label: `grant ${grantId} on ${key.label}` };
  const grants = await collect(key.gateway.listGrants(key.keyId));
  if (grants.length === 0) throw new KmsError('NotFoundException', `${key.label} has no grants.`);
  const grant = await services.ui.pick(
    grants.map((g) => ({
      label: inertLabel(g.Name || g.GrantId || '?'),
      description: inertLabel(g.GranteePrincipal ?? ''),
      detail: inertLabel(`${(g.Operations ?? []).join(', ')}${g.RetiringPrincipal ? ` · retiring principal ${g.RetiringPrincipal}` : ''}`),
      value: g,
    })),
    { title: `${title}: grants on ${key.label}` },
  );
  return { connection: key.connection, keyId: key.keyId, grantId: grant.GrantId, grant, label: describeGrant(grant) };
}

export interface GrantRef {
  readonly keyId?: string;
  readonly grantId?: string;
}

/**
 * `kmsWorkbench.retireGrant` `{ keyId?, grantId?, grantToken?, connection?, confirm }`:
 * RetireGrant, by key id and grant id or by grant token (works in every key state; the
 * caller must be the grant's retiring or grantee principal, or the account). Destructive:
 * with an argument object it needs `confirm: true`. Returns `{ keyId, grantId }`.
 */
export const retireGrant: CommandSpec<GrantRef> = {
  id: RETIRE,
  action: 'retire the grant',
  run: async (arg, services) => {
    const args = Args.from(RETIRE, arg, [...KEY_FIELDS, 'grantId', 'grantToken', 'confirm']);
    const confirmed = confirmedByArgs(RETIRE, arg, args, 'removes the permissions of a grant');
    const grant = await resolveGrant(RETIRE, arg, args, services, 'Retire grant', true);
    if (!confirmed) {
      await services.ui.confirm(`Retire ${grant.label}?`, {
        detail:
          "Retiring is for the grant's user when done with it: its permissions end, and the grant cannot be restored (create a new one instead).",
        confirmLabel: 'Retire Grant',
      });
    }
    await services.kms.gateway(grant.connection).retireGrant({ keyId: grant.keyId, grantId: grant.grantId, grantToken: grant.grantToken });
    keyChanged(services, grant.connection, grant.keyId);
    notify(`Retired ${grant.label}.`);
    return { keyId: grant.keyId, grantId: grant.grantId };
  },
};

/**
 * `kmsWorkbench.revokeGrant` `{ keyId?, grantId?, connection?, confirm }`: RevokeGrant (a
 * key administrator removing a grant; works in every key state). Destructive: with an
 * argument object it needs `confirm: true`. Returns `{ keyId, grantId }`.
 */
export const revokeGrant: CommandSpec<GrantRef> = {
  id: REVOKE,
  action: 'revoke the grant',
  run: async (arg, services) => {
    const args = Args.from(REVOKE, arg, [...KEY_FIELDS, 'grantId', 'confirm']);
    const confirmed = confirmedByArgs(REVOKE, arg, args, 'removes the permissions of a grant');
    const grant = await resolveGrant(REVOKE, arg, args, services, 'Revoke grant', false);
    if (!grant.keyId || !grant.grantId) throw new ArgumentError(`${REVOKE}: give "keyId" and "grantId".`);
    if (!confirmed) {
      await services.ui.confirm(`Revoke ${grant.label}?`, {
        detail: 'Its permissions end at once (within a few minutes everywhere in KMS), and the grant cannot be restored.',
        confirmLabel: 'Revoke Grant',
      });
    }
    await services.kms.gateway(grant.connection).revokeGrant(grant.keyId, grant.grantId);
    keyChanged(services, grant.connection, grant.keyId);
    notify(`Revoked ${grant.label}.`);
    return { keyId: grant.keyId, grantId: grant.grantId };
  },
};

export interface RetirableGrants {
  readonly retiringPrincipal: string;
  readonly grants: (Omit<GrantListEntry, 'CreationDate'> & { CreationDate?: string })[];
}

/**
 * `kmsWorkbench.listRetirableGrants` `{ retiringPrincipal, connection?, show? }`:
 * ListRetirableGrants (every grant, on any key of the account and Region, that the
 * principal may retire), shown as read-only JSON (with an argument object only when
 * `show: true`). Returns `{ retiringPrincipal, grants }`.
 */
export function listRetirableGrants(deps: KeyCommandDeps): CommandSpec<RetirableGrants> {
  return {
    id: LIST_RETIRABLE,
    action: 'list the retirable grants',
    run: async (arg, services) => {
      const args = Args.from(LIST_RETIRABLE, arg, ['retiringPrincipal', 'connection', 'show']);
      const scripted = isScripted(arg);
      const show = args.boolean('show') ?? !scripted;
      const given = args.string('retiringPrincipal', 'a principal ARN or account id');
      const connection = await resolveConnection(arg, args, services);
      let principal: string;
      if (given !== undefined) principal = argValue(LIST_RETIRABLE, 'retiringPrincipal', parsePrincipal(given)).value;
      else if (scripted) throw new ArgumentError(`${LIST_RETIRABLE}: "retiringPrincipal" is required.`);
      else {
        principal = await inputChecked(
          services.ui,
          {
            title: `List grants a principal can retire (${connection.label})`,
            placeholder: 'arn:aws:iam::111122223333:role/AppRole',
            prompt: 'An account id, IAM user or role ARN, or a service principal.',
          },
          (t) => {
            const p = parsePrincipal(t.trim());
            return p.ok ? { ok: true as const, value: p.value.value } : p;
          },
        );
      }
      const grants = await collect(services.kms.gateway(connection).listRetirableGrants(principal));
      const result: RetirableGrants = {
        retiringPrincipal: principal,
        grants: grants.map((g) => ({ ...g, CreationDate: g.CreationDate?.toISOString() })),
      };
      if (show) {
        if (grants.length === 0) notify(`No grant in ${connection.label} can be retired by ${principal}.`);
        else
          await deps.docs.show(
            `retirable-grants-${fileLabel(principal.split(/[:/]/).pop() ?? 'principal')}.json`,
            `${JSON.stringify(result, null, 2)}\n`,
          );
      }
      return result;
    },
  };
}
