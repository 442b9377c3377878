// When a recognised encrypted file is opened as it is (its ciphertext), the setting
// kmsWorkbench.openEncryptedFiles decides: `ask` (a notification offering "Open Decrypted"),
// `decrypted` (the decrypted editor replaces it) or `raw` (nothing). A CodeLens at the top of
// an encrypted text file offers "Open Decrypted" whatever the setting.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { encryptedFileSummary } from '../../core/envelope/ciphertextSummary';
import { keyName } from '../../core/kms/keyNames';
import type { KeyNames } from '../keyNames';
import { detectFileFormat, detectSops, isEncryptedFormat, MAX_SOPS_BYTES } from '../../core/envelope/detect';
import { describeFormat, inspectFile } from '../../core/envelope/fileEncryption';
import { inertLabel, inertMessage } from '../../core/text/inertText';
import type { Services } from '../services';
import { isWorkspaceTrusted } from '../trust/workspaceTrust';
import type { OpenDecryptedResult } from './decryptedCommands';

export type OpenEncryptedFiles = 'ask' | 'decrypted' | 'raw';
export const OPEN_ENCRYPTED_FILES: readonly OpenEncryptedFiles[] = ['ask', 'decrypted', 'raw'];

/** The setting for a file; in Restricted Mode `decrypted` counts as `ask`: opening a file never decrypts it by itself. */
function modeFor(file: vscode.Uri): OpenEncryptedFiles {
  const value = vscode.workspace.getConfiguration('kmsWorkbench', file).get<string>('openEncryptedFiles', 'ask');
  const mode = (OPEN_ENCRYPTED_FILES as readonly string[]).includes(value) ? (value as OpenEncryptedFiles) : 'ask';
  return mode === 'decrypted' && !isWorkspaceTrusted() ? 'ask' : mode;
}

/** Lines of a text document looked at for the CodeLens (a message header fits; a blob file is one line). */
const LENS_LINES = 1000;
/** How long a CodeLens waits for the connection's aliases before naming keys by id. */
const LENS_NAME_WAIT_MS = 1500;

