/**
 * Whether a key policy may be saved, decided in one place from one parse of each text:
 * the policy as edited is validated, then compared with the server's policy now and the
 * server's policy the edits started from. The host asks the questions the decision carries
 * and calls PutKeyPolicy; it decides nothing itself.
 */
import type { ServiceFinding } from '../../shared/policyProtocol';
import type { KeyKind } from './consolePolicy';
import { type LockoutReport, checkLockout } from './lockoutCheck';
import { describePolicyChanges, policyValueOf } from './policyDiff';
import { canonicalJson } from './policyModel';
import { SERVICE_FINDING_LABELS, countFindings } from './serviceFindings';
import { type PolicyValidation, validatePolicy } from './validatePolicy';

export interface SaveContext {
  /** How the key is named in questions ("alias/app", or its id). */
  readonly label: string;
  readonly accountId?: string;
  readonly partition?: string;
  readonly keyArn?: string;
  readonly keyKind?: KeyKind;
  /** The caller's ARN from sts:GetCallerIdentity: the lockout check asks about this identity too. */
  readonly callerArn?: string;
  /** Why the caller's identity is not known (STS failed or is missing): the lockout check then assumes the account. */
  readonly callerUnknown?: string;
  /** IAM Access Analyzer's findings for the text being saved. */
  readonly serviceFindings?: readonly ServiceFinding[];
  /** Why Access Analyzer did not check the text being saved. */
  readonly analyzerUnavailable?: string;
}

/** The policy as edited, checked: errors refuse the save before KMS is asked anything. */
export type CheckedPolicy =
  | { readonly kind: 'invalid'; readonly message: string; readonly validation: PolicyValidation }
  | { readonly kind: 'valid'; readonly text: string; readonly value: unknown; readonly validation: PolicyValidation };

/** A question for the person, with the answer that goes on. */
export interface SaveQuestion {
  readonly message: string;
  readonly detail: string;
  readonly confirmLabel: string;
}

export type SaveDecision =
  | { readonly kind: 'invalid'; readonly message: string }
  /** The server's policy changed since the edits started: nothing is saved without seeing it. */
  | { readonly kind: 'conflict'; readonly message: string; readonly serverText: string }
  | { readonly kind: 'unchanged'; readonly message: string }
  | {
      readonly kind: 'ready';
      /** What changes, in sentences. */
      readonly changes: readonly string[];
      readonly lockout?: LockoutReport;
      /** Always asked, with the changes, the first warning and a reduced-access note. */
      readonly confirm: SaveQuestion;
      /** Asked after `confirm` when the policy would lock the account (or the caller) out. */
      readonly confirmLockout?: SaveQuestion;
    };

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Validates the text to save (one parse); the first error says what to fix. */
export function checkPolicyForSave(text: string, ctx: Pick<SaveContext, 'accountId' | 'keyArn'>): CheckedPolicy {
  const validation = validatePolicy(text, { accountId: ctx.accountId, keyArn: ctx.keyArn });
  if (validation.errorCount) {
    const first = validation.issues.find((i) => i.severity === 'error');
    const message =
      `Not saved: the policy has ${plural(validation.errorCount, 'error')}. ${first ? `Line ${first.line}: ${first.message}` : ''}`.trim();
    return { kind: 'invalid', message, validation };
  }
  return { kind: 'valid', text, value: validation.value, validation };
}

/** The JSON value of a text, or the text itself when it is not JSON (then texts compare as text). */
function comparable(text: string, value: unknown): string {
  return value === undefined ? `text:${text}` : canonicalJson(value);
}

/**
 * The decision for saving `checked` when the server's policy is `serverText` and the edits
 * started from `baseText`. Each text is parsed once.
 */
export function decideSave(checked: CheckedPolicy, baseText: string, serverText: string, ctx: SaveContext): SaveDecision {
  if (checked.kind === 'invalid') return { kind: 'invalid', message: checked.message };
  const serverValue = policyValueOf(serverText);
  const server = comparable(serverText, serverValue);
  const base = baseText === serverText ? server : comparable(baseText, policyValueOf(baseText));
  if (server !== base) {
    return { kind: 'conflict', serverText, message: `Not saved: the key policy of ${ctx.label} was changed on KMS since you opened it.` };
  }
  if (server === comparable(checked.text, checked.value))
    return { kind: 'unchanged', message: 'No changes to save: the policy on KMS is the same.' };

  const after = checked.value;
  const lockout = ctx.accountId
    ? checkLockout(after, { accountId: ctx.accountId, partition: ctx.partition, keyArn: ctx.keyArn, callerArn: ctx.callerArn }, serverValue)
    : undefined;
  const changes = describePolicyChanges(serverValue, after, { accountId: ctx.accountId, partition: ctx.partition, keyKind: ctx.keyKind });
  const { validation } = checked;
  const firstWarning = validation.issues.find((i) => i.severity === 'warning')?.message ?? '';
  const detail = [
    ...changes.map((c) => `• ${c}`),
    validation.warningCount ? `\n${plural(validation.warningCount, 'warning')}: ${firstWarning}` : '',
    lockout?.level === 'reduced' && !lockout.needsConfirmation ? `\n${lockout.details.join(' ')}` : '',
    ...serviceCheckNotes(ctx),
  ]
    .filter(Boolean)
    .join('\n');
  return {
    kind: 'ready',
    changes,
    lockout,
    confirm: { message: `Save the key policy of ${ctx.label} to KMS?`, detail, confirmLabel: 'Save' },
    confirmLockout: lockout?.needsConfirmation
      ? { message: lockout.headline, detail: lockout.details.join('\n\n'), confirmLabel: 'Save Anyway' }
      : undefined,
  };
}

/** What the service's checks found, or could not check, for the save confirmation. */
export function serviceCheckNotes(
  ctx: Pick<SaveContext, 'serviceFindings' | 'analyzerUnavailable' | 'callerUnknown' | 'callerArn' | 'accountId'>,
): string[] {
  const notes: string[] = [];
  const findings = ctx.serviceFindings ?? [];
  if (findings.length) {
    const first = findings[0];
    const at = first.statementIndex !== undefined ? ` (statement ${first.statementIndex + 1})` : '';
    notes.push(`\nIAM Access Analyzer: ${countFindings(findings)}. ${SERVICE_FINDING_LABELS[first.findingType]}${at}: ${first.message}`);
  } else if (ctx.serviceFindings) {
    notes.push('\nIAM Access Analyzer found nothing to report.');
  }
  if (ctx.analyzerUnavailable) notes.push(`\nNot checked by IAM Access Analyzer: ${ctx.analyzerUnavailable}`);
  if (!ctx.callerArn && ctx.callerUnknown)
    notes.push(
      `\nYour own identity is not known (${ctx.callerUnknown}): the lockout check assumed you act through ` +
        `the account${ctx.accountId ? ` ${ctx.accountId}` : ''} (its root).`,
    );
  return notes;
}
