import type { GrantListEntry } from '@aws-sdk/client-kms';
import { Args } from '../../core/args/readArgs';
import { type AccessEntry, type AccessFinding, type AccessGroup, analyzeKeyAccess, GROUP_TITLES } from '../../core/access/effectiveAccess';
import { KmsError } from '../../core/kms/errors';
import { collect } from '../../core/kms/gateway';
import type { AccessView } from '../../shared/insightProtocol';
import type { CommandSpec } from '../commands/commandRunner';
import { KEY_FIELDS, resolveKey } from '../keyCommands/resolveKey';
import { InsightPanel } from './insightPanel';

const SHOW_KEY_ACCESS = 'kmsWorkbench.showKeyAccess';

export const IAM_NOT_INCLUDED =
  'From the key policy and the grants only: IAM identity policies, permission boundaries, SCPs and ' +
  'session policies are not included. Where the policy trusts an account, its principals still need an ' +
  'IAM policy that allows the action.';

export interface KeyAccessResult {
  readonly keyArn: string;
  readonly principals: readonly AccessEntry[];
  readonly findings: readonly AccessFinding[];
  /** What the analysis could not read or does not cover. */
  readonly notes: readonly string[];
}

const GROUP_ORDER: readonly AccessGroup[] = ['administrators', 'users', 'services', 'otherAccounts', 'everyone'];

/**
 * `kmsWorkbench.showKeyAccess` `{ keyId, connection?, show? (default true) }`: who can use the
 * key, from its key policy and grants (GetKeyPolicy, ListGrants; IAM policies are not read):
 * per principal its actions and conditions in words, grouped as administrators, users,
 * services, other accounts and everyone, and the findings a reviewer would flag. Returns
 * `{ keyArn, principals: [{ principal, description, actions, conditions, source: 'policy' |
 * 'grant', effect, group, statementSid?, grantId? }], findings: [{ code, severity, title,
 * detail, where }], notes }`; opens a view unless `show: false`.
 */
export const showKeyAccess: CommandSpec<KeyAccessResult> = {
  id: SHOW_KEY_ACCESS,
  action: 'work out who can use the key',
  run: async (arg, services) => {
    const args = Args.from(SHOW_KEY_ACCESS, arg, [...KEY_FIELDS, 'show']);
    const show = args.boolean('show') ?? true;
    const key = await resolveKey(arg, args, services, { title: 'Who can use this key', includeAwsManaged: true });
    const keyArn = key.metadata.Arn;
    if (!keyArn) throw new KmsError('MalformedResponse', `DescribeKey gave no ARN for ${key.label}.`);
    const label = key.label.replace(/^alias\//, '');
    const panel = show
      ? InsightPanel.show(services.extensionUri, `access|${key.connection.id}|${key.keyId}`, `Access: ${label}`)
      : undefined;
    panel?.post({ type: 'loading', title: `Who can use ${label}`, detail: 'Reading the key policy and grants…', cancellable: false });
    try {
      const notes = [IAM_NOT_INCLUDED];
      const [policy, grants] = await Promise.all([
        key.gateway.getKeyPolicy(key.keyId),
        collect(key.gateway.listGrants(key.keyId)).catch((error: unknown): GrantListEntry[] => {
          notes.push(`Grants are not included: ${error instanceof Error ? error.message : String(error)}`);
          return [];
        }),
      ]);
      const access = analyzeKeyAccess({ keyArn, policy, grants });
      const result: KeyAccessResult = { keyArn, principals: access.principals, findings: access.findings, notes };
      panel?.post({ type: 'access', view: toView(result, label) });
      return result;
    } catch (error) {
      panel?.post({ type: 'error', title: `Who can use ${label}`, message: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  },
};

function toView(result: KeyAccessResult, keyLabel: string): AccessView {
  return {
    kind: 'access',
    keyLabel,
    keyArn: result.keyArn,
    notes: result.notes,
    findings: result.findings.map((f) => ({ severity: f.severity, title: f.title, detail: f.detail, where: f.where })),
    groups: GROUP_ORDER.map((group) => ({
      title: GROUP_TITLES[group].title,
      explanation: GROUP_TITLES[group].explanation,
      entries: result.principals
        .filter((p) => p.group === group)
        .map((p) => ({
          principal: p.principal,
          description: p.effect === 'Deny' ? `denied: ${p.description}` : p.description,
          actions: p.effect === 'Deny' ? p.actions.map((a) => `not ${a}`) : p.actions,
          conditions: p.conditions,
          source: p.source,
          statementSid: p.statementSid ?? (p.statementIndex !== undefined ? `#${p.statementIndex + 1}` : undefined),
          grantId: p.grantId,
        })),
    })),
  };
}
