// Helpers of the key lifecycle suite: running commands with argument objects, scripting the
// prompts, and looking at what the emulator holds through the extension's own gateway.
import * as assert from 'node:assert/strict';
import type { KeyMetadata } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import type { Connection } from '../../../src/core/aws/connection';
import type { KmsGateway } from '../../../src/core/kms/gateway';
import type { KmsWorkbenchApi } from '../../../src/extension';
import type { KeyChange, Services } from '../../../src/host/services';
import type { KeyTarget, Target } from '../../../src/host/targets';
import { ScriptedUserInput, type ScriptedAnswer } from '../../support/scriptedUserInput';
import type { ConfirmOptions, InputOptions, UserInput } from '../../../src/host/ui/userInput';
import { activeExtension } from '../util/env';

export type Testing = NonNullable<KmsWorkbenchApi['testing']>;

export async function testing(): Promise<Testing> {
  const ext = await activeExtension();
  const api = ext.exports as KmsWorkbenchApi;
  if (!api.testing) throw new Error('The extension exposes no testing API: is the host in test mode?');
  return api.testing;
}

export interface Env {
  readonly testing: Testing;
  readonly services: Services;
  readonly connection: Connection;
  readonly gateway: KmsGateway;
  /** Key changes the extension announced (what the tree refreshes on). */
  readonly changes: KeyChange[];
  dispose(): void;
}

export async function lifecycleEnv(): Promise<Env> {
  const t = await testing();
  const connection = await t.services.connections.active();
  const changes: KeyChange[] = [];
  const sub = t.services.onDidChangeKey((c: KeyChange) => {
    changes.push(c);
  });
  const dispose = (): void => {
    sub.dispose();
  };
  return { testing: t, services: t.services, connection, gateway: t.services.kms.gateway(connection), changes, dispose };
}

/** Runs a KMS Workbench command (id without the prefix) with an argument object. */
export function run<T>(command: string, arg?: unknown): Thenable<T> {
  return vscode.commands.executeCommand<T>(`kmsWorkbench.${command}`, arg);
}

/** Asserts the command refuses, with "Failed to …: <reason>" matching `reason`. */
export async function refused(command: string, arg: unknown, reason: RegExp): Promise<Error> {
  let caught: unknown;
  try {
    await run(command, arg);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof Error, `${command} ${JSON.stringify(arg)} did not fail`);
  assert.match(caught.message, /^Failed to /, caught.message);
  assert.match(caught.message, reason);
  return caught;
}

/** What a prompt showed beyond its message: the detail of confirmations and choices. */
export interface Shown {
  readonly kind: 'confirm' | 'choose';
  readonly message: string;
  readonly detail?: string;
}

/**
 * ScriptedUserInput (from this bundle: the extension only needs the UserInput interface)
 * that also records the details of confirmations and choices.
 */
class RecordingInput extends ScriptedUserInput {
  readonly shown: Shown[] = [];
  /** Titles of the inputs asked in a password box. */
  readonly passwordPrompts: string[] = [];
  override input(options: InputOptions): Promise<string> {
    if (options.password) this.passwordPrompts.push(options.title ?? options.prompt ?? '');
    return super.input(options);
  }
  override confirm(message: string, options: ConfirmOptions): Promise<void> {
    this.shown.push({ kind: 'confirm', message, detail: options.detail });
    return super.confirm(message, options);
  }
  override choose<T extends string>(message: string, buttons: readonly T[], options?: { detail?: string }): Promise<T | undefined> {
    this.shown.push({ kind: 'choose', message, detail: options?.detail });
    return super.choose(message, buttons);
  }
}

/**
 * Runs `fn` with the prompts answered from `answers`, restoring the real prompts after.
 * Commands run from a node or the palette report failures in a message and resolve
 * undefined (only argument objects get a rejection), so `result` is undefined then.
 */
export async function withAnswers<T>(
  env: Env,
  answers: readonly ScriptedAnswer[],
  fn: () => Thenable<T> | Promise<T>,
): Promise<{ result: T; ui: RecordingInput }> {
  const ui = new RecordingInput(answers);
  const previous: UserInput = env.testing.setUserInput(ui);
  try {
    const result = await fn();
    return { result, ui };
  } finally {
    env.testing.setUserInput(previous);
  }
}

/** A stand-in tree node: like the tree's nodes, a class instance exposing `.target`. */
export class NodeStandIn {
  constructor(readonly target: Target) {}
}

export function keyNode(env: Env, keyId: string, aliases: string[] = []): NodeStandIn {
  const target: KeyTarget = { kind: 'key', connection: env.connection, keyId, aliases };
  return new NodeStandIn(target);
}

let counter = 0;
/** A fresh alias name, unique in this run. */
export function uniqueAlias(prefix = 'it'): string {
  return `alias/${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

/** Creates a key through the command (symmetric unless the arguments say otherwise). */
export function createKey(arg: Record<string, unknown> = {}): Thenable<KeyMetadata> {
  return run<KeyMetadata>('createKey', arg);
}

export async function stateOf(env: Env, keyId: string): Promise<string | undefined> {
  return (await env.gateway.describeKey(keyId)).KeyState;
}

export async function aliasesOf(env: Env, keyId: string): Promise<string[]> {
  const names: string[] = [];
  for await (const a of env.gateway.listAliases(keyId)) if (a.AliasName) names.push(a.AliasName);
  return names.sort();
}

/** Whether the extension announced a change of `keyId` (the tree refreshes that node on it). */
export function announced(env: Env, keyId: string | undefined): boolean {
  return env.changes.some((c) => c.connectionId === env.connection.id && c.keyId === keyId);
}

/** The text of the active editor (the read-only outputs open there). */
export function activeText(): { text: string; uri: vscode.Uri } {
  const editor = vscode.window.activeTextEditor;
  assert.ok(editor, 'no active editor');
  return { text: editor.document.getText(), uri: editor.document.uri };
}

export async function closeEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
