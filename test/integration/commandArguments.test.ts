// The command contract: every declared command takes an optional argument object, and a
// bad one is refused with a sentence naming the field, before anything is asked or changed.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EmulatorControl } from '../emulator/control';
import { activeExtension, emulatorUrl, manifestOf } from './util/env';

const READ_ONLY_OPERATIONS = /^(Describe|List|Get)/;

async function settle<T>(
  promise: Thenable<T>,
  ms: number,
): Promise<{ state: 'resolved' | 'rejected' | 'pending'; value?: T; error?: Error }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ state: 'pending' }>((resolve) => (timer = setTimeout(() => resolve({ state: 'pending' }), ms)));
  const settled = Promise.resolve(promise).then(
    (value) => ({ state: 'resolved' as const, value }),
    (error: unknown) => ({ state: 'rejected' as const, error: error instanceof Error ? error : new Error(String(error)) }),
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('command arguments', () => {
  it('every command refuses an unknown field by name and makes no change in KMS', async function () {
    this.timeout(240_000);
    const manifest = manifestOf(await activeExtension());
    const control = new EmulatorControl(emulatorUrl());
    const ids = (manifest.contributes?.commands ?? []).map((c) => c.command);
    const problems: string[] = [];
    for (const id of ids) {
      await control.resetCalls();
      const outcome = await settle(vscode.commands.executeCommand(id, { notAnArgument: 1 }), 5_000);
      if (outcome.state === 'pending') {
        problems.push(`${id}: did not answer within 5 s (it prompted instead of checking its argument object?)`);
        await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
        await vscode.commands.executeCommand('workbench.action.closeMessages');
      } else if (outcome.state === 'resolved') {
        problems.push(`${id}: accepted an unknown field`);
      } else if (!/notAnArgument/.test(outcome.error?.message ?? '') || !outcome.error?.message.startsWith('Failed to ')) {
        problems.push(`${id}: refused with an unclear message: ${outcome.error?.message ?? ''}`);
      }
      const calls = await control.calls();
      const changes = Object.entries(calls).filter(([op, n]) => n > 0 && !READ_ONLY_OPERATIONS.test(op));
      if (changes.length) problems.push(`${id}: called ${changes.map(([op]) => op).join(', ')} despite the bad argument`);
    }
    assert.deepEqual(problems, []);
  });

  it('a wrongly typed field is named with what it should be', async () => {
    await activeExtension();
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('kmsWorkbench.describeKey', { keyId: 42 })),
      /^Error: Failed to describe the key: kmsWorkbench\.describeKey: "keyId" must be a key id, key ARN, alias name or alias ARN, not number 42\.$/,
    );
  });

  it('returns its result to a scripted caller', async () => {
    await activeExtension();
    const before = await vscode.commands
      .executeCommand<{ KeyId?: string } | undefined>('kmsWorkbench.describeKey', { keyId: 'alias/does-not-exist' })
      .then(
        () => 'resolved',
        (e: Error) => e.message,
      );
    assert.match(String(before), /Failed to describe the key: Not found in us-east-1/);
  });
});
