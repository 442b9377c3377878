import { ArgumentError } from '../../core/args/argumentError';
import { type Args, isPlainObject } from '../../core/args/readArgs';
import type { Checked } from '../../core/keyOps/checked';
import type { InputOptions, UserInput } from '../ui/userInput';

/**
 * How the lifecycle commands read their argument object. An argument object is the whole
 * request: its fields replace the prompts, optional fields left out take their documented
 * defaults, and only a missing key (or alias, grant…) is picked. A call without one (the
 * palette, a tree node) asks for everything.
 */

/** Whether the command was called with an argument object (a script, a keybinding, a test). */
export function isScripted(arg: unknown): boolean {
  return isPlainObject(arg);
}

/**
 * Destructive commands called with an argument object go ahead only when it holds
 * `confirm: true`. Returns true when the arguments confirmed it; false when the person is
 * to be asked (no argument object).
 */
export function confirmedByArgs(command: string, arg: unknown, args: Args, what: string): boolean {
  if (!isScripted(arg)) return false;
  if (args.boolean('confirm') === true) return true;
  throw new ArgumentError(`${command} ${what}: add "confirm": true to the argument object to go ahead.`);
}

/** The value of a check of an argument field, or an ArgumentError naming the field. */
export function argValue<T>(command: string, field: string, checked: Checked<T>): T {
  if (checked.ok) return checked.value;
  throw new ArgumentError(`${command}: "${field}": ${checked.problem}`);
}

/** An input box whose text must pass `check`; the check's sentence shows while typing. */
export async function inputChecked<T>(ui: UserInput, options: InputOptions, check: (text: string) => Checked<T>): Promise<T> {
  const text = await ui.input({
    ...options,
    validate: (v) => {
      const c = check(v);
      return c.ok ? undefined : c.problem;
    },
  });
  const checked = check(text);
  if (!checked.ok) throw new ArgumentError(checked.problem);
  return checked.value;
}
