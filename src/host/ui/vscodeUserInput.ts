import * as vscode from 'vscode';
import { inertMessage, visibleControls } from '../../core/text/inertText';
import { type ConfirmOptions, type InputOptions, type PickItem, type StepOptions, type UserInput, UserCancelledError } from './userInput';

interface ValueItem<T> extends vscode.QuickPickItem {
  value?: T;
}

function toQuickPickItems<T>(items: readonly PickItem<T>[]): ValueItem<T>[] {
  const out: ValueItem<T>[] = [];
  let group: string | undefined;
  for (const item of items) {
    if (item.group && item.group !== group) {
      out.push({ label: item.group, kind: vscode.QuickPickItemKind.Separator });
      group = item.group;
    }
    // Controls in any item (names and descriptions from servers) are shown, never acted on.
    out.push({
      label: visibleControls(item.label),
      description: item.description && visibleControls(item.description),
      detail: item.detail && visibleControls(item.detail),
      picked: item.picked,
      value: item.value,
    });
  }
  return out;
}

/** UserInput on VS Code's QuickPick, InputBox and message dialogs. */
export class VscodeUserInput implements UserInput {
  async pick<T>(items: readonly PickItem<T>[] | Promise<readonly PickItem<T>[]>, options: StepOptions): Promise<T> {
    const chosen = await this.showPick(items, options, false);
    return chosen[0];
  }

  pickMany<T>(items: readonly PickItem<T>[] | Promise<readonly PickItem<T>[]>, options: StepOptions): Promise<T[]> {
    return this.showPick(items, options, true);
  }

  private showPick<T>(items: readonly PickItem<T>[] | Promise<readonly PickItem<T>[]>, options: StepOptions, many: boolean): Promise<T[]> {
    const qp = vscode.window.createQuickPick<ValueItem<T>>();
    qp.title = options.title;
    qp.placeholder = options.placeholder;
    qp.step = options.step;
    qp.totalSteps = options.totalSteps;
    qp.canSelectMany = many;
    qp.matchOnDescription = true;
    qp.matchOnDetail = true;
    qp.ignoreFocusOut = true;
    qp.busy = true;
    return new Promise<T[]>((resolve, reject) => {
      let done = false;
      const finish = (fn: () => void): void => {
        if (done) return;
        done = true;
        fn();
        qp.dispose();
      };
      qp.onDidAccept(() => {
        const selected = (many ? qp.selectedItems : qp.activeItems).filter((i) => i.kind !== vscode.QuickPickItemKind.Separator);
        if (!many && selected.length === 0) return;
        finish(() => resolve(selected.map((i) => i.value as T)));
      });
      qp.onDidHide(() => finish(() => reject(new UserCancelledError())));
      Promise.resolve(items).then(
        (list) => {
          const qpItems = toQuickPickItems(list);
          qp.items = qpItems;
          if (many) qp.selectedItems = qpItems.filter((i) => i.picked);
          qp.busy = false;
        },
        (error: unknown) => finish(() => reject(error instanceof Error ? error : new Error(String(error)))),
      );
      qp.show();
    });
  }

  async input(options: InputOptions): Promise<string> {
    const value = await vscode.window.showInputBox({
      title: options.title,
      prompt: options.prompt,
      value: options.value,
      placeHolder: options.placeholder,
      password: options.password,
      ignoreFocusOut: true,
      validateInput: options.validate ? (v) => options.validate?.(v) ?? null : undefined,
    });
    if (value === undefined) throw new UserCancelledError();
    return value;
  }

  async confirm(message: string, options: ConfirmOptions): Promise<void> {
    const buttons = options.alternative ? [options.confirmLabel, options.alternative.label] : [options.confirmLabel];
    const show = options.severity === 'info' ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
    const answer = await show(inert(message), { modal: options.modal ?? true, detail: inertDetail(options.detail) }, ...buttons);
    if (options.alternative && answer === options.alternative.label) {
      await options.alternative.run();
      throw new UserCancelledError();
    }
    if (answer !== options.confirmLabel) throw new UserCancelledError();
  }

  async choose<T extends string>(
    message: string,
    buttons: readonly T[],
    options: { modal?: boolean; detail?: string; severity?: 'info' | 'warning' } = {},
  ): Promise<T | undefined> {
    const show = options.severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    return show(inert(message), { modal: options.modal ?? false, detail: inertDetail(options.detail) }, ...buttons);
  }
}

/** Messages and details quote names, descriptions and errors from servers and files: shown as text. */
function inert(message: string): string {
  return inertMessage(message, { keepLineBreaks: true });
}

function inertDetail(detail: string | undefined): string | undefined {
  return detail === undefined ? undefined : inertMessage(detail, { keepLineBreaks: true });
}
