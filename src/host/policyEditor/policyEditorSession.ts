// One key's policy editor session: the webview panel and its messages, the policy text the form
// and the JSON tab share, reload. The service's checks live in policyServiceCheckRunner.ts, the
// save flow in policySaveFlow.ts.
import type { KeyMetadata } from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Connection } from '../../core/aws/connection';
import { explainRefusal } from '../../core/kms/keyCapabilities';
import type { KmsGateway } from '../../core/kms/gateway';
import { samePolicyText } from '../../core/policy/policyDiff';
import type { PolicyServiceChecks } from '../../core/analyzer/policyServiceChecks';
import {
  type HostMessage,
  type PolicyKeyInfo,
  type PolicyRequest,
  type RequestResult,
  type SaveResult,
  type SaveStatus,
  type ServiceChecksMessage,
  type WebviewMessage,
  cancelledResult,
  parseWebviewMessage,
} from '../../shared/policyProtocol';
import { reportFailure } from '../commands/commandRunner';
import type { Services } from '../services';
import { isCancellation } from '../ui/userInput';
import { type PolicyFileSystem, serverUri, sessionKeyOf, workingUri } from './policyFileSystem';
import { PolicyJsonTab } from './policyJsonTab';
import { policyEditorHtml } from './webviewHtml';
import { type PolicySaveHost, savePolicy } from './policySaveFlow';
import { PolicyServiceCheckRunner } from './policyServiceCheckRunner';

export const POLICY_EDITOR_VIEW_TYPE = 'kmsWorkbench.policyEditor';

/** The words of "Failed to …" for each request of the webview. */
const REQUEST_ACTIONS: Record<PolicyRequest['kind'], string> = {
  save: 'save the key policy',
  reload: 'reload the key policy',
  openJson: 'open the JSON of the key policy',
  showDiff: 'compare the key policy',
  reveal: 'show the problem in the key policy',
};

/** The key as the editor needs it: described, with its aliases. */
export interface PolicyEditorTarget {
  readonly connection: Connection;
  readonly metadata: KeyMetadata;
  readonly aliases: readonly string[];
}

/** Unsaved changes of a closed editor, kept in memory so reopening it restores them. */
export interface PolicyDraft {
  readonly text: string;
  /** The server's policy the changes were made against. */
  readonly baseText: string;
}

/**
 * One key's policy editor: the webview panel, the policy being edited (the single source
 * of truth both the form and the JSON tab show), the server's version it started from
 * (for conflict detection and diffs), and the save flow.
 */
export class PolicyEditorSession implements vscode.Disposable {
  readonly sessionKey: string;
  readonly keyId: string;
  readonly workingUri: vscode.Uri;
  readonly serverUri: vscode.Uri;

  private text: string;
  /** The server's policy when the editor last read or wrote it: saves refuse when the server's differs. */
  private baseText: string;
  /** What the "on server" document shows (the latest server policy seen). */
  private shownServerText: string;
  private status: SaveStatus = 'idle';
  private statusMessage?: string;
  private ready = false;
  private saving?: Promise<SaveResult>;
  private readonly jsonTab: PolicyJsonTab;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  private readonly onDisposeCallbacks: (() => void)[] = [];
  /** The service's checks (IAM Access Analyzer, the caller's identity) of the text. */
  private readonly serviceCheck: PolicyServiceCheckRunner;
  /** The panel's title without the unsaved marker. */
  private readonly cleanTitle: string;

