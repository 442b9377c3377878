import * as vscode from 'vscode';
import { inertLabel, inertLine, markdownCode } from '../../core/text/inertText';
import { isAwsSdkLoaded } from '../../core/lazy/loadAwsSdk';
import type { Services } from '../services';

/**
 * The status-bar item naming the connection the editor commands use; clicking it runs
 * `kmsWorkbench.selectConnection` (a QuickPick). Working the connection out reads the AWS
 * config files with the SDK's parser, which activation must not load: until something
 * else has loaded the SDK (the KMS view, a command), the item says "KMS" and resolves on
 * click, on the next change, or once the view has loaded.
 */
export class ConnectionStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private updating: Promise<void> | undefined;
  private again = false;

  /** @param usable false while the KMS view shows its welcome view (no credentials, nothing configured). */
  constructor(
    private readonly services: Services,
    private readonly usable: () => boolean = () => true,
  ) {
    this.item = vscode.window.createStatusBarItem('kmsWorkbench.connection', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'KMS Connection';
    this.item.command = 'kmsWorkbench.selectConnection';
    this.item.text = '$(key) KMS';
    this.item.tooltip = 'KMS Workbench: click to choose the connection the editor commands use';
    this.item.show();
    this.disposables.push(
      this.item,
      services.connections.onDidChange(() => this.update()),
      vscode.window.onDidChangeActiveTextEditor(() => {
        if (isAwsSdkLoaded()) this.update();
      }),
    );
    if (isAwsSdkLoaded()) this.update();
  }

  /** Shows the active connection (reads settings and the AWS config files). */
  update(): void {
    if (this.updating) {
      this.again = true;
      return;
    }
    this.updating = this.render().finally(() => {
      this.updating = undefined;
      if (this.again) {
        this.again = false;
        this.update();
      }
    });
  }

  /** The text shown now (tests). */
  get text(): string {
    return this.item.text;
  }

  private async render(): Promise<void> {
    try {
      if (!this.usable()) throw new Error('No AWS credentials or profiles were found, and no connection is configured.');
      const connection = await this.services.connections.active();
      this.item.text = `$(key) ${inertLabel(connection.label)}`;
      const md = new vscode.MarkdownString();
      md.appendMarkdown('**KMS connection for editor commands**\n\n');
      md.appendMarkdown(`- Profile: ${connection.profile ? markdownCode(connection.profile) : 'the environment'}\n`);
      md.appendMarkdown(`- Region: ${markdownCode(connection.region)}\n`);
      if (connection.endpoint) md.appendMarkdown(`- Endpoint: ${markdownCode(connection.endpoint)}\n`);
      md.appendMarkdown('\nClick to switch.');
      this.item.tooltip = md;
      this.item.backgroundColor = undefined;
      this.item.accessibilityInformation = { label: `KMS connection ${connection.label}. Click to switch.` };
    } catch (error) {
      this.item.text = '$(key) KMS: no connection';
      this.item.tooltip = `${inertLine(error instanceof Error ? error.message : String(error))}\n\nClick to choose a connection.`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      this.item.accessibilityInformation = { label: 'No KMS connection. Click to choose one.' };
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