export class EncryptedFileOpening implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** Files asked about in this session (asked once each). */
  private readonly asked = new Set<string>();
  private readonly handling = new Set<string>();
  /** What each tab showed when last looked at. */
  private readonly shows = new WeakMap<vscode.Tab, string | undefined>();

  /** `services.ui` is read at each prompt (a test may replace it). */
  constructor(
    private readonly services: Pick<Services, 'ui' | 'log'>,
    private readonly keyNames?: KeyNames,
  ) {
    this.disposables.push(
      vscode.window.tabGroups.onDidChangeTabs((e) => {
        // `changed` also fires for focus and dirty state: only a tab now showing another file counts (a reused preview tab).
        for (const tab of [...e.opened, ...e.changed.filter((t) => this.shows.get(t) !== inputKey(t))]) void this.opened(tab);
      }),
      vscode.languages.registerCodeLensProvider({ scheme: 'file' }, this),
    );
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (document.uri.scheme !== 'file') return [];
    const end = document.lineCount > LENS_LINES ? new vscode.Position(LENS_LINES, 0) : document.lineAt(document.lineCount - 1).range.end;
    const head = Buffer.from(document.getText(new vscode.Range(new vscode.Position(0, 0), end)), 'latin1');
    const size = document.lineCount > LENS_LINES ? Number.MAX_SAFE_INTEGER : head.length;
    let format = detectFileFormat(head, size, basename(document.uri.fsPath));
    if (format.kind === 'plaintext' && /ENC\[AES256_GCM,|sops/.test(head.toString('latin1'))) {
      // A SOPS file's metadata is at its end.
      const whole = Buffer.from(document.getText(), 'utf8');
      if (whole.length <= MAX_SOPS_BYTES) format = detectSops(whole, basename(document.uri.fsPath)) ?? format;
    }
    if (!isEncryptedFormat(format)) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    // Keys named as a person reads them (alias; account only when not the connection's); the Explorer's tooltip keeps the ARNs.
    const names = await this.keyNames?.activeContext(LENS_NAME_WAIT_MS);
    const name = (ref: string): string => keyName(ref, names);
    const keys =
      format.kind === 'message'
        ? (format.header?.encryptedDataKeys.filter((k) => k.providerId === 'aws-kms').map((k) => k.providerInfo) ?? [])
        : format.kind === 'sops'
          ? format.masterKeys
          : [];
    if (format.kind === 'sops') {
      return [
        new vscode.CodeLens(top, {
          title: '$(unlock) Open Decrypted',
          tooltip: "Edit the plaintext in memory; saving encrypts only the changed values again with the file's data key",
          command: 'kmsWorkbench.openDecrypted',
          arguments: [document.uri],
        }),
        new vscode.CodeLens(top, {
          title: inertLabel(
            `SOPS file (${format.store}) for ${keys.map((k) => (k.startsWith('arn:') ? name(k) : k)).join('; ') || 'no master key'}`,
          ),
          command: '',
        }),
      ];
    }
    return [
      new vscode.CodeLens(top, {
        title: '$(unlock) Open Decrypted',
        tooltip: 'Edit the plaintext in memory; saving encrypts it again with the same key and context',
        command: 'kmsWorkbench.openDecrypted',
        arguments: [document.uri],
      }),
      // The summary names the keys from the file's header: icon syntax in it stays text.
      new vscode.CodeLens(top, {
        title: inertLabel(encryptedFileSummary(describeFormat(format), format.kind === 'message' ? format.header : undefined, name)),
        command: '',
      }),
    ];
  }

  /** A tab was opened (or a preview tab now shows another file): is it a raw encrypted file? */
  private async opened(tab: vscode.Tab): Promise<void> {
    this.shows.set(tab, inputKey(tab));
    if (!(tab.input instanceof vscode.TabInputText) || tab.input.uri.scheme !== 'file') return;
    const file = tab.input.uri;
    const mode = modeFor(file);
    if (mode === 'raw' || this.handling.has(file.fsPath) || (mode === 'ask' && this.asked.has(file.fsPath))) return;
    this.handling.add(file.fsPath);
    try {
      const inspection = await inspectFile(file.fsPath).catch(() => undefined);
      if (!inspection || !isEncryptedFormat(inspection.format)) return;
      if (mode === 'decrypted') {
        await this.openInstead(file);
        return;
      }
      this.asked.add(file.fsPath);
      const choice = await this.services.ui.choose(
        inertMessage(
          `${basename(file.fsPath)} is encrypted with AWS KMS: ${describeFormat(inspection.format)}. ` +
            'Open it decrypted? The plaintext is kept in memory only, and saving encrypts it again.',
        ),
        ['Open Decrypted', 'Always', 'Never'],
      );
      if (choice === 'Always' || choice === 'Never') {
        await vscode.workspace
          .getConfiguration('kmsWorkbench')
          .update('openEncryptedFiles', choice === 'Always' ? 'decrypted' : 'raw', vscode.ConfigurationTarget.Global);
      }
      if (choice === 'Open Decrypted' || choice === 'Always') await this.openInstead(file);
    } catch (error) {
      this.services.log.error(`Could not check whether ${file.fsPath} is encrypted`, error);
    } finally {
      this.handling.delete(file.fsPath);
    }
  }

  /** Opens the decrypted editor, then closes the raw one (unless it has unsaved changes). */
  private async openInstead(file: vscode.Uri): Promise<void> {
    const result = await vscode.commands.executeCommand<OpenDecryptedResult | undefined>('kmsWorkbench.openDecrypted', file);
    if (!result) return;
    for (const group of vscode.window.tabGroups.all) {
      for (const tab of group.tabs) {
        if (tab.input instanceof vscode.TabInputText && tab.input.uri.toString() === file.toString() && !tab.isDirty)
          await vscode.window.tabGroups.close(tab, true);
      }
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function inputKey(tab: vscode.Tab): string | undefined {
  return tab.input instanceof vscode.TabInputText ? tab.input.uri.toString() : undefined;
}
