// What the tests expect of a refusal: a KmsError of that code (or error name), its message
// matching when given. For assert.rejects / assert.throws.
import * as assert from 'node:assert/strict';
import type { KmsError } from '../../src/core/kms/errors';

export function code(name: string, message?: RegExp): (e: KmsError) => true {
  return (e: KmsError) => {
    assert.equal(e.code ?? e.name, name, e.message);
    if (message) assert.match(e.message, message);
    return true;
  };
}
