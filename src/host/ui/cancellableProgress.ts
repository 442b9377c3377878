// Progress with Cancel for anything that calls KMS: the status bar shows the work at once,
// and a notification with a Cancel button appears when it takes longer than a moment (or at
// once, for work known to be long). Cancelling aborts the KMS requests in flight through the
// AbortSignal handed to the task, and the command ends as cancelled (silently).
import * as vscode from 'vscode';
import { UserCancelledError } from './userInput';

/** Work that is still running after this long gets a notification with Cancel. */
const NOTIFY_AFTER_MS = 1_000;

export interface ProgressReport {
  readonly increment?: number;
  readonly message?: string;
}

/**
 * Test seam (set only through the extension's testing API): called with every progress report
 * (a share in percent so far); returning true presses Cancel, as a person would.
 */
let cancelWhen: ((title: string, percent: number) => boolean) | undefined;

export function setTestCancel(predicate: ((title: string, percent: number) => boolean) | undefined): void {
  cancelWhen = predicate;
}

export async function withCancellableProgress<T>(
  title: string,
  task: (signal: AbortSignal, report: (value: ProgressReport) => void) => Promise<T>,
  options: { readonly notifyAtOnce?: boolean } = {},
): Promise<T> {
  const controller = new AbortController();
  let finished = false;
  let notification: vscode.Progress<ProgressReport> | undefined;
  const pending: ProgressReport[] = [];
  let percent = 0;
  const report = (value: ProgressReport): void => {
    if (notification) notification.report(value);
    else pending.push(value);
    percent += value.increment ?? 0;
    if (cancelWhen?.(title, percent)) controller.abort();
  };
  let settle: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (settle = resolve));
  const notify = (): void => {
    if (finished) return;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `KMS: ${title}`, cancellable: true },
      (progress, token) => {
        const cancel = token.onCancellationRequested(() => controller.abort());
        notification = progress;
        for (const value of pending.splice(0)) progress.report(value);
        return done.finally(() => {
          cancel.dispose();
        });
      },
    );
  };
  const timer = setTimeout(notify, options.notifyAtOnce ? 0 : NOTIFY_AFTER_MS);
  try {
    return await vscode.window.withProgress<T>({ location: vscode.ProgressLocation.Window, title: `KMS: ${title}` }, async () => {
      try {
        return await task(controller.signal, report);
      } catch (error) {
        if (controller.signal.aborted) throw new UserCancelledError();
        throw error;
      }
    });
  } finally {
    finished = true;
    clearTimeout(timer);
    settle();
  }
}
