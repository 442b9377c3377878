import * as path from 'node:path';
import * as vscode from 'vscode';
import { AwsConfigFiles, type Environment } from '../../core/aws/awsConfigFiles';
import {
  type Connection,
  type ConnectionConfig,
  ConnectionConfigError,
  describeConnectionConfig,
  type EndpointPolicy,
  resolveConnection,
} from '../../core/aws/connection';
import { connectionFingerprint, parseConnectionList } from '../../core/aws/connectionSettings';
import { ArgumentError } from '../../core/args/argumentError';
import { KmsError } from '../../core/kms/errors';
import type { Log } from '../log';
import { isWorkspaceTrusted, onDidChangeWorkspaceTrust } from '../trust/workspaceTrust';
import { ConnectionApprovals } from './connectionApprovals';

export interface ConnectionEntry {
  readonly index: number;
  readonly config: ConnectionConfig;
  /** Set when the entry resolved. */
  readonly connection?: Connection;
  /** Set when it did not: the message names the fix. */
  readonly error?: Error;
  /** Set for a connection the workspace proposed and the user approved: its fingerprint. */
  readonly approvedProposal?: string;
}

/** A connection the workspace proposes (`kmsWorkbench.proposedConnections`). */
export interface ProposalEntry {
  /** Its identity (see connectionFingerprint): what an approval is for. */
  readonly fingerprint: string;
  readonly config: ConnectionConfig;
  /** Which settings propose it: "workspace settings" or "settings of folder <name>". */
  readonly source: string;
  /** The user approved exactly this connection for this workspace. */
  readonly approved: boolean;
  /** How it resolves against the user's AWS files (nothing is sent anywhere to find out). */
  readonly connection?: Connection;
  readonly error?: Error;
  /** The label of a user connection it is the same as (then it is not shown). */
  readonly sameAs?: string;
}

const ACTIVE_KEY = 'kmsWorkbench.activeConnection';
const SETTINGS = ['kmsWorkbench.connections', 'kmsWorkbench.proposedConnections', 'kmsWorkbench.allowInsecureEndpoints'];

interface Loaded {
  readonly files: AwsConfigFiles;
  readonly entries: ConnectionEntry[];
  readonly proposals: ProposalEntry[];
}

/**
 * The connections of `kmsWorkbench.connections` (or one from the environment when none
 * are configured), resolved against the AWS config files, and which one the editor
 * commands use. Fires onDidChange when the settings, the AWS config files, the approvals
 * or workspace trust change.
 *
 * The trust boundary: connections route the user's signed requests and plaintext, so they
 * come from the user's settings only (the setting is application-scoped, and only its user
 * value is read here even if VS Code passed a workspace value on). A workspace may propose
 * connections in `kmsWorkbench.proposedConnections`; they are listed by `proposals()` and
 * join `entries()`/`connections()` only once the user approved that exact connection for
 * this workspace, and only while the workspace is trusted.
 */
