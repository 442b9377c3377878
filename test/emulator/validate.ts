// Reading a request body the way KMS's service model does: types first (a wrong JSON type is a
// SerializationException), then constraints (length, range, enum, pattern) as ValidationException
// with AWS's wording.
import { apiError, constraintViolation, type KmsApiError } from './errors';
import type { Tag } from './types';

interface StringRule {
  min?: number;
  max?: number;
  pattern?: RegExp;
}

interface IntRule {
  min?: number;
  max?: number;
}

function serialization(field: string, expected: string): KmsApiError {
  return apiError('SerializationException', `${field}: expected ${expected}.`);
}

/** Typed, validated access to the members of one request. */
export class Input {
  constructor(private readonly body: Record<string, unknown>) {}

  has(name: string): boolean {
    return this.body[name] !== undefined && this.body[name] !== null;
  }

  string(name: string, rule: StringRule = {}): string | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw serialization(name, 'a string');
    if (rule.min !== undefined && value.length < rule.min)
      throw constraintViolation(name, value, `Member must have length greater than or equal to ${rule.min}`);
    if (rule.max !== undefined && value.length > rule.max)
      throw constraintViolation(name, value, `Member must have length less than or equal to ${rule.max}`);
    if (rule.pattern && !rule.pattern.test(value))
      throw constraintViolation(name, value, `Member must satisfy regular expression pattern: ${rule.pattern.source}`);
    return value;
  }

  requiredString(name: string, rule: StringRule = {}): string {
    const value = this.string(name, { min: 1, ...rule });
    if (value === undefined) throw constraintViolation(name, undefined, 'Member must not be null');
    return value;
  }

  int(name: string, rule: IntRule = {}): number | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw serialization(name, 'an integer');
    if (rule.min !== undefined && value < rule.min)
      throw constraintViolation(name, value, `Member must have value greater than or equal to ${rule.min}`);
    if (rule.max !== undefined && value > rule.max)
      throw constraintViolation(name, value, `Member must have value less than or equal to ${rule.max}`);
    return value;
  }

  /** A number (timestamps arrive as epoch seconds, possibly with a fraction). */
  number(name: string): number | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw serialization(name, 'a number');
    return value;
  }

  bool(name: string): boolean | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw serialization(name, 'a boolean');
    return value;
  }

  /** A base64 blob. Lengths are of the decoded bytes; the value is never echoed in messages. */
  blob(name: string, rule: IntRule = {}): Buffer | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 === 1)
      throw serialization(name, 'a base64-encoded blob');
    const bytes = Buffer.from(value, 'base64');
    const member = name.charAt(0).toLowerCase() + name.slice(1);
    if (rule.min !== undefined && bytes.length < rule.min)
      throw apiError(
        'ValidationException',
        `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length greater than or equal to ${rule.min}`,
      );
    if (rule.max !== undefined && bytes.length > rule.max)
      throw apiError(
        'ValidationException',
        `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${rule.max}`,
      );
    return bytes;
  }

  requiredBlob(name: string, rule: IntRule = {}): Buffer {
    const value = this.blob(name, { min: 1, ...rule });
    if (value === undefined) throw constraintViolation(name, undefined, 'Member must not be null');
    return value;
  }

  enumValue<T extends string>(name: string, values: readonly T[]): T | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!(values as readonly string[]).includes(value))
      throw constraintViolation(name, value, `Member must satisfy enum value set: [${values.join(', ')}]`);
    return value as T;
  }

  requiredEnum<T extends string>(name: string, values: readonly T[]): T {
    const value = this.enumValue(name, values);
    if (value === undefined) throw constraintViolation(name, undefined, 'Member must not be null');
    return value;
  }

  stringMap(name: string): Record<string, string> | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw serialization(name, 'a map of strings');
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v !== 'string') throw serialization(`${name}.${k}`, 'a string');
      out[k] = v;
    }
    return out;
  }

  stringList(name: string, rule: { min?: number; max?: number; item?: StringRule } = {}): string[] | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) throw serialization(name, 'a list');
    const items = value.map((item: unknown) => {
      if (typeof item !== 'string') throw serialization(name, 'a list of strings');
      return item;
    });
    if (rule.min !== undefined && items.length < rule.min)
      throw constraintViolation(name, items, `Member must have length greater than or equal to ${rule.min}`);
    if (rule.max !== undefined && items.length > rule.max)
      throw constraintViolation(name, items, `Member must have length less than or equal to ${rule.max}`);
    for (const item of items) {
      if (rule.item?.min !== undefined && item.length < rule.item.min)
        throw constraintViolation(name, item, `Member must have length greater than or equal to ${rule.item.min}`);
      if (rule.item?.max !== undefined && item.length > rule.item.max)
        throw constraintViolation(name, item, `Member must have length less than or equal to ${rule.item.max}`);
    }
    return items;
  }

  tags(name: string): Tag[] | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) throw serialization(name, 'a list of tags');
    return value.map((item: unknown) => {
      if (typeof item !== 'object' || item === null) throw serialization(name, 'a list of tags');
      const tag = new Input(item as Record<string, unknown>);
      return { TagKey: tag.requiredString('TagKey', { max: 128 }), TagValue: tag.string('TagValue', { max: 256 }) ?? '' };
    });
  }

  object(name: string): Input | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw serialization(name, 'a structure');
    return new Input(value as Record<string, unknown>);
  }
}
