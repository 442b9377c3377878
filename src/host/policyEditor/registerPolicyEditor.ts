import type { KeyMetadata } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import { Args } from '../../core/args/readArgs';
import type { Connection } from '../../core/aws/connection';
import type { PolicyServiceChecks } from '../../core/analyzer/policyServiceChecks';
import { type CommandSpec, registerCommands, reportFailure } from '../commands/commandRunner';
import type { Services } from '../services';
import { keyTargetOf } from '../targets';
import { resolveKeyOf } from '../keys/keyResolver';
import { isCancellation } from '../ui/userInput';
import { POLICY_SCHEME, PolicyFileSystem, sessionKeyOf } from './policyFileSystem';
import { POLICY_EDITOR_VIEW_TYPE, type PolicyDraft, PolicyEditorSession, type PolicyEditorTarget } from './policyEditorSession';

/** What `kmsWorkbench.editKeyPolicy` returns. */
export interface EditKeyPolicyResult {
  readonly keyId: string;
  readonly keyArn?: string;
  /** The JSON document of the policy being edited (kms-policy: scheme), as a string. */
  readonly uri: string;
  /** False when an editor for this key was open already and was brought to the front. */
  readonly opened: boolean;
}

/** The editors, one per key and connection. */
export class PolicyEditors implements vscode.Disposable {
  private readonly sessions = new Map<string, PolicyEditorSession>();
  private readonly opening = new Map<string, Promise<PolicyEditorSession>>();
  /**
   * Unsaved changes of editors that were closed (a webview cannot stop its own closing),
   * by session key: the next editor of that key starts from them. In memory only.
   */
  private readonly drafts = new Map<string, PolicyDraft>();
  private disposing = false;

  constructor(
    private readonly services: Services,
    private readonly fileSystem: PolicyFileSystem,
    private readonly checks?: PolicyServiceChecks,
  ) {}

  all(): PolicyEditorSession[] {
    return [...this.sessions.values()];
  }

  find(keyId: string, connectionId?: string): PolicyEditorSession | undefined {
    return this.all().find((s) => (s.keyId === keyId || s.label === keyId) && (!connectionId || s.connection.id === connectionId));
  }

  /** Opens the editor of a key, or brings its open editor to the front. */
  async open(
    connection: Connection,
    keyRef: string,
    knownAliases: readonly string[] = [],
  ): Promise<{ session: PolicyEditorSession; opened: boolean }> {
    const already = this.sessions.get(sessionKeyOf(connection.id, keyRef));
    if (already) {
      already.reveal();
      return { session: already, opened: false };
    }
    const gateway = this.services.kms.gateway(connection);
    const metadata = await gateway.describeKey(keyRef);
    const keyId = metadata.KeyId ?? keyRef;
    const key = sessionKeyOf(connection.id, keyId);
    const existing = this.sessions.get(key);
    if (existing) {
      existing.reveal();
      return { session: existing, opened: false };
    }
    // Two quick clicks open one editor, not two.
    const pending = this.opening.get(key);
    if (pending) {
      const session = await pending;
      session.reveal();
      return { session, opened: false };
    }
    const creating = this.create(connection, metadata, keyRef, knownAliases).finally(() => this.opening.delete(key));
    this.opening.set(key, creating);
    return { session: await creating, opened: true };
  }

  private async create(
    connection: Connection,
    metadata: KeyMetadata,
    keyRef: string,
    knownAliases: readonly string[],
  ): Promise<PolicyEditorSession> {
    const gateway = this.services.kms.gateway(connection);
    const keyId = metadata.KeyId ?? keyRef;
    const [policy, aliases] = await Promise.all([gateway.getKeyPolicy(keyId), this.aliasesOf(connection, keyId, keyRef, knownAliases)]);
    const target: PolicyEditorTarget = { connection, metadata, aliases };
    const root = this.services.extensionUri;
    const panel = vscode.window.createWebviewPanel(
      POLICY_EDITOR_VIEW_TYPE,
      `Key policy: ${aliases[0]?.replace(/^alias\//, '') ?? shortKeyId(keyId)}`,
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
      {
        enableScripts: true,
        enableFindWidget: true,
        retainContextWhenHidden: false,
        // Only the webview's own assets: its script bundle and its stylesheet.
        localResourceRoots: [vscode.Uri.joinPath(root, 'dist', 'webview'), vscode.Uri.joinPath(root, 'media')],
      },
    );
    panel.iconPath = vscode.Uri.joinPath(root, 'media', 'kms.svg');
    const key = sessionKeyOf(connection.id, keyId);
    const draft = this.drafts.get(key);
    this.drafts.delete(key);
    const session = new PolicyEditorSession(this.services, this.fileSystem, panel, target, policy, draft, this.checks);
    this.sessions.set(session.sessionKey, session);
    session.onDispose(() => {
      this.sessions.delete(session.sessionKey);
      const unsaved = session.unsavedDraft;
      if (unsaved && !this.disposing) this.keepDraft(session, unsaved);
    });
    return session;
  }

