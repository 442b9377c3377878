import * as vscode from 'vscode';
import { minimalEdit } from '../../core/policy/formatPolicy';
import type { PolicyFileSystem } from './policyFileSystem';

/** How long the JSON tab waits after the last keystroke before saving itself into the session. */
const DOCUMENT_SAVE_DELAY_MS = 600;

export interface PolicyJsonTabOwner {
  /** How the editor names the key in titles. */
  readonly label: string;
  /** The policy as the session holds it now. */
  currentText(): string;
  /** The person typed in the tab: the session takes the text (the form follows). */
  typed(text: string): void;
  /** Ctrl+S in the tab: save the policy to KMS. */
  saveRequested(): void;
  /** A failure of the background synchronisation: reported like a command's (logged and shown once). */
  failed(what: string, error: unknown): void;
}

/**
 * The JSON tab of one policy editor: the `kms-policy:` document that shows the session's
 * text, kept in step both ways (edits of the form reach the open document as minimal edits;
 * typing in the document reaches the session at once), and the diff against the server's
 * policy. The document saves itself into the session (never to disk); only Ctrl+S asks the
 * session to save to KMS.
 */
export class PolicyJsonTab implements vscode.Disposable {
  private programmaticSave = 0;
  private saveTimer?: ReturnType<typeof setTimeout>;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly fileSystem: PolicyFileSystem,
    readonly workingUri: vscode.Uri,
    readonly serverUri: vscode.Uri,
    private readonly owner: PolicyJsonTabOwner,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === this.workingUri.toString() && e.contentChanges.length) this.documentEdited(e.document);
      }),
      vscode.workspace.onWillSaveTextDocument((e) => {
        // Ctrl+S in the JSON tab (not our own sync, not auto-save) saves the policy to KMS.
        if (
          e.document.uri.toString() !== this.workingUri.toString() ||
          this.programmaticSave > 0 ||
          e.reason !== vscode.TextDocumentSaveReason.Manual
        )
          return;
        setTimeout(() => this.owner.saveRequested(), 0);
      }),
    );
  }

  private openDocument(): vscode.TextDocument | undefined {
    const uri = this.workingUri.toString();
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri && !d.isClosed);
  }

  /** Brings the open document to the session's text (a minimal edit, saved into the session at once). */
  async sync(): Promise<void> {
    const doc = this.openDocument();
    const text = this.owner.currentText();
    if (!doc) {
      this.fileSystem.changed(this.workingUri);
      return;
    }
    const current = doc.getText();
    if (current === text) return;
    const edit = minimalEdit(current, text);
    const workspaceEdit = new vscode.WorkspaceEdit();
    workspaceEdit.replace(
      doc.uri,
      new vscode.Range(doc.positionAt(edit.offset), doc.positionAt(edit.offset + edit.deleteCount)),
      edit.insert,
    );
    await vscode.workspace.applyEdit(workspaceEdit);
    await this.saveDocument(doc);
  }

  /** Syncs in the background (failures are logged). */
  syncSoon(): void {
    void this.sync().catch((error: unknown) => this.owner.failed('update the JSON tab', error));
  }

  /** The document's text changed outside the tab (a reload): VS Code reads it again. */
  reloaded(): void {
    this.fileSystem.changed(this.workingUri);
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

  /** The person typed in the tab: the session follows at once; the tab saves itself shortly after. */
  private documentEdited(doc: vscode.TextDocument): void {
    const text = doc.getText();
    if (text !== this.owner.currentText()) this.owner.typed(text);
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => void this.saveDocument(doc).catch(() => undefined), DOCUMENT_SAVE_DELAY_MS);
  }

  /** Opens the tab beside the form (or focuses it), optionally selecting a range. */
  async open(offset?: number, length = 0): Promise<vscode.TextEditor> {
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

  /** Shows the server's policy (as the "on server" document already holds it) against the session's. */
  async showDiff(title: string): Promise<void> {
    this.fileSystem.changed(this.serverUri);
    await this.sync();
    await vscode.commands.executeCommand('vscode.diff', this.serverUri, this.workingUri, `${this.owner.label}: ${title}`, {
      preview: true,
      viewColumn: vscode.ViewColumn.Beside,
    });
  }

  async closeDiffs(): Promise<void> {
    const server = this.serverUri.toString();
    const tabs = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.original.toString() === server);
    if (tabs.length) await vscode.window.tabGroups.close(tabs, true);
  }

  /** Closes the tab and its diffs (clean documents only). */
  dispose(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
    const mine = [this.workingUri.toString(), this.serverUri.toString()];
    const tabs = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .filter(
        (t) =>
          (t.input instanceof vscode.TabInputText && mine.includes(t.input.uri.toString())) ||
          (t.input instanceof vscode.TabInputTextDiff && mine.includes(t.input.original.toString())),
      );
    if (tabs.length) void vscode.window.tabGroups.close(tabs, true).then(undefined, () => undefined);
  }
}
