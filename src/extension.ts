import * as vscode from 'vscode';
import { KmsClientFactory, type KmsClientSettings } from './core/kms/client';
import { PolicyServiceChecks } from './core/analyzer/policyServiceChecks';
import { CloudTrailClientFactory } from './core/usage/cloudTrailClient';
import { isAwsSdkLoaded } from './core/lazy/loadAwsSdk';
import { registerCommands } from './host/commands/commandRunner';
import { foundationCommands } from './host/commands/foundationCommands';
import { registerKeyCommands } from './host/keyCommands/registerKeyCommands';
import { type InsightTesting, registerInsight } from './host/insight/registerInsight';
import { ConnectionService } from './host/connections/connectionService';
import { createLog } from './host/log';
import { type EditorEncryptionTesting, registerEditorEncryption } from './host/editor/registerEditorEncryption';
import { EncryptionMemory } from './host/editor/encryptionMemory';
import { type DecryptedEditingTesting, registerDecryptedEditing } from './host/decrypted/registerDecryptedEditing';
import { type PolicyEditors, registerPolicyEditor } from './host/policyEditor/registerPolicyEditor';
import { type KmsTreeTesting, registerTree } from './host/tree/registerTree';
import { type InventoryTesting, registerInventory } from './host/inventory/registerInventory';
import type { KeyChange, Services } from './host/services';
import type { UserInput } from './host/ui/userInput';
import { VscodeUserInput } from './host/ui/vscodeUserInput';
import { setWorkspaceTrustOverride, watchWorkspaceTrust } from './host/trust/workspaceTrust';
import { AccountTrust } from './host/trust/accountTrust';
import { KeyNames } from './host/keyNames';

/** What the extension returns from activate(); `testing` only in the extension test host. */
export interface KmsWorkbenchApi {
  readonly testing?: {
    readonly services: Services;
    /** Replaces the prompts (tests script the answers); returns the previous one. */
    setUserInput(ui: UserInput): UserInput;
    isAwsSdkLoaded(): boolean;
    /** Pretends the workspace is (false) or is not (true) in Restricted Mode; undefined: VS Code's answer. */
    setWorkspaceTrust(trusted: boolean | undefined): void;
    /** The KMS view: its provider (getChildren/getTreeItem), state and status-bar text. */
    readonly tree: KmsTreeTesting;
    /** Write faults of the file commands. */
    readonly editor: EditorEncryptionTesting;
    /** Decrypted views, backups removed, write faults of decrypted saves. */
    readonly decrypted: DecryptedEditingTesting;
    /** The open key-policy editors (what their webviews get is watched from test/, at the webview panel). */
    readonly policyEditor: PolicyEditors;
    /** Key usage and effective-access views: what each was given to show. */
    readonly insight: InsightTesting;
    /** The workspace secrets: index, view provider, re-key write faults. */
    readonly inventory: InventoryTesting;
  };
}

export function activate(context: vscode.ExtensionContext): KmsWorkbenchApi {
  const log = createLog(context);
  context.subscriptions.push(watchWorkspaceTrust());
  const connections = new ConnectionService(context.globalState, log);
  const clientSettings: KmsClientSettings = {
    env: process.env,
    userAgent: `kms-workbench/${String((context.extension.packageJSON as { version?: string }).version)}`,
    // Through UserInput like every prompt (`services` exists by the time a client asks).
    mfaCodeProvider: async (serial) => {
      const code = await services.ui.input({ title: `MFA code for ${serial}`, password: true });
      if (!code) throw new Error('No MFA code entered');
      return code;
    },
  };
  const kms = new KmsClientFactory(clientSettings);
  const cloudTrail = new CloudTrailClientFactory(clientSettings);
  const policyChecks = new PolicyServiceChecks({
    env: clientSettings.env,
    userAgent: clientSettings.userAgent,
    credentials: async (c) => (await kms.client(c)).config.credentials,
  });
  const keyChanged = new vscode.EventEmitter<KeyChange>();
  const trust = new AccountTrust(connections, kms, context.workspaceState, log);
  context.subscriptions.push(trust);
  context.subscriptions.push(
    connections,
    keyChanged,
    connections.onDidChange(() => kms.forget()),
    { dispose: () => kms.forget() },
  );
  context.subscriptions.push(
    connections.onDidChange(() => cloudTrail.forget()),
    { dispose: () => cloudTrail.forget() },
  );
  context.subscriptions.push(
    connections.onDidChange(() => policyChecks.forget()),
    { dispose: () => policyChecks.forget() },
  );

  const services: Services = {
    log,
    ui: new VscodeUserInput(),
    connections,
    kms,
    trust,
    keyNames: new KeyNames(() => connections.active()),
    onDidChangeKey: keyChanged.event,
    fireKeyChanged: (change) => keyChanged.fire(change),
    extensionUri: context.extensionUri,
  };

  registerCommands(context, services, foundationCommands());
  const policyEditor = registerPolicyEditor(context, services, policyChecks);
  registerKeyCommands(context, services);
  const insight = registerInsight(context, services, cloudTrail);
  // What the editor commands remember (recent keys, encryption contexts): one for the in-place commands and decrypted editors.
  const memory = new EncryptionMemory(context.globalState, context.workspaceState);
  const editor = registerEditorEncryption(context, services, memory);
  const decrypted = registerDecryptedEditing(context, services, memory);
  const tree = registerTree(context, services);
  services.keyNames.useDirectories((c) => tree.provider.directory(c));
  const inventory = registerInventory(context, services, {
    directoryFor: (c) => tree.provider.directory(c),
    keyUsageChanged: () => tree.provider.changed(),
  });

  if (context.extensionMode !== vscode.ExtensionMode.Test) return {};
  return {
    testing: {
      services,
      setUserInput: (ui) => {
        const previous = services.ui;
        services.ui = ui;
        return previous;
      },
      isAwsSdkLoaded,
      setWorkspaceTrust: setWorkspaceTrustOverride,
      tree,
      editor,
      decrypted,
      policyEditor,
      insight,
      inventory,
    },
  };
}

export function deactivate(): void {}