  /** Unsaved changes kept from a closed editor of this key, if any. */
  draftOf(keyId: string, connectionId: string): PolicyDraft | undefined {
    return this.drafts.get(sessionKeyOf(connectionId, keyId));
  }

  /** Keeps what a closed editor had not saved, and offers to reopen it or let it go. */
  private keepDraft(session: PolicyEditorSession, draft: PolicyDraft): void {
    this.drafts.set(session.sessionKey, draft);
    const connection = session.connection;
    this.services.log.info(
      `Key policy editor (${session.label}): closed with unsaved changes; kept in memory until reopened or discarded.`,
    );
    void (async () => {
      try {
        const choice = await this.services.ui.choose(
          `The key policy editor of ${session.label} was closed with unsaved changes. They are kept until you reopen it.`,
          ['Reopen', 'Discard Changes'] as const,
          { severity: 'warning' },
        );
        if (choice === 'Discard Changes') {
          if (this.drafts.get(session.sessionKey) === draft) this.drafts.delete(session.sessionKey);
        } else if (choice === 'Reopen') {
          await this.open(connection, session.keyId, session.label.startsWith('alias/') ? [session.label] : []);
        }
      } catch (error) {
        if (!isCancellation(error)) reportFailure(`reopen the key policy editor of ${session.label}`, error, this.services);
      }
    })();
  }

  private async aliasesOf(connection: Connection, keyId: string, keyRef: string, known: readonly string[]): Promise<string[]> {
    const found = new Set(known);
    if (keyRef.startsWith('alias/')) found.add(keyRef);
    try {
      const page = await this.services.kms.gateway(connection).listAliasesPage(undefined, keyId);
      for (const a of page.items) if (a.AliasName) found.add(a.AliasName);
    } catch {
      // Aliases only name the tab; the editor works without them.
    }
    return [...found].sort();
  }

  dispose(): void {
    this.disposing = true;
    for (const s of this.all()) s.dispose();
    this.sessions.clear();
    this.drafts.clear();
  }
}

function shortKeyId(keyId: string): string {
  return keyId.length > 13 ? `${keyId.slice(0, 8)}…` : keyId;
}

/**
 * `kmsWorkbench.editKeyPolicy` `{ keyId?, connection? }` (or a key / "Key policy" tree node):
 * opens the key-policy editor of the key, or brings its open editor to the front. Without
 * a key, a key picker. Returns `{ keyId, keyArn, uri, opened }` (`uri`: the policy's JSON
 * document).
 */
export function editKeyPolicyCommand(editors: PolicyEditors): CommandSpec<EditKeyPolicyResult> {
  return {
    id: 'kmsWorkbench.editKeyPolicy',
    action: 'open the key policy',
    run: async (arg, services) => {
      // A tree node (anything with a key target) stands for the key; otherwise an argument object.
      const args = Args.from('kmsWorkbench.editKeyPolicy', keyTargetOf(arg) ? undefined : arg, ['keyId', 'connection']);
      // Described when the editor opens (an open editor of the key is found by the id).
      const key = await resolveKeyOf(arg, args, services, { title: 'Edit key policy', includeAwsManaged: true, describe: 'whenNeeded' });
      const { session, opened } = await editors.open(key.connection, key.keyId, key.aliases);
      return { keyId: session.keyId, keyArn: session.keyArn, uri: session.workingUri.toString(), opened };
    },
  };
}

/**
 * The key-policy editors and their command. `checks`: IAM Access Analyzer and STS for the editors
 * (without it, the editor says they were not asked). Returns the open editors.
 */
export function registerPolicyEditor(context: vscode.ExtensionContext, services: Services, checks?: PolicyServiceChecks): PolicyEditors {
  const fileSystem = new PolicyFileSystem();
  const editors = new PolicyEditors(services, fileSystem, checks);
  context.subscriptions.push(
    fileSystem,
    editors,
    vscode.workspace.registerFileSystemProvider(POLICY_SCHEME, fileSystem, { isCaseSensitive: true }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('kmsWorkbench.policyEditor.accessAnalyzer')) for (const s of editors.all()) s.recheckServices();
    }),
  );
  registerCommands(context, services, [editKeyPolicyCommand(editors)] as CommandSpec[]);

  return editors;
}
