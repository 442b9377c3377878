import * as path from 'node:path';
import * as vscode from 'vscode';
import { AwsConfigFiles, type Environment } from '../../core/aws/awsConfigFiles';
import { type Connection, type ConnectionConfig, ConnectionConfigError, resolveConnection } from '../../core/aws/connection';
import { ArgumentError } from '../../core/args/argumentError';
import { KmsError } from '../../core/kms/errors';
import type { Log } from '../log';

export interface ConnectionEntry {
  readonly index: number;
  readonly config: ConnectionConfig;
  /** Set when the entry resolved. */
  readonly connection?: Connection;
  /** Set when it did not: the message names the fix. */
  readonly error?: Error;
}

const ACTIVE_KEY = 'kmsWorkbench.activeConnection';

/**
 * The connections of `kmsWorkbench.connections` (or one from the environment when none
 * are configured), resolved against the AWS config files, and which one the editor
 * commands use. Fires onDidChange when the setting or the AWS config files change.
 */
export class ConnectionService implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private cache: Promise<{ files: AwsConfigFiles; entries: ConnectionEntry[] }> | undefined;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly memento: vscode.Memento,
    private readonly log: Log,
    private readonly env: Environment = process.env,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('kmsWorkbench.connections')) this.invalidate('kmsWorkbench.connections changed');
      }),
    );
    const { configPath, credentialsPath } = AwsConfigFiles.paths(env);
    for (const file of [configPath, credentialsPath]) {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
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

  /** The configured entries as written in settings; `[{}]` (the environment) when none. */
  configs(): ConnectionConfig[] {
    const raw = vscode.workspace.getConfiguration('kmsWorkbench').get<unknown>('connections');
    if (!Array.isArray(raw) || raw.length === 0) return [{}];
    return raw.map((entry): ConnectionConfig => {
      if (typeof entry !== 'object' || entry === null) return { label: `(invalid entry: ${JSON.stringify(entry)})` };
      const e = entry as Record<string, unknown>;
      const str = (k: string): string | undefined => (typeof e[k] === 'string' ? e[k] : undefined);
      return { profile: str('profile'), region: str('region'), endpoint: str('endpoint'), label: str('label') };
    });
  }

  /** Whether the person configured connections (otherwise the environment is used). */
  isConfigured(): boolean {
    const raw = vscode.workspace.getConfiguration('kmsWorkbench').get<unknown>('connections');
    return Array.isArray(raw) && raw.length > 0;
  }

  files(): Promise<AwsConfigFiles> {
    return this.load().then((l) => l.files);
  }

  entries(): Promise<ConnectionEntry[]> {
    return this.load().then((l) => l.entries);
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
    throw new KmsError('NoConnection', firstError ? firstError.message : 'No KMS connection is configured: add one to kmsWorkbench.connections or configure an AWS profile.');
  }

  async setActive(connection: Connection): Promise<void> {
    await this.memento.update(ACTIVE_KEY, connection.id);
    this.changed.fire();
  }

  /**
   * The connection a command argument names: its label, its id, or "profile · region";
   * the active connection when `ref` is undefined.
   */
  async find(ref: string | undefined): Promise<Connection> {
    if (ref === undefined) return this.active();
    const connections = await this.connections();
    const found = connections.find((c) => c.id === ref || c.label === ref || `${c.profile ?? 'environment'} · ${c.region}` === ref);
    if (!found) {
      throw new ArgumentError(`No connection "${ref}". Known connections: ${connections.map((c) => `"${c.label}"`).join(', ') || 'none'}.`);
    }
    return found;
  }

  private load(): Promise<{ files: AwsConfigFiles; entries: ConnectionEntry[] }> {
    this.cache ??= (async () => {
      const files = await AwsConfigFiles.load(this.env);
      const entries = this.configs().map((config, index): ConnectionEntry => {
        try {
          return { index, config, connection: resolveConnection(config, this.env, files) };
        } catch (error) {
          if (!(error instanceof ConnectionConfigError)) throw error;
          return { index, config, error };
        }
      });
      return { files, entries };
    })();
    this.cache.catch(() => (this.cache = undefined));
    return this.cache;
  }
}
