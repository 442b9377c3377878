/** A choice in a pick list. `value` is what the caller gets back. */
export interface PickItem<T> {
  readonly label: string;
  readonly description?: string;
  readonly detail?: string;
  readonly value: T;
  readonly picked?: boolean;
  /** Shown as a separator above this item. */
  readonly group?: string;
}

export interface StepOptions {
  readonly title?: string;
  readonly placeholder?: string;
  readonly step?: number;
  readonly totalSteps?: number;
}

export interface InputOptions extends StepOptions {
  readonly prompt?: string;
  readonly value?: string;
  readonly password?: boolean;
  /** Returns a message when the value is not acceptable. */
  readonly validate?: (value: string) => string | undefined;
}

export interface ConfirmOptions {
  readonly detail?: string;
  /** The label of the button that goes ahead, e.g. "Schedule deletion". */
  readonly confirmLabel: string;
  readonly modal?: boolean;
  /** `warning` (the default): the action is risky. `info`: a summary to check before going ahead (Create Key). */
  readonly severity?: 'info' | 'warning';
  /**
   * A second, safer way out offered beside the confirm button (e.g. "Disable Key Instead"):
   * choosing it runs `run`, and confirm then throws UserCancelledError (the original action is not taken).
   */
  readonly alternative?: { readonly label: string; readonly run: () => Promise<void> };
}

/**
 * Every prompt the extension shows goes through this interface, so tests can script the
 * answers (test/support/scriptedUserInput.ts) and commands stay plain functions. Every method throws
 * UserCancelledError when the person backs out.
 */
export interface UserInput {
  pick<T>(items: readonly PickItem<T>[] | Promise<readonly PickItem<T>[]>, options: StepOptions): Promise<T>;
  pickMany<T>(items: readonly PickItem<T>[] | Promise<readonly PickItem<T>[]>, options: StepOptions): Promise<T[]>;
  input(options: InputOptions): Promise<string>;
  /** Resolves when confirmed; throws UserCancelledError otherwise. */
  confirm(message: string, options: ConfirmOptions): Promise<void>;
  /** Shows a message with buttons and returns the chosen one (undefined when dismissed). */
  choose<T extends string>(
    message: string,
    buttons: readonly T[],
    options?: { modal?: boolean; detail?: string; severity?: 'info' | 'warning' },
  ): Promise<T | undefined>;
}

export class UserCancelledError extends Error {
  override readonly name = 'UserCancelledError';
  constructor() {
    super('Cancelled');
  }
}

/**
 * A cancel from our prompts (also one made by another bundle's copy of UserCancelledError,
 * such as a test's scripted input, hence the name check) or VS Code's CancellationError.
 */
export function isCancellation(error: unknown): boolean {
  return (
    error instanceof UserCancelledError || (error instanceof Error && (error.name === 'UserCancelledError' || error.name === 'Canceled'))
  );
}
