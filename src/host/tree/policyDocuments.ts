import * as vscode from 'vscode';

/** Scheme of the read-only key policy documents. */
export const POLICY_SCHEME = 'kms-key-policy';

/**
 * Read-only documents showing key policies as formatted JSON (until the policy editor
 * exists, the "Key policy" node opens one). A document provider's documents cannot be
 * edited, so nobody mistakes this view for a way to change the policy. The command fetches
 * the policy first (so a failure is reported by the command wrapper), then opens it here.
 */
export class PolicyDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly changes = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changes.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '// This key policy is no longer loaded: open it again from the KMS view.\n';
  }

  /** Opens (or updates and shows) the policy document of a key. */
  async show(input: {
    connectionLabel: string;
    connectionId: string;
    keyLabel: string;
    keyId: string;
    policyName: string;
    policy: string;
  }): Promise<vscode.Uri> {
    const name = `${safe(input.keyLabel)}${input.policyName === 'default' ? '' : `.${safe(input.policyName)}`}.policy.json`;
    const uri = vscode.Uri.from({
      scheme: POLICY_SCHEME,
      path: `/${safe(input.connectionLabel)}/${name}`,
      query: new URLSearchParams({ connection: input.connectionId, key: input.keyId, policy: input.policyName }).toString(),
    });
    this.contents.set(uri.toString(), formatPolicy(input.policy));
    this.changes.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    if (document.languageId !== 'json') await vscode.languages.setTextDocumentLanguage(document, 'json');
    await vscode.window.showTextDocument(document, { preview: true });
    return uri;
  }

  dispose(): void {
    this.changes.dispose();
    this.contents.clear();
  }
}

/** Pretty-prints a policy (KMS returns it as sent, often on one line); text that is not JSON is left as it is. */
export function formatPolicy(policy: string): string {
  try {
    return `${JSON.stringify(JSON.parse(policy), null, 2)}\n`;
  } catch {
    return policy;
  }
}

function safe(text: string): string {
  return (
    text
      .replace(/[/\\:*?"<>|#%]+/g, '_')
      .replace(/\s+/g, ' ')
      .trim() || 'key'
  );
}
