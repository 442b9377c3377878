import type { KeyMetadata } from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Connection } from '../../core/aws/connection';
import { explainRefusal } from '../../core/kms/keyCapabilities';
import type { KmsGateway } from '../../core/kms/gateway';
import { minimalEdit } from '../../core/policy/formatPolicy';
import { checkLockout } from '../../core/policy/lockoutCheck';
import { describePolicyChanges, policyValueOf, samePolicyText } from '../../core/policy/policyDiff';
import { validatePolicy } from '../../core/policy/validatePolicy';
import {
  type HostMessage,
  type PolicyKeyInfo,
  type PolicyRequest,
  type RequestResult,
  type SaveResult,
  type SaveStatus,
  type WebviewMessage,
  parseWebviewMessage,
} from '../../shared/policyProtocol';
import type { Services } from '../services';
import { isCancellation } from '../ui/userInput';
import { type PolicyFileSystem, serverUri, sessionKeyOf, workingUri } from './policyFileSystem';
import { policyEditorHtml } from './webviewHtml';

export const POLICY_EDITOR_VIEW_TYPE = 'kmsWorkbench.policyEditor';

/** A cancelled prompt, also when the prompt came from another bundle's UserInput (tests script them). */
function isCancelled(error: unknown): boolean {
  return isCancellation(error) || (error instanceof Error && error.name === 'UserCancelledError');
}

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

