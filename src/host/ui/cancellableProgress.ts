// Progress with Cancel for anything that calls KMS: the status bar shows the work once it
// lasts long enough to be seen, and a notification with a Cancel button appears when it takes
// longer than a moment (sooner for work known to be long). Cancelling aborts the KMS requests
// in flight through the AbortSignal handed to the task, and the command ends as cancelled
// (silently).
//
// What the window draws costs the machine's cores, which the work itself needs (measured with
// a 64 MiB file in code-server: the window's process used 30-90 ms of CPU during a 100-250 ms
// encrypt). So nothing is drawn for work that ends within WINDOW_AFTER_MS (it would only
// flicker), and the notification is updated at most every REPORT_EVERY_MS (a 64 MiB file
// reported per chunk drew 64 times).
import * as vscode from 'vscode';
import { UserCancelledError } from './userInput';

/** Work that is still running after this long gets a notification with Cancel. */
const NOTIFY_AFTER_MS = 1_000;
/**
 * Work known to be long (large files): the notification comes sooner, but not at once: most
 * such work (64 MiB in about 0.1-0.3 s) is done before a notification could be read.
 */
const NOTIFY_LONG_WORK_AFTER_MS = 300;
/** Work still running after this long shows in the status bar. */
const WINDOW_AFTER_MS = 200;
/** Least time between two updates of the notification. */
const REPORT_EVERY_MS = 100;

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
  /** `longWork`: the notification comes after NOTIFY_LONG_WORK_AFTER_MS instead of NOTIFY_AFTER_MS. */
  options: { readonly longWork?: boolean } = {},
): Promise<T> {
  const controller = new AbortController();
  let finished = false;
  let notification: vscode.Progress<ProgressReport> | undefined;
  // What the task reported so far, and what the notification shows of it.
  let percent = 0;
  let message: string | undefined;
  let shown = { percent: 0, message: undefined as string | undefined };
  let lastUpdate = 0;
  let updateTimer: NodeJS.Timeout | undefined;
  const update = (): void => {
    updateTimer = undefined;
    if (!notification || finished) return;
    if (percent === shown.percent && message === shown.message) return;
    notification.report({ increment: percent - shown.percent, ...(message !== shown.message ? { message } : {}) });
    shown = { percent, message };
    lastUpdate = Date.now();
  };
  const report = (value: ProgressReport): void => {
    percent += value.increment ?? 0;
    if (value.message !== undefined) message = value.message;
    if (cancelWhen?.(title, percent)) controller.abort();
    if (!notification || updateTimer) return;
    const wait = lastUpdate + REPORT_EVERY_MS - Date.now();
    if (wait <= 0) update();
    else updateTimer = setTimeout(update, wait);
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
        update();
        return done.finally(() => {
          cancel.dispose();
        });
      },
    );
  };
  const timer = setTimeout(notify, options.longWork ? NOTIFY_LONG_WORK_AFTER_MS : NOTIFY_AFTER_MS);
  // The status bar's indicator, once the work is long enough to be seen.
  const windowTimer = setTimeout(() => {
    if (!finished) void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `KMS: ${title}` }, () => done);
  }, WINDOW_AFTER_MS);
  try {
    return await task(controller.signal, report);
  } catch (error) {
    if (controller.signal.aborted) throw new UserCancelledError();
    throw error;
  } finally {
    finished = true;
    clearTimeout(timer);
    clearTimeout(windowTimer);
    clearTimeout(updateTimer);
    settle();
  }
}