export class ConnectionService implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private cache: Promise<Loaded> | undefined;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private readonly approvals: ConnectionApprovals;
  private lastIgnoredNote: string | undefined;

  constructor(
    private readonly memento: vscode.Memento,
    private readonly log: Log,
    private readonly env: Environment = process.env,
  ) {
    this.approvals = new ConnectionApprovals(memento);
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        const which = SETTINGS.find((name) => e.affectsConfiguration(name));
        if (which) this.invalidate(`${which} changed`);
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.invalidate('the workspace folders changed')),
      onDidChangeWorkspaceTrust((trusted) =>
        this.invalidate(trusted ? 'the workspace is trusted now' : 'the workspace is in Restricted Mode'),
      ),
    );
    const { configPath, credentialsPath } = AwsConfigFiles.paths(env);
    for (const file of [configPath, credentialsPath]) {
      const watcher = vscode.workspace.createFileSystemWatcher(
        new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)),
      );
      const onFile = (): void => this.invalidate(`${file} changed`);
      watcher.onDidChange(onFile);
      watcher.onDidCreate(onFile);
      watcher.onDidDelete(onFile);
      this.disposables.push(watcher);
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  /** Drops what was resolved and tells listeners (the tree, the clients) to start over. */
  invalidate(reason: string): void {
    this.log.info(`Connections reloaded: ${reason}`);
    this.cache = undefined;
    this.changed.fire();
  }

  /**
   * The user's entries of kmsWorkbench.connections; `[{}]` (the environment) when none.
   * Only the user settings count: a value in workspace or folder settings is ignored (and
   * logged), since it would let a repository route the user's requests.
   */
  configs(): ConnectionConfig[] {
    const raw = this.userConnections();
    return Array.isArray(raw) && raw.length > 0 ? parseConnectionList(raw) : [{}];
  }

  /** Whether the person configured connections (otherwise the environment is used). */
  isConfigured(): boolean {
    const raw = this.userConnections();
    return Array.isArray(raw) && raw.length > 0;
  }

  /** What the user allows of endpoints (user settings only). */
  endpointPolicy(): EndpointPolicy {
    const inspected = vscode.workspace.getConfiguration('kmsWorkbench').inspect<unknown>('allowInsecureEndpoints');
    return { allowInsecureEndpoints: inspected?.globalValue === true };
  }

  /** Resolves a connection entry the way the service does (the user's endpoint policy applies). */
  async resolve(config: ConnectionConfig): Promise<Connection> {
    return resolveConnection(config, this.env, await this.files(), this.endpointPolicy());
  }

  files(): Promise<AwsConfigFiles> {
    return this.load().then((l) => l.files);
  }

  /** The user's connections (or the environment's), then the approved proposals of a trusted workspace. */
  entries(): Promise<ConnectionEntry[]> {
    return this.load().then((l) => l.entries);
  }

  /**
   * The connections the workspace proposes and the user has not approved or that do not
   * resolve (approved ones that resolve are in entries()). Empty in Restricted Mode: see
   * ignoredProposalCount().
   */
  async proposals(): Promise<ProposalEntry[]> {
    if (!isWorkspaceTrusted()) return [];
    return (await this.load()).proposals.filter((p) => !p.sameAs && !(p.approved && p.connection));
  }

  /** Every proposal of the workspace, approved or not (trusted or not): for the approve and revoke commands. */
  async allProposals(): Promise<ProposalEntry[]> {
    return (await this.load()).proposals;
  }

  /** How many connections the workspace proposes that Restricted Mode keeps out of sight. */
  async ignoredProposalCount(): Promise<number> {
    if (isWorkspaceTrusted()) return 0;
    return (await this.load()).proposals.length;
  }

  /** Remembers the user's approval of a proposed connection for this workspace. */
  async approve(proposal: ProposalEntry): Promise<void> {
    if (!isWorkspaceTrusted())
      throw new ArgumentError(
        'This workspace is in Restricted Mode: its proposed connections cannot be approved. Trust the workspace first (Workspaces: Manage Workspace Trust).',
      );
    await this.approvals.approve(proposal.fingerprint);
    this.log.info(
      `Proposed connection approved for this workspace: ${describeConnectionConfig(proposal.config)} (${proposal.config.endpoint ?? 'no endpoint'})`,
    );
    this.invalidate('a proposed connection was approved');
  }

  /** Forgets the approval of a proposed connection for this workspace. Returns whether there was one. */
  async revoke(fingerprint: string): Promise<boolean> {
    const had = await this.approvals.revoke(fingerprint);
    if (had) this.invalidate('the approval of a proposed connection was revoked');
    return had;
  }

  async connections(): Promise<Connection[]> {
    return (await this.entries()).flatMap((e) => (e.connection ? [e.connection] : []));
  }

  /** The connection the editor commands use (status bar), the first usable one by default. */
  async active(): Promise<Connection> {
    const entries = await this.entries();
    const stored = this.memento.get<string>(ACTIVE_KEY);
    const usable = entries.filter((e) => e.connection);
    const chosen = usable.find((e) => e.connection?.id === stored) ?? usable[0];
    if (chosen?.connection) return chosen.connection;
    const firstError = entries.find((e) => e.error)?.error;
    throw new KmsError(
      'NoConnection',
      firstError ? firstError.message : 'No KMS connection is configured: add one to kmsWorkbench.connections or configure an AWS profile.',
    );
  }

  async setActive(connection: Connection): Promise<void> {
    await this.memento.update(ACTIVE_KEY, connection.id);
    this.changed.fire();
  }

  /**
   * The connection a command argument names: its label, its id, or "profile · region";
   * the active connection when `ref` is undefined. A proposed connection not approved is
   * refused with the way to approve it.
   */
  async find(ref: string | undefined): Promise<Connection> {
    if (ref === undefined) return this.active();
    const connections = await this.connections();
    const found = connections.find((c) => matches(c, ref));
    if (!found) {
      const proposed = (await this.load()).proposals.find((p) => p.config.label === ref || (p.connection && matches(p.connection, ref)));
      if (proposed) {
        throw new ArgumentError(
          isWorkspaceTrusted()
            ? `Connection "${ref}" is proposed by this workspace and not approved: ` +
              'nothing is sent to it until you approve it (KMS: Approve Proposed Connection, or kmsWorkbench.approveConnection).'
            : `Connection "${ref}" is proposed by this workspace, which is in Restricted Mode: proposed connections are not used.`,
        );
      }
      throw new ArgumentError(`No connection "${ref}". Known connections: ${connections.map((c) => `"${c.label}"`).join(', ') || 'none'}.`);
    }
    return found;
  }

  private userConnections(): unknown {
    const inspected = vscode.workspace.getConfiguration('kmsWorkbench').inspect<unknown>('connections');
    const ignored = [
      inspected?.workspaceValue !== undefined ? 'the workspace settings' : undefined,
      inspected?.workspaceFolderValue !== undefined ? 'a folder\u2019s settings' : undefined,
    ].filter(Boolean);
    const note = ignored.length
      ? `kmsWorkbench.connections in ${ignored.join(' and ')} is ignored: ` +
        'connections come from your user settings only. A repository can propose connections in ' +
        'kmsWorkbench.proposedConnections, which you approve one by one.'
      : undefined;
    if (note && note !== this.lastIgnoredNote) this.log.warn(note);
    this.lastIgnoredNote = note;
    return inspected?.globalValue;
  }

  /** The proposals of the workspace settings and of each folder's settings, in that order, without repeats. */
  private proposedConfigs(): { config: ConnectionConfig; source: string }[] {
    const out: { config: ConnectionConfig; source: string }[] = [];
    const window = vscode.workspace.getConfiguration('kmsWorkbench').inspect<unknown>('proposedConnections');
    if (window?.globalValue !== undefined) {
      this.log.warn(
        'kmsWorkbench.proposedConnections in your user settings is not read: put your own connections in kmsWorkbench.connections.',
      );
    }
    for (const config of parseConnectionList(window?.workspaceValue)) out.push({ config, source: 'workspace settings' });
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const inspected = vscode.workspace.getConfiguration('kmsWorkbench', folder.uri).inspect<unknown>('proposedConnections');
      for (const config of parseConnectionList(inspected?.workspaceFolderValue))
        out.push({ config, source: `settings of folder ${folder.name}` });
    }
    const seen = new Set<string>();
    return out.filter((p) => {
      const fingerprint = connectionFingerprint(p.config);
      if (seen.has(fingerprint)) return false;
      seen.add(fingerprint);
      return true;
    });
  }

  private load(): Promise<Loaded> {
    this.cache ??= (async () => {
      const files = await AwsConfigFiles.load(this.env);
      const policy = this.endpointPolicy();
      const resolve = (config: ConnectionConfig): { connection?: Connection; error?: Error } => {
        try {
          return { connection: resolveConnection(config, this.env, files, policy) };
        } catch (error) {
          if (!(error instanceof ConnectionConfigError)) throw error;
          return { error };
        }
      };
      const entries: ConnectionEntry[] = this.configs().map((config, index): ConnectionEntry => ({ index, config, ...resolve(config) }));
      const trusted = isWorkspaceTrusted();
      const proposals: ProposalEntry[] = [];
      for (const { config, source } of this.proposedConfigs()) {
        const fingerprint = connectionFingerprint(config);
        const resolved = resolve(config);
        const sameAs = resolved.connection && entries.find((e) => e.connection?.id === resolved.connection?.id)?.connection?.label;
        const proposal: ProposalEntry = {
          fingerprint,
          config,
          source,
          approved: this.approvals.isApproved(fingerprint),
          ...resolved,
          sameAs,
        };
        proposals.push(proposal);
        const alreadyShown = entries.some((e) => e.connection && e.connection.id === proposal.connection?.id);
        if (trusted && proposal.approved && proposal.connection && !alreadyShown) {
          entries.push({ index: entries.length, config, connection: proposal.connection, approvedProposal: fingerprint });
        }
      }
      if (proposals.length)
        this.log.info(
          `This workspace proposes ${proposals.length} connection(s): ${proposals.filter((p) => p.approved).length} ` +
            `approved${trusted ? '' : ' (Restricted Mode: none is shown or used)'}.`,
        );
      return { files, entries, proposals };
    })();
    this.cache.catch(() => (this.cache = undefined));
    return this.cache;
  }
}

function matches(c: Connection, ref: string): boolean {
  return c.id === ref || c.label === ref || `${c.profile ?? 'environment'} · ${c.region}` === ref;
}
