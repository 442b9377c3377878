// How many workspace files each key encrypts, for views and confirmations outside the
// inventory (the KMS tree's key descriptions, Disable Key, Schedule Key Deletion). The
// inventory publishes here; readers get 0 before it has scanned.
import { keyIdOf } from '../../core/inventory/keyRefs';
import { UserCancelledError } from '../ui/userInput';

type Counter = (keyId: string) => readonly string[];
let counter: Counter | undefined;
const listeners = new Set<() => void>();

/** Set by the inventory when it starts (and cleared on dispose). */
export function publishWorkspaceUsage(next: Counter | undefined): void {
  counter = next;
  usageChanged();
}

/** The inventory's counts changed. */
export function usageChanged(): void {
  for (const l of listeners) l();
}

export function onDidChangeWorkspaceUsage(listener: () => void): { dispose(): void } {
  listeners.add(listener);
  return { dispose: () => listeners.delete(listener) };
}

/** Paths of the workspace files encrypted under the key (key id or ARN). */
export function workspaceFilesUsing(keyIdOrArn: string): readonly string[] {
  return counter?.(keyIdOf(keyIdOrArn)) ?? [];
}

/** "3 files in this workspace" or undefined when none. */
export function usageSuffix(keyIdOrArn: string): string | undefined {
  const n = workspaceFilesUsing(keyIdOrArn).length;
  return n === 0 ? undefined : `${n} workspace file${n === 1 ? '' : 's'}`;
}

/** A command argument asking kmsWorkbench.reEncryptFiles to re-key, interactively, every workspace file under a key. */
export class ReKeyRequest {
  constructor(readonly fromKeyId: string) {}
}

/**
 * Before a key is disabled or scheduled for deletion: when workspace files are encrypted
 * under it, says so and offers to re-key them first (the re-key then runs, with its own plan
 * and confirmation). Returns the sentence for the confirmation that follows, or undefined
 * when no workspace file uses the key.
 */
export async function offerReKeyFirst(
  ui: {
    choose<T extends string>(
      message: string,
      buttons: readonly T[],
      options?: { modal?: boolean; detail?: string; severity?: 'info' | 'warning' },
    ): Promise<T | undefined>;
  },
  keyId: string,
  label: string,
  consequence: string,
  runReKey: (request: ReKeyRequest) => Thenable<unknown>,
): Promise<string | undefined> {
  const n = workspaceFilesUsing(keyId).length;
  if (n === 0) return undefined;
  const sentence = `${n} file${n === 1 ? ' in this workspace is' : 's in this workspace are'} encrypted under this key.`;
  const choice = await ui.choose(`${sentence} ${consequence}`, ['Re-key Them First…', 'Continue'], {
    modal: true,
    severity: 'warning',
    detail: `Re-keying moves them to another key (message headers re-wrapped, blobs re-encrypted by KMS, SOPS keys updated) before ${label} changes.`,
  });
  if (choice === undefined) throw new UserCancelledError();
  if (choice === 'Re-key Them First…') await runReKey(new ReKeyRequest(keyId));
  const left = workspaceFilesUsing(keyId).length;
  return left === 0
    ? undefined
    : `${left} file${left === 1 ? ' in this workspace is' : 's in this workspace are'} encrypted under this key.`;
}