/** How long the JSON tab waits after the last keystroke before saving itself into the session. */
const DOCUMENT_SAVE_DELAY_MS = 600;

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
  /** Everything posted to the webview, for tests. */
  readonly posted: HostMessage[] = [];
  private readonly postedListeners = new Set<(m: HostMessage) => void>();

  private text: string;
  /** The server's policy when the editor last read or wrote it: saves refuse when the server's differs. */
  private baseText: string;
  /** What the "on server" document shows (the latest server policy seen). */
  private shownServerText: string;
  private status: SaveStatus = 'idle';
  private statusMessage?: string;
  private ready = false;
  private saving?: Promise<SaveResult>;
  private programmaticSave = 0;
  private documentSaveTimer?: ReturnType<typeof setTimeout>;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  private readonly onDisposeCallbacks: (() => void)[] = [];

  constructor(
    private readonly services: Services,
    private readonly fileSystem: PolicyFileSystem,
    private readonly panel: vscode.WebviewPanel,
    private target: PolicyEditorTarget,
    policyText: string,
    draft?: PolicyDraft,
  ) {
    this.keyId = target.metadata.KeyId ?? '';
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

    this.disposables.push(
      fileSystem.attach(this.sessionKey, {
        workingText: () => this.text,
        serverText: () => this.shownServerText,
        acceptDocumentText: (text) => this.acceptDocumentText(text),
      }),
      panel.webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)),
      panel.onDidDispose(() => this.dispose()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === this.workingUri.toString() && e.contentChanges.length) this.documentEdited(e.document);
      }),
      vscode.workspace.onWillSaveTextDocument((e) => {
        // Ctrl+S in the JSON tab (not our own sync, not auto-save) saves the policy to KMS.
        if (e.document.uri.toString() !== this.workingUri.toString() || this.programmaticSave > 0 || e.reason !== vscode.TextDocumentSaveReason.Manual) return;
        setTimeout(() => void this.saveFromJsonTab(), 0);
      }),
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

  get currentText(): string {
    return this.text;
  }

  get serverText(): string {
    return this.baseText;
  }

  get isReady(): boolean {
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

  onPosted(listener: (m: HostMessage) => void): vscode.Disposable {
    this.postedListeners.add(listener);
    return { dispose: () => this.postedListeners.delete(listener) };
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
    this.posted.push(message);
    if (this.posted.length > 500) this.posted.splice(0, this.posted.length - 500);
    for (const listener of this.postedListeners) listener(message);
    // Nothing goes to the webview before it said `ready`; `init` then carries the current state.
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private setStatus(status: SaveStatus, message?: string): void {
    this.status = status;
    this.statusMessage = message;
    this.post({ type: 'status', status, message });
  }

  /** Handles a message from the webview (or from a test, through the same checks). */
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
        this.post({ type: 'init', key: this.keyInfo(), text: this.text, serverText: this.baseText, readOnly: this.readOnlyReason, status: this.status, statusMessage: this.statusMessage });
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
          if (isCancelled(error)) {
            // Backing out of a prompt is an answer, not a failure.
            reply = { type: 'reply', requestId: message.requestId, ok: true, result: { done: false } };
          } else {
            this.services.log.error(`Key policy editor (${this.label}): ${message.request.kind} failed`, error);
            reply = { type: 'reply', requestId: message.requestId, ok: false, error: error instanceof Error ? error.message : String(error) };
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
        await this.openJson();
        return { done: true };
      case 'showDiff':
        this.setText(request.text, 'form');
        await this.showDiff(this.baseText, 'Key policy on KMS ↔ yours');
        return { done: true };
      case 'reveal':
        await this.openJson(request.offset, request.length);
        return { done: true };
    }
  }

  // ---- the text and the JSON tab ----------------------------------------------------------

  private openDocument(): vscode.TextDocument | undefined {
    const uri = this.workingUri.toString();
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri && !d.isClosed);
  }

  /** Takes a new policy text from the form (or the session itself) and brings the JSON tab along. */
  private setText(text: string, source: 'form' | 'server'): void {
    if (text === this.text) return;
    this.text = text;
    if (this.status === 'saved' || this.status === 'failed') this.setStatus('idle');
    void this.syncDocument().catch((error: unknown) => this.services.log.error(`Key policy editor (${this.label}): could not update the JSON tab`, error));
    if (source === 'server') this.fileSystem.changed(this.workingUri);
  }

  private async syncDocument(): Promise<void> {
    const doc = this.openDocument();
    if (!doc) {
      this.fileSystem.changed(this.workingUri);
      return;
    }
    const current = doc.getText();
    if (current === this.text) return;
    const edit = minimalEdit(current, this.text);
    const workspaceEdit = new vscode.WorkspaceEdit();
    workspaceEdit.replace(doc.uri, new vscode.Range(doc.positionAt(edit.offset), doc.positionAt(edit.offset + edit.deleteCount)), edit.insert);
    await vscode.workspace.applyEdit(workspaceEdit);
    await this.saveDocument(doc);
  }

  private async saveDocument(doc: vscode.TextDocument): Promise<void> {
    if (!doc.isDirty || doc.isClosed) return;
    this.programmaticSave++;
    try {
      await doc.save();
    } finally {
      this.programmaticSave--;
    }
  }

  /** The person typed in the JSON tab: the form follows at once; the tab saves itself shortly after. */
  private documentEdited(doc: vscode.TextDocument): void {
    const text = doc.getText();
    if (text !== this.text) {
      this.text = text;
      if (this.status === 'saved' || this.status === 'failed') this.setStatus('idle');
      this.post({ type: 'text', text, source: 'jsonEditor' });
    }
    if (this.documentSaveTimer) clearTimeout(this.documentSaveTimer);
    this.documentSaveTimer = setTimeout(() => void this.saveDocument(doc).catch(() => undefined), DOCUMENT_SAVE_DELAY_MS);
  }

  private acceptDocumentText(text: string): void {
    if (text === this.text) return;
    this.text = text;
    this.post({ type: 'text', text, source: 'jsonEditor' });
  }

  /** Opens the JSON tab beside the form (or focuses it), optionally selecting a range. */
  async openJson(offset?: number, length = 0): Promise<vscode.TextEditor> {
    const doc = this.openDocument() ?? (await vscode.workspace.openTextDocument(this.workingUri));
    if (doc.languageId !== 'json') await vscode.languages.setTextDocumentLanguage(doc, 'json');
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false });
    if (offset !== undefined) {
      const start = doc.positionAt(offset);
      const end = doc.positionAt(offset + length);
      editor.selection = new vscode.Selection(start, end);
      editor.revealRange(new vscode.Range(start, end), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
    return editor;
  }

  private async showDiff(serverText: string, title: string): Promise<void> {
    this.shownServerText = serverText;
    this.fileSystem.changed(this.serverUri);
    await this.syncDocument();
    await vscode.commands.executeCommand('vscode.diff', this.serverUri, this.workingUri, `${this.label}: ${title}`, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  }

  private async closeDiffs(): Promise<void> {
    const server = this.serverUri.toString();
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.original.toString() === server);
    if (tabs.length) await vscode.window.tabGroups.close(tabs, true);
  }

  // ---- reload and save ----------------------------------------------------------------------

  /** Reads the policy from KMS again; with unsaved changes, asks first. Returns whether it reloaded. */
  async reload(options: { confirmed?: boolean } = {}): Promise<boolean> {
    if (!options.confirmed && !samePolicyText(this.text, this.baseText)) {
      await this.services.ui.confirm(`Discard your changes to the key policy of ${this.label} and reload it from KMS?`, { modal: true, confirmLabel: 'Discard and Reload', detail: 'The form and the JSON tab will show the policy as it is on the server now.' });
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
      if (!isCancelled(error)) void vscode.window.showErrorMessage(`Failed to save the key policy: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * Saves `text` to KMS: refuses errors and conflicting server changes, shows the diff and
   * asks, checks for lockout (asking again when it would lock the account out), then
   * PutKeyPolicy. Resolves with what happened; rejects only when KMS refuses.
   */
  save(text: string): Promise<SaveResult> {
    if (this.saving) return Promise.resolve({ saved: false, message: 'A save is already in progress.' });
    this.saving = this.doSave(text).finally(() => (this.saving = undefined));
    return this.saving;
  }

  private async doSave(text: string): Promise<SaveResult> {
    const readOnly = this.readOnlyReason;
    if (readOnly) return { saved: false, message: readOnly };
    this.setText(text, 'form');
    const info = this.keyInfo();
    const validation = validatePolicy(text, { accountId: info.accountId, keyArn: info.keyArn });
    if (validation.errorCount) {
      const first = validation.issues.find((i) => i.severity === 'error');
      const message = `Not saved: the policy has ${validation.errorCount} error${validation.errorCount > 1 ? 's' : ''}. ${first ? `Line ${first.line}: ${first.message}` : ''}`.trim();
      this.setStatus('failed', message);
      return { saved: false, message };
    }

    this.setStatus('saving', 'Checking the policy on KMS…');
    let server: string;
    try {
      server = await this.gateway.getKeyPolicy(this.keyId);
    } catch (error) {
      this.setStatus('failed', `Not saved: could not read the current policy (${error instanceof Error ? error.message : String(error)}).`);
      throw error;
    }

    if (!samePolicyText(server, this.baseText)) return this.conflict(server);
    if (samePolicyText(server, text)) {
      this.setStatus('idle', 'No changes to save: the policy on KMS is the same.');
      return { saved: false, message: 'No changes to save: the policy on KMS is the same.' };
    }

    const before = policyValueOf(server);
    const after = validation.value;
    const ctx = { accountId: info.accountId, partition: info.partition, keyKind: { keyUsage: info.keyUsage, keySpec: info.keySpec, multiRegion: info.multiRegion } };
    const lockout = info.accountId ? checkLockout(after, { accountId: info.accountId, partition: info.partition, keyArn: info.keyArn }, before) : undefined;
    try {
      await this.showDiff(server, 'Key policy on KMS ↔ yours (review before saving)');
      const changes = describePolicyChanges(before, after, ctx);
      const detail = [
        ...changes.map((c) => `• ${c}`),
        validation.warningCount ? `\n${validation.warningCount} warning${validation.warningCount > 1 ? 's' : ''}: ${validation.issues.find((i) => i.severity === 'warning')?.message ?? ''}` : '',
        lockout?.level === 'reduced' ? `\n${lockout.details.join(' ')}` : '',
      ]
        .filter(Boolean)
        .join('\n');
      await this.services.ui.confirm(`Save the key policy of ${this.label} to KMS?`, { modal: true, confirmLabel: 'Save', detail });
      if (lockout?.needsConfirmation) {
        await this.services.ui.confirm(lockout.headline, { modal: true, confirmLabel: 'Save Anyway', detail: lockout.details.join('\n\n') });
      }
    } catch (error) {
      if (isCancelled(error)) {
        this.setStatus('idle', 'Not saved.');
        return { saved: false, message: 'Not saved.' };
      }
      throw error;
    }

    this.setStatus('saving', 'Saving to KMS…');
    try {
      await this.gateway.putKeyPolicy(this.keyId, text);
    } catch (error) {
      this.setStatus('failed', `Not saved: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
    const stored = await this.gateway.getKeyPolicy(this.keyId).catch(() => text);
    this.baseText = stored;
    this.shownServerText = stored;
    this.fileSystem.changed(this.serverUri);
    this.services.fireKeyChanged({ connectionId: this.target.connection.id, keyId: this.keyId });
    this.services.log.info(`Saved the key policy of ${this.label} (${this.keyId}) with PutKeyPolicy.`);
    await this.closeDiffs().catch(() => undefined);
    const message = `Saved to KMS at ${new Date().toLocaleTimeString()}.`;
    this.post({ type: 'text', text: this.text, source: 'save', serverText: stored });
    this.setStatus('saved', message);
    return { saved: true, message: `Saved the key policy of ${this.label}.` };
  }

  private async conflict(server: string): Promise<SaveResult> {
    const message = `Not saved: the key policy of ${this.label} was changed on KMS since you opened it.`;
    this.setStatus('conflict', `${message} Reload to start from the server's version, or Compare to see it.`);
    this.shownServerText = server;
    this.fileSystem.changed(this.serverUri);
    const choice = await this.services.ui.choose(message, ['Compare', 'Reload'] as const, {
      modal: true,
      severity: 'warning',
      detail: 'Reload replaces your changes with the policy on KMS. Compare shows the policy on KMS next to yours; save again afterwards to replace it with yours.',
    });
    if (choice === 'Reload') {
      await this.reload({ confirmed: true });
      return { saved: false, message: `${message} Reloaded the policy from KMS.` };
    }
    if (choice === 'Compare') {
      // Having seen the server's version, the next save replaces it (after the usual diff and checks).
      this.baseText = server;
      await this.showDiff(server, 'Key policy on KMS now ↔ yours');
      this.post({ type: 'text', text: this.text, source: 'save', serverText: server });
      this.setStatus('conflict', 'The diff shows the policy on KMS now against yours. Save again to replace it with yours, or Reload to take the server’s.');
      return { saved: false, message: `${message} The diff shows both versions.` };
    }
    return { saved: false, message };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.documentSaveTimer) clearTimeout(this.documentSaveTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.postedListeners.clear();
    this.panel.dispose();
    // The JSON tab and diffs belong to this editor: close them with it (clean documents only).
    const mine = [this.workingUri.toString(), this.serverUri.toString()];
    const tabs = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .filter((t) => (t.input instanceof vscode.TabInputText && mine.includes(t.input.uri.toString())) || (t.input instanceof vscode.TabInputTextDiff && mine.includes(t.input.original.toString())));
    if (tabs.length) void vscode.window.tabGroups.close(tabs, true).then(undefined, () => undefined);
    for (const callback of this.onDisposeCallbacks.splice(0)) callback();
  }
}