  constructor(
    private readonly services: Services,
    private readonly fileSystem: PolicyFileSystem,
    /** The editor's page: its webview gets every message the session posts once the page said `ready`. */
    readonly panel: vscode.WebviewPanel,
    private target: PolicyEditorTarget,
    policyText: string,
    draft?: PolicyDraft,
    serviceChecker?: PolicyServiceChecks,
  ) {
    this.serviceCheck = new PolicyServiceCheckRunner(
      {
        services,
        connection: () => this.target.connection,
        label: () => this.label,
        disposed: () => this.disposed,
        currentText: () => this.text,
        post: (message) => this.post(message),
      },
      serviceChecker,
    );
    this.keyId = target.metadata.KeyId ?? '';
    this.cleanTitle = panel.title;
    this.sessionKey = sessionKeyOf(target.connection.id, this.keyId);
    // A draft kept from an editor closed with unsaved changes starts from the server version it
    // was based on, so a save still notices (and shows) a change made on KMS since then.
    this.text = draft?.text ?? policyText;
    this.baseText = draft?.baseText ?? policyText;
    this.shownServerText = policyText;
    if (draft) {
      this.status = 'idle';
      this.statusMessage = 'Restored the unsaved changes of the editor you closed. Review changes before saving.';
    }
    const label = target.aliases[0] ?? this.keyId;
    this.workingUri = workingUri(this.sessionKey, label);
    this.serverUri = serverUri(this.sessionKey, label);
    this.jsonTab = new PolicyJsonTab(fileSystem, this.workingUri, this.serverUri, {
      label,
      currentText: () => this.text,
      typed: (text) => this.typedInJsonTab(text),
      saveRequested: () => void this.saveFromJsonTab(),
      failed: (what, error) => reportFailure(`${what} of the key policy editor (${this.label})`, error, this.services),
    });

    this.disposables.push(
      this.jsonTab,
      fileSystem.attach(this.sessionKey, {
        workingText: () => this.text,
        serverText: () => this.shownServerText,
        acceptDocumentText: (text) => this.acceptDocumentText(text),
        readOnlyReason: () => this.readOnlyReason,
      }),
      panel.webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)),
      panel.onDidDispose(() => this.dispose()),
    );
    panel.webview.html = this.html();
  }

  get connection(): Connection {
    return this.target.connection;
  }

  get keyArn(): string | undefined {
    return this.target.metadata.Arn;
  }

  get label(): string {
    return this.target.aliases[0] ?? this.keyId;
  }

  get panelTitle(): string {
    return this.panel.title;
  }

  get panelVisible(): boolean {
    return this.panel.visible;
  }

  /** The policy as edited now. */
  currentText(): string {
    return this.text;
  }

  /** The server's policy the edits started from. */
  serverText(): string {
    return this.baseText;
  }

  /** Whether the webview said `ready` (and got `init`). */
  isReady(): boolean {
    return this.ready;
  }

  /** The policy as edited, when it differs from the server version it started from (and the key's policy may be changed). */
  get unsavedDraft(): PolicyDraft | undefined {
    if (this.readOnlyReason !== undefined || samePolicyText(this.text, this.baseText)) return undefined;
    return { text: this.text, baseText: this.baseText };
  }

  onDispose(callback: () => void): void {
    this.onDisposeCallbacks.push(callback);
  }

  reveal(): void {
    this.panel.reveal(this.panel.viewColumn);
  }

  private get gateway(): KmsGateway {
    return this.services.kms.gateway(this.target.connection);
  }

  private get readOnlyReason(): string | undefined {
    const refusal = explainRefusal(this.target.metadata, 'editPolicy');
    return refusal ? `${refusal} Its policy is shown read-only.` : undefined;
  }

  private keyInfo(): PolicyKeyInfo {
    const m = this.target.metadata;
    const arn = m.Arn;
    return {
      keyId: this.keyId,
      keyArn: arn,
      aliases: [...this.target.aliases],
      description: m.Description || undefined,
      accountId: m.AWSAccountId ?? (arn ? arn.split(':')[4] : undefined),
      partition: arn ? arn.split(':')[1] : undefined,
      region: this.target.connection.region,
      connectionLabel: this.target.connection.label,
      keyUsage: m.KeyUsage,
      keySpec: m.KeySpec,
      multiRegion: m.MultiRegion,
      keyState: m.KeyState,
      keyManager: m.KeyManager,
    };
  }

  private html(): string {
    const webview = this.panel.webview;
    const root = this.services.extensionUri;
    return policyEditorHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'dist', 'webview', 'policyEditor.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'media', 'policyEditor.css')).toString(),
      nonce: randomBytes(18).toString('base64'),
      title: `Key policy of ${this.label}`,
    });
  }

  // ---- messages ----------------------------------------------------------------------

  private post(message: HostMessage): void {
    if (this.disposed) return;
    this.showUnsaved();
    // Nothing goes to the webview before it said `ready`; `init` then carries the current state.
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  /**
   * The unsaved marker on the panel's tab. A webview panel has no dirty state of its own (only
   * custom editors of documents do), so the title carries VS Code's "●" while the page holds
   * changes not saved to KMS, and loses it once saved, reloaded or undone.
   */
  private showUnsaved(): void {
    if (this.disposed) return;
    const title = this.unsavedDraft ? `● ${this.cleanTitle}` : this.cleanTitle;
    if (this.panel.title !== title) this.panel.title = title;
  }

  /** Whether the panel's tab shows the unsaved marker. */
  get showsUnsaved(): boolean {
    return this.panel.title !== this.cleanTitle;
  }

  private setStatus(status: SaveStatus, message?: string): void {
    this.showUnsaved();
    this.status = status;
    this.statusMessage = message;
    this.post({ type: 'status', status, message });
  }

  /** Handles a message from the webview (validated here: the page is not trusted to send well-formed ones). */
  async receive(raw: unknown): Promise<void> {
    if (this.disposed) return;
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.services.log.warn(`Key policy editor (${this.label}): ignored an invalid message from the webview: ${parsed.error}`);
      const requestId = typeof raw === 'object' && raw !== null ? (raw as { requestId?: unknown }).requestId : undefined;
      if (typeof requestId === 'number' && Number.isSafeInteger(requestId) && requestId >= 0) {
        this.post({ type: 'reply', requestId, ok: false, error: `The editor sent an invalid request (${parsed.error}).` });
      }
      return;
    }
    await this.handle(parsed.message);
  }

  private async handle(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.post({
          type: 'init',
          key: this.keyInfo(),
          text: this.text,
          serverText: this.baseText,
          readOnly: this.readOnlyReason,
          status: this.status,
          statusMessage: this.statusMessage,
        });
        if (this.serviceCheck.checks?.text === this.text) this.post(this.serviceCheck.checks);
        else this.serviceCheck.schedule(0);
        return;
      case 'edit':
        if (this.readOnlyReason) return;
        this.setText(message.text, 'form');
        return;
      case 'request': {
        let reply: HostMessage;
        try {
          reply = { type: 'reply', requestId: message.requestId, ok: true, result: await this.perform(message.request) };
        } catch (error) {
          if (isCancellation(error)) {
            // Backing out of a prompt is an answer, not a failure.
            reply = { type: 'reply', requestId: message.requestId, ok: true, result: cancelledResult(message.request.kind) };
          } else {
            // Shown once, as every command failure is; the form shows it in its status line too.
            reportFailure(`${REQUEST_ACTIONS[message.request.kind]} of ${this.label}`, error, this.services);
            reply = {
              type: 'reply',
              requestId: message.requestId,
              ok: false,
              error: error instanceof Error ? error.message : String(error),
            };
          }
        }
        this.post(reply);
        return;
      }
    }
  }

  private async perform(request: PolicyRequest): Promise<RequestResult> {
    switch (request.kind) {
      case 'save':
        return this.save(request.text);
      case 'reload':
        return { done: await this.reload() };
      case 'openJson':
        await this.jsonTab.open();
        return { done: true };
      case 'showDiff':
        this.setText(request.text, 'form');
        await this.showDiff(this.baseText, 'Key policy on KMS ↔ yours');
        return { done: true };
      case 'reveal':
        await this.jsonTab.open(request.offset, request.length);
        return { done: true };
    }
  }

  // ---- the text (the JSON tab follows it) -----------------------------------------------

  /** Takes a new policy text from the form (or the session itself) and brings the JSON tab along. */
  private setText(text: string, source: 'form' | 'server'): void {
    this.showUnsaved();
    if (text === this.text) return;
    this.text = text;
    this.showUnsaved();
    if (this.status === 'saved' || this.status === 'failed') this.setStatus('idle');
    this.serviceCheck.schedule();
    this.jsonTab.syncSoon();
    if (source === 'server') this.jsonTab.reloaded();
  }

  /** The person typed in the JSON tab: the form follows at once. */
  private typedInJsonTab(text: string): void {
    if (this.readOnlyReason) return;
    this.text = text;
    this.showUnsaved();
    if (this.status === 'saved' || this.status === 'failed') this.setStatus('idle');
    this.post({ type: 'text', text, source: 'jsonEditor' });
    this.serviceCheck.schedule();
  }

  private acceptDocumentText(text: string): void {
    if (text === this.text || this.readOnlyReason) return;
    this.text = text;
    this.showUnsaved();
    this.post({ type: 'text', text, source: 'jsonEditor' });
    this.serviceCheck.schedule();
  }

  // ---- the service's checks (IAM Access Analyzer, the caller's identity) -----------------------

  /** The service's checks of the text as it is now (posted to the webview too). */
  serviceChecks(): ServiceChecksMessage | undefined {
    return this.serviceCheck.checks;
  }

  /** Makes the service's checks again now (their setting changed). */
  recheckServices(): void {
    this.serviceCheck.recheck();
  }

  /** Opens the JSON tab beside the form (or focuses it), optionally selecting a range. */
  openJson(offset?: number, length = 0): Promise<vscode.TextEditor> {
    return this.jsonTab.open(offset, length);
  }

  private async showDiff(serverText: string, title: string): Promise<void> {
    this.shownServerText = serverText;
    await this.jsonTab.showDiff(title);
  }

  // ---- reload and save ----------------------------------------------------------------------

  /** Reads the policy from KMS again; with unsaved changes, asks first. Returns whether it reloaded. */
  async reload(options: { confirmed?: boolean } = {}): Promise<boolean> {
    if (!options.confirmed && !samePolicyText(this.text, this.baseText)) {
      await this.services.ui.confirm(`Discard your changes to the key policy of ${this.label} and reload it from KMS?`, {
        modal: true,
        confirmLabel: 'Discard and Reload',
        detail: 'The form and the JSON tab will show the policy as it is on the server now.',
      });
    }
    const server = await this.gateway.getKeyPolicy(this.keyId);
    this.baseText = server;
    this.shownServerText = server;
    this.fileSystem.changed(this.serverUri);
    this.setText(server, 'server');
    this.status = 'idle';
    this.statusMessage = undefined;
    this.post({ type: 'text', text: server, source: 'reload', serverText: server });
    this.post({ type: 'status', status: 'idle', message: 'Reloaded from KMS.' });
    return true;
  }

  private async saveFromJsonTab(): Promise<void> {
    try {
      const result = await this.save(this.text);
      if (!result.saved) void vscode.window.showInformationMessage(result.message);
    } catch (error) {
      if (!isCancellation(error)) reportFailure(`save the key policy of ${this.label}`, error, this.services);
    }
  }

  /**
   * Saves `text` to KMS: refuses errors and conflicting server changes, shows the diff and
   * asks, checks for lockout (asking again when it would lock the account out), then
   * PutKeyPolicy. Resolves with what happened; rejects only when KMS refuses.
   */
  save(text: string): Promise<SaveResult> {
    if (this.saving) return Promise.resolve({ saved: false, message: 'A save is already in progress.' });
    this.saving = savePolicy(this.saveHost(), text).finally(() => (this.saving = undefined));
    return this.saving;
  }

  private saveHost(): PolicySaveHost {
    return {
      services: this.services,
      keyId: this.keyId,
      serviceChecks: this.serviceCheck,
      label: () => this.label,
      connectionId: () => this.target.connection.id,
      keyInfo: () => this.keyInfo(),
      readOnlyReason: () => this.readOnlyReason,
      gateway: () => this.gateway,
      currentText: () => this.text,
      setText: (text) => this.setText(text, 'form'),
      baseText: () => this.baseText,
      setBaseText: (text) => (this.baseText = text),
      setShownServerText: (text) => (this.shownServerText = text),
      serverChanged: () => this.fileSystem.changed(this.serverUri),
      setStatus: (status, message) => this.setStatus(status, message),
      post: (message) => this.post(message),
      showDiff: (serverText, title) => this.showDiff(serverText, title),
      closeDiffs: () => this.jsonTab.closeDiffs(),
      reload: (options) => this.reload(options),
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.serviceCheck.dispose();
    // The JSON tab and diffs belong to this editor: they close with it.
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
    for (const callback of this.onDisposeCallbacks.splice(0)) callback();
  }
}
