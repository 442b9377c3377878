// Helpers of the encryption suite: the extension's test API, commands run with argument
// objects, scripted prompts that also record what dialogs showed, files in a fresh folder
// of the workspace, and the emulator's control API.
import * as assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { KmsGateway } from '../../../src/core/kms/gateway';
import type { KmsWorkbenchApi } from '../../../src/extension';
import { ScriptedUserInput, type ScriptedAnswer } from '../../support/scriptedUserInput';
import type { InputOptions, UserInput } from '../../../src/host/ui/userInput';
import { EmulatorControl } from '../../emulator/control';
import { activeExtension, emulatorUrl } from '../util/env';

export type Testing = NonNullable<KmsWorkbenchApi['testing']>;

export async function testing(): Promise<Testing | undefined> {
  const ext = await activeExtension();
  return (ext.exports as KmsWorkbenchApi).testing;
}

export interface EncryptionEnv {
  readonly testing: Testing;
  readonly gateway: KmsGateway;
  readonly control: EmulatorControl;
  /** A folder of its own in the opened workspace. */
  readonly folder: string;
  /** A new enabled symmetric key with this alias; returns its ARN. */
  createKey(alias?: string): Promise<string>;
}

let folders = 0;

export async function encryptionEnv(t: Testing): Promise<EncryptionEnv> {
  const connection = await t.services.connections.active();
  const gateway = t.services.kms.gateway(connection);
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!root) throw new Error('The integration run opened no workspace folder.');
  const folder = join(root, `encryption-${Date.now().toString(36)}-${folders++}`);
  mkdirSync(folder, { recursive: true });
  return {
    testing: t,
    gateway,
    control: new EmulatorControl(emulatorUrl()),
    folder,
    async createKey(alias) {
      const meta = await gateway.createKey({ Description: 'encryption integration test' });
      if (alias) await gateway.createAlias(alias, meta.KeyId!);
      return meta.Arn!;
    },
  };
}

/** Runs a KMS Workbench command (id without the prefix) with arguments. */
export function run<T>(command: string, ...args: unknown[]): Thenable<T> {
  return vscode.commands.executeCommand<T>(`kmsWorkbench.${command}`, ...args);
}

/** Asserts the command (with an argument object) fails with "Failed to …: <reason>". */
export async function refused(command: string, arg: unknown, reason: RegExp): Promise<string> {
  let caught: unknown;
  try {
    await run(command, arg);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof Error, `${command} did not fail`);
  assert.match(caught.message, /^Failed to /, caught.message);
  assert.match(caught.message, reason);
  return caught.message;
}

export interface Shown {
  readonly message: string;
  readonly detail?: string;
  readonly buttons?: readonly string[];
}

/** ScriptedUserInput that also records the details of dialogs and the prompts of inputs. */
export class RecordingInput extends ScriptedUserInput {
  readonly shown: Shown[] = [];
  readonly prompts: string[] = [];
  override choose<T extends string>(message: string, buttons: readonly T[], options?: { detail?: string }): Promise<T | undefined> {
    this.shown.push({ message, detail: options?.detail, buttons });
    return super.choose(message, buttons);
  }
  override input(options: InputOptions): Promise<string> {
    this.prompts.push(`${options.prompt ?? ''} [${options.value ?? ''}]`);
    return super.input(options);
  }
}

/** Runs `fn` with the prompts answered from `answers`, then restores the real prompts. */
export async function withAnswers<T>(
  t: Testing,
  answers: readonly ScriptedAnswer[],
  fn: () => Thenable<T> | Promise<T>,
): Promise<{ result: T; ui: RecordingInput }> {
  const ui = new RecordingInput(answers);
  const previous: UserInput = t.setUserInput(ui);
  try {
    const result = await fn();
    assert.equal(ui.remaining, 0, `unused scripted answers; asked: ${JSON.stringify(ui.asked)}`);
    return { result, ui };
  } finally {
    t.setUserInput(previous);
  }
}

/** Asserts `path` holds `content` and its folder holds no temporary file of an in-place write. */
export function unchanged(path: string, content: Buffer): void {
  assert.ok(readFileSync(path).equals(content), `${path} is byte-identical`);
  noStrayFiles(join(path, '..'));
}

export function noStrayFiles(folder: string): void {
  const stray = readdirSync(folder).filter((n) => /\.kmswb-([0-9a-f]{16}\.tmp|journal)$/.test(n));
  assert.deepEqual(stray, [], 'no temporary file or journal is left');
}

/** Opens `path` in an editor and selects `ranges` ([line, startChar, line, endChar]). */
export async function openWithSelections(uri: vscode.Uri, ranges: readonly [number, number, number, number][]): Promise<vscode.TextEditor> {
  const editor = await vscode.window.showTextDocument(uri, { preview: false });
  editor.selections = ranges.map(([l1, c1, l2, c2]) => new vscode.Selection(l1, c1, l2, c2));
  return editor;
}

export async function closeAllEditors(): Promise<void> {
  for (const doc of vscode.workspace.textDocuments) {
    if (doc.isDirty && doc.uri.scheme === 'file') {
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
