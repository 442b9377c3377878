import type * as vscode from 'vscode';
import type { KmsClientFactory } from '../core/kms/client';
import type { ConnectionService } from './connections/connectionService';
import type { KeyNames } from './keyNames';
import type { Log } from './log';
import type { AccountTrust } from './trust/accountTrust';
import type { UserInput } from './ui/userInput';

/** A change the extension made to a key, so views showing it can refresh just that key. */
export interface KeyChange {
  readonly connectionId: string;
  /** Key id (not alias). undefined: something about the connection's keys changed (a new key, an alias moved). */
  readonly keyId?: string;
}

/** What every feature's register(context, services) is given. */
export interface Services {
  readonly log: Log;
  /** Prompts; replaced by a scripted one in tests. */
  ui: UserInput;
  readonly connections: ConnectionService;
  readonly kms: KmsClientFactory;
  /** Which accounts' keys may be used (connections' accounts, kmsWorkbench.trustedAccounts, workspace approvals). */
  readonly trust: AccountTrust;
  /** How keys are named to a person (alias, account only when not the connection's). */
  readonly keyNames: KeyNames;
  readonly onDidChangeKey: vscode.Event<KeyChange>;
  fireKeyChanged(change: KeyChange): void;
  readonly extensionUri: vscode.Uri;
}
