import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { type InsightHostMessage, type InsightWebviewMessage, isInsightWebviewMessage } from '../../shared/insightProtocol';
import { insightHtml } from './insightHtml';

export const INSIGHT_VIEW_TYPE = 'kmsWorkbench.insight';

/**
 * A webview panel showing a key's usage or effective access. The webview asks for its state
 * with `ready` (also after being hidden and shown again); the host keeps the last message
 * and posts it then. One panel per key and view kind, brought to the front when asked again.
 */
export class InsightPanel implements vscode.Disposable {
  private static readonly open = new Map<string, InsightPanel>();
  private last: InsightHostMessage | undefined;
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly panel: vscode.WebviewPanel;
  private disposed = false;
  /** What the webview's buttons ask for (Cancel, Refresh). */
  onMessage: (message: InsightWebviewMessage) => void = () => undefined;

  static show(extensionUri: vscode.Uri, id: string, title: string): InsightPanel {
    const existing = InsightPanel.open.get(id);
    if (existing && !existing.disposed) {
      existing.panel.title = title;
      existing.panel.reveal(undefined, false);
      return existing;
    }
    const panel = new InsightPanel(extensionUri, id, title);
    InsightPanel.open.set(id, panel);
    return panel;
  }

  /** The panels now open (for tests). */
  static all(): InsightPanel[] {
    return [...InsightPanel.open.values()];
  }

  private constructor(
    extensionUri: vscode.Uri,
    readonly id: string,
    title: string,
  ) {
    this.panel = vscode.window.createWebviewPanel(
      INSIGHT_VIEW_TYPE,
      title,
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
      {
        enableScripts: true,
        enableFindWidget: true,
        retainContextWhenHidden: false,
        localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
      },
    );
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'kms.svg');
    const webview = this.panel.webview;
    webview.html = insightHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'insight.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'insight.css')).toString(),
      nonce: randomBytes(18).toString('base64'),
      title,
    });
    this.disposables.push(
      webview.onDidReceiveMessage((message: unknown) => {
        if (!isInsightWebviewMessage(message)) return;
        if (message.type === 'ready') {
          this.ready = true;
          if (this.last) void webview.postMessage(this.last);
          return;
        }
        this.onMessage(message);
      }),
      this.panel.onDidDispose(() => this.dispose()),
    );
  }

  get visibleTitle(): string {
    return this.panel.title;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The last state posted (what the view shows once ready). */
  get state(): InsightHostMessage | undefined {
    return this.last;
  }

  post(message: InsightHostMessage): void {
    if (this.disposed) return;
    // Progress updates do not replace what a reloaded webview should show.
    if (message.type !== 'progress') this.last = message;
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  onDidDispose(listener: () => void): vscode.Disposable {
    return this.panel.onDidDispose(listener);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    InsightPanel.open.delete(this.id);
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}
