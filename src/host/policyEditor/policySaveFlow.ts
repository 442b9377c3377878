// Saving a key policy to KMS: what core decides (saveDecision.ts) with the service's checks,
// the diff to review and the confirmations, PutKeyPolicy, and a conflict with a change made on
// KMS since the editor read the policy.
import type { KmsGateway } from '../../core/kms/gateway';
import { type SaveContext, checkPolicyForSave, decideSave } from '../../core/policy/saveDecision';
import type { HostMessage, PolicyKeyInfo, SaveResult, SaveStatus, ServiceChecksMessage } from '../../shared/policyProtocol';
import type { Services } from '../services';
import { isCancellation } from '../ui/userInput';
import type { PolicyServiceCheckRunner } from './policyServiceCheckRunner';

/** What the save flow needs of its editor session. */
export interface PolicySaveHost {
  readonly services: Services;
  readonly keyId: string;
  readonly serviceChecks: PolicyServiceCheckRunner;
  label(): string;
  connectionId(): string;
  keyInfo(): PolicyKeyInfo;
  readOnlyReason(): string | undefined;
  gateway(): KmsGateway;
  /** The policy as edited now. */
  currentText(): string;
  /** Takes `text` as the policy edited (as the form does). */
  setText(text: string): void;
  /** The server's policy the edits started from. */
  baseText(): string;
  setBaseText(text: string): void;
  /** What the "on server" document shows. */
  setShownServerText(text: string): void;
  /** The "on server" document changed. */
  serverChanged(): void;
  setStatus(status: SaveStatus, message?: string): void;
  post(message: HostMessage): void;
  showDiff(serverText: string, title: string): Promise<void>;
  closeDiffs(): Promise<void>;
  reload(options: { confirmed?: boolean }): Promise<boolean>;
}

function saveContext(host: PolicySaveHost, checks?: ServiceChecksMessage): SaveContext {
  const info = host.keyInfo();
  return {
    label: host.label(),
    accountId: info.accountId,
    partition: info.partition,
    keyArn: info.keyArn,
    keyKind: { keyUsage: info.keyUsage, keySpec: info.keySpec, multiRegion: info.multiRegion },
    callerArn: checks?.caller.state === 'done' ? checks.caller.arn : undefined,
    callerUnknown: checks?.caller.state === 'unavailable' ? checks.caller.reason : undefined,
    serviceFindings: checks?.analyzer.state === 'done' ? checks.analyzer.findings : undefined,
    analyzerUnavailable: checks?.analyzer.state === 'unavailable' ? checks.analyzer.reason : undefined,
  };
}

/** Asks what core decides (saveDecision.ts), then PutKeyPolicy. */
export async function savePolicy(host: PolicySaveHost, text: string): Promise<SaveResult> {
  const readOnly = host.readOnlyReason();
  if (readOnly) return { saved: false, message: readOnly };
  host.setText(text);
  const checked = checkPolicyForSave(text, saveContext(host));
  if (checked.kind === 'invalid') {
    host.setStatus('failed', checked.message);
    return { saved: false, message: checked.message };
  }
  // The caller's identity (asked again when it failed before) and Access Analyzer's findings of this very text.
  host.setStatus('saving', 'Checking the policy with IAM Access Analyzer and your identity…');
  const caller = host.serviceChecks.callerAnswer;
  if (caller && (await caller).state === 'unavailable') host.serviceChecks.forgetCaller();
  const ctx = saveContext(host, await host.serviceChecks.checksFor(text));

  host.setStatus('saving', 'Checking the policy on KMS…');
  let server: string;
  try {
    server = await host.gateway().getKeyPolicy(host.keyId);
  } catch (error) {
    host.setStatus('failed', `Not saved: could not read the current policy (${error instanceof Error ? error.message : String(error)}).`);
    throw error;
  }

  const decision = decideSave(checked, host.baseText(), server, ctx);
  switch (decision.kind) {
    case 'invalid':
      host.setStatus('failed', decision.message);
      return { saved: false, message: decision.message };
    case 'conflict':
      return conflict(host, server, decision.message);
    case 'unchanged':
      host.setStatus('idle', decision.message);
      return { saved: false, message: decision.message };
    case 'ready':
      break;
  }
  try {
    await host.showDiff(server, 'Key policy on KMS ↔ yours (review before saving)');
    await host.services.ui.confirm(decision.confirm.message, {
      modal: true,
      confirmLabel: decision.confirm.confirmLabel,
      detail: decision.confirm.detail,
    });
    if (decision.confirmLockout) {
      await host.services.ui.confirm(decision.confirmLockout.message, {
        modal: true,
        confirmLabel: decision.confirmLockout.confirmLabel,
        detail: decision.confirmLockout.detail,
      });
    }
  } catch (error) {
    if (isCancellation(error)) {
      host.setStatus('idle', 'Not saved.');
      return { saved: false, message: 'Not saved.' };
    }
    throw error;
  }

  host.setStatus('saving', 'Saving to KMS…');
  try {
    await host.gateway().putKeyPolicy(host.keyId, text);
  } catch (error) {
    host.setStatus('failed', `Not saved: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  }
  const stored = await host
    .gateway()
    .getKeyPolicy(host.keyId)
    .catch(() => text);
  host.setBaseText(stored);
  host.setShownServerText(stored);
  host.serverChanged();
  host.services.fireKeyChanged({ connectionId: host.connectionId(), keyId: host.keyId });
  host.services.log.info(`Saved the key policy of ${host.label()} (${host.keyId}) with PutKeyPolicy.`);
  await host.closeDiffs().catch(() => undefined);
  host.post({ type: 'text', text: host.currentText(), source: 'save', serverText: stored });
  host.setStatus('saved', `Saved to KMS at ${new Date().toLocaleTimeString()}.`);
  return { saved: true, message: `Saved the key policy of ${host.label()}.` };
}

async function conflict(host: PolicySaveHost, server: string, message: string): Promise<SaveResult> {
  host.setStatus('conflict', `${message} Reload to start from the server's version, or Compare to see it.`);
  host.setShownServerText(server);
  host.serverChanged();
  const choice = await host.services.ui.choose(message, ['Compare', 'Reload'] as const, {
    modal: true,
    severity: 'warning',
    detail:
      'Reload replaces your changes with the policy on KMS. Compare shows the policy on KMS next to yours; save again afterwards to replace it with yours.',
  });
  if (choice === 'Reload') {
    await host.reload({ confirmed: true });
    return { saved: false, message: `${message} Reloaded the policy from KMS.` };
  }
  if (choice === 'Compare') {
    // Having seen the server's version, the next save replaces it (after the usual diff and checks).
    host.setBaseText(server);
    await host.showDiff(server, 'Key policy on KMS now ↔ yours');
    host.post({ type: 'text', text: host.currentText(), source: 'save', serverText: server });
    host.setStatus(
      'conflict',
      'The diff shows the policy on KMS now against yours. Save again to replace it with yours, or Reload to take the server’s.',
    );
    return { saved: false, message: `${message} The diff shows both versions.` };
  }
  return { saved: false, message };
}
