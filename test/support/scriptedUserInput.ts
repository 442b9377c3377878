import {
  type ConfirmOptions,
  type InputOptions,
  type PickItem,
  type StepOptions,
  type UserInput,
  UserCancelledError,
} from '../../src/host/ui/userInput';

/**
 * One scripted answer: for a pick, a label (exact string or RegExp); for an input, the
 * text; for a confirm, true/false; `CANCEL` backs out of whatever prompt comes.
 */
export type ScriptedAnswer = string | RegExp | boolean | readonly (string | RegExp)[] | typeof CANCEL;
export const CANCEL = Symbol('cancel');

export interface PromptRecord {
  readonly kind: 'pick' | 'pickMany' | 'input' | 'confirm' | 'choose';
  readonly title?: string;
  readonly message?: string;
  readonly labels?: readonly string[];
  readonly validationMessage?: string;
  /** A confirm's detail text. */
  readonly detail?: string;
  /** A multi-step prompt's "Step n of m". */
  readonly step?: number;
  readonly totalSteps?: number;
  /** A confirm's dialog kind (warning unless the command says info). */
  readonly severity?: 'info' | 'warning';
}

/** A UserInput that answers from a list, in order, and records what it was asked. */
export class ScriptedUserInput implements UserInput {
  readonly asked: PromptRecord[] = [];
  private readonly answers: ScriptedAnswer[];

  constructor(answers: readonly ScriptedAnswer[]) {
    this.answers = [...answers];
  }

  get remaining(): number {
    return this.answers.length;
  }

  async pick<T>(itemsOrPromise: readonly PickItem<T>[] | Promise<readonly PickItem<T>[]>, options: StepOptions): Promise<T> {
    const items = await itemsOrPromise;
    const labels = items.map((i) => i.label);
    this.asked.push({
      kind: 'pick',
      title: options.title ?? options.placeholder,
      labels,
      step: options.step,
      totalSteps: options.totalSteps,
    });
    const answer = this.next('pick', options.title);
    const found = items.find((i) => matches(i.label, answer as string | RegExp) || matches(i.description ?? '', answer as string | RegExp));
    if (!found) throw new Error(`Scripted answer ${String(answer)} matches no item of "${options.title ?? ''}": ${labels.join(' | ')}`);
    return found.value;
  }

  async pickMany<T>(itemsOrPromise: readonly PickItem<T>[] | Promise<readonly PickItem<T>[]>, options: StepOptions): Promise<T[]> {
    const items = await itemsOrPromise;
    this.asked.push({ kind: 'pickMany', title: options.title, labels: items.map((i) => i.label) });
    const answer = this.next('pickMany', options.title);
    const wanted = Array.isArray(answer) ? (answer as (string | RegExp)[]) : [answer as string | RegExp];
    return items.filter((i) => wanted.some((w) => matches(i.label, w))).map((i) => i.value);
  }

  input(options: InputOptions): Promise<string> {
    const answer = this.next('input', options.title ?? options.prompt);
    const value = String(answer);
    const problem = options.validate?.(value);
    this.asked.push({
      kind: 'input',
      title: options.title ?? options.prompt,
      validationMessage: problem,
      step: options.step,
      totalSteps: options.totalSteps,
    });
    if (problem) return Promise.reject(new Error(`Scripted input "${value}" was refused: ${problem}`));
    return Promise.resolve(value);
  }

  async confirm(message: string, options: ConfirmOptions): Promise<void> {
    this.asked.push({
      kind: 'confirm',
      message,
      detail: options.detail,
      severity: options.severity ?? 'warning',
      labels: options.alternative ? [options.confirmLabel, options.alternative.label] : [options.confirmLabel],
    });
    const answer = this.next('confirm', message);
    if (
      options.alternative &&
      typeof answer !== 'boolean' &&
      typeof answer !== 'symbol' &&
      !Array.isArray(answer) &&
      matches(options.alternative.label, answer as string | RegExp)
    ) {
      await options.alternative.run();
      throw new UserCancelledError();
    }
    if (answer === true) return Promise.resolve();
    if (typeof answer === 'string' && message.length > 0) return Promise.resolve();
    return Promise.reject(new UserCancelledError());
  }

  choose<T extends string>(message: string, buttons: readonly T[]): Promise<T | undefined> {
    this.asked.push({ kind: 'choose', message, labels: buttons });
    const answer = this.next('choose', message);
    if (answer === false) return Promise.resolve(undefined);
    return Promise.resolve(buttons.find((b) => matches(b, answer as string | RegExp)));
  }

  private next(kind: string, title: string | undefined): ScriptedAnswer {
    if (this.answers.length === 0) throw new Error(`No scripted answer left for ${kind} "${title ?? ''}"`);
    const answer = this.answers.shift() as ScriptedAnswer;
    if (answer === CANCEL) throw new UserCancelledError();
    return answer;
  }
}

function matches(label: string, pattern: string | RegExp): boolean {
  return typeof pattern === 'string' ? label === pattern : pattern.test(label);
}
