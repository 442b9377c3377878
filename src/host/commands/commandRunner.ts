import * as vscode from 'vscode';
import { isPlainObject } from '../../core/args/readArgs';
import { KmsError, type KeyStateFix } from '../../core/kms/errors';
import { inertMessage } from '../../core/text/inertText';
import { describeError } from '../log';
import type { Services } from '../services';
import type { HasTarget, KeyTarget } from '../targets';
import { isCancellation } from '../ui/userInput';

/** A command: its id, the words of "Failed to <action>", and a plain handler. */
export interface CommandSpec<R = unknown> {
  readonly id: `kmsWorkbench.${string}`;
  /** Completes "Failed to …", e.g. "encrypt the selection". */
  readonly action: string;
  /**
   * `arg` is what the command was invoked with: an argument object from a script or
   * keybinding, a tree node or Uri from a menu, or undefined from the palette.
   * `args` holds all arguments (explorer multi-select passes the selection second).
   */
  readonly run: (arg: unknown, services: Services, args: readonly unknown[]) => Promise<R>;
}

/**
 * Registers commands through the one wrapper: a cancel is silent; a failure is logged and
 * shown once as "Failed to <action>: <reason>" with a button to show the log (and to run
 * `aws sso login` when that is the fix). A scripted call (a plain argument object) also
 * gets the failure back as a rejected promise, so scripts can tell it failed.
 */
export function registerCommands(context: vscode.ExtensionContext, services: Services, specs: readonly CommandSpec[]): void {
  for (const spec of specs) {
    context.subscriptions.push(vscode.commands.registerCommand(spec.id, (...args: unknown[]) => runCommand(spec, services, args)));
  }
}

export async function runCommand<R>(spec: CommandSpec<R>, services: Services, args: readonly unknown[]): Promise<R | undefined> {
  const arg = args[0];
  try {
    return await spec.run(arg, services, args);
  } catch (error) {
    if (isCancellation(error)) return undefined;
    reportFailure(spec.action, error, services);
    if (isPlainObject(arg)) throw new Error(`Failed to ${spec.action}: ${reasonOf(error)}`);
    return undefined;
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function reportFailure(action: string, error: unknown, services: Services): void {
  const reason = reasonOf(error);
  services.log.error(`Failed to ${action}`, error);
  if (!(error instanceof KmsError)) services.log.error(`  (unexpected error ${error instanceof Error ? error.name : typeof error})`);
  const buttons: string[] = [];
  const ssoProfile = error instanceof KmsError ? error.details.ssoLoginProfile : undefined;
  if (ssoProfile) buttons.push('Run aws sso login');
  const fix = error instanceof KmsError ? error.details.fix : undefined;
  const fixButton = fix ? FIX_BUTTONS[fix.action] : undefined;
  if (fixButton) buttons.push(fixButton);
  buttons.push('Show Log');
  // The reason may quote a server's message or a file's text: shown as text.
  void vscode.window
    .showErrorMessage(inertMessage(`Failed to ${action}: ${reason}`, { keepLineBreaks: true }), ...buttons)
    .then((choice) => {
      if (choice === 'Show Log') services.log.show();
      if (choice === 'Run aws sso login' && ssoProfile) runSsoLogin(ssoProfile);
      if (choice !== undefined && choice === fixButton && fix) void runFix(fix, services);
    });
}

/** The button that fixes a key's state, by the fix a KmsError carries. */
const FIX_BUTTONS: Readonly<Record<KeyStateFix, string>> = { enableKey: 'Enable Key', cancelKeyDeletion: 'Cancel Deletion' };

/** A menu-like argument (not a plain object): the fixing command runs as from the tree, asking what it asks there. */
class FixTarget implements HasTarget {
  constructor(readonly target: KeyTarget) {}
}

/** Runs the fixing command on the key and connection of the failed call (the command reports its own failure). */
async function runFix(fix: NonNullable<KmsError['details']['fix']>, services: Services): Promise<void> {
  try {
    const connection = await services.connections.find(fix.connectionId);
    await vscode.commands.executeCommand(`kmsWorkbench.${fix.action}`, new FixTarget({ kind: 'key', connection, keyId: fix.keyId }));
  } catch (error) {
    reportFailure(fix.action === 'enableKey' ? 'enable the key' : 'cancel the key deletion', error, services);
  }
}

/** Opens a terminal running `aws sso login --profile <name>`. */
export function runSsoLogin(profile: string): void {
  const terminal = vscode.window.createTerminal({ name: `aws sso login (${profile})` });
  terminal.show();
  terminal.sendText(`aws sso login --profile ${shellQuote(profile)}`);
}

function shellQuote(s: string): string {
  return /^[\w.-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export { describeError };
