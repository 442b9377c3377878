import { ArgumentError } from './argumentError';

/**
 * Reading a command's optional argument object: every field a command takes is checked
 * here, so a script that passes the wrong shape gets a sentence naming the field and
 * what it should be, before anything is changed.
 */
export class Args {
  private constructor(
    private readonly command: string,
    private readonly values: Readonly<Record<string, unknown>>,
  ) {}

  /**
   * `raw` is whatever the command was invoked with. A plain object is an argument object;
   * anything else (a tree node, a Uri, undefined) yields an empty one.
   */
  static from(command: string, raw: unknown, allowed: readonly string[]): Args {
    if (!isPlainObject(raw)) return new Args(command, {});
    const unknown = Object.keys(raw).filter((k) => !allowed.includes(k));
    if (unknown.length) {
      throw new ArgumentError(
        `${command} does not take ${unknown.map((k) => `"${k}"`).join(', ')}. It takes: ${allowed.length ? allowed.join(', ') : 'no arguments'}.`,
      );
    }
    return new Args(command, raw);
  }

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  string(name: string, what = 'a string'): string | undefined {
    const v = this.values[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.trim() === '') throw this.error(name, what, v);
    return v;
  }

  number(name: string, what: string, range?: { min: number; max: number }): number | undefined {
    const v = this.values[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw this.error(name, what, v);
    if (range && (v < range.min || v > range.max)) {
      throw new ArgumentError(`${this.command}: "${name}" must be from ${range.min} to ${range.max}, not ${v}.`);
    }
    return v;
  }

  boolean(name: string): boolean | undefined {
    const v = this.values[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw this.error(name, 'true or false', v);
    return v;
  }

  oneOf<T extends string>(name: string, choices: readonly T[]): T | undefined {
    const v = this.values[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) throw this.error(name, `one of ${choices.join(', ')}`, v);
    return v as T;
  }

  stringArray(name: string, what = 'an array of strings'): string[] | undefined {
    const v = this.values[name];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw this.error(name, what, v);
    return v as string[];
  }

  /** A string→string map such as an encryption context or tags. */
  stringMap(name: string, what = 'an object of string values, like { "app": "web" }'): Record<string, string> | undefined {
    const v = this.values[name];
    if (v === undefined) return undefined;
    if (!isPlainObject(v) || Object.values(v).some((x) => typeof x !== 'string')) throw this.error(name, what, v);
    return { ...(v as Record<string, string>) };
  }

  raw(name: string): unknown {
    return this.values[name];
  }

  private error(name: string, what: string, value: unknown): ArgumentError {
    return new ArgumentError(`${this.command}: "${name}" must be ${what}, not ${describe(value)}.`);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return value === '' ? 'an empty string' : `the string "${value.length > 40 ? value.slice(0, 40) + '…' : value}"`;
  if (typeof value === 'object' || typeof value === 'function') return `an ${typeof value}`;
  return `${typeof value} ${String(JSON.stringify(value))}`;
}
