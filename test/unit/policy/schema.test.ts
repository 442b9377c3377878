import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONDITION_OPERATORS } from '../../../src/core/policy/conditions';
import { KMS_ACTION_NAMES } from '../../../src/core/policy/kmsActions';

const root = join(__dirname, '..', '..', '..');
interface Schema {
  definitions: {
    statement: { properties: { Action: { anyOf: [{ anyOf: [{ enum: string[] }] }] }; Condition: { propertyNames: { pattern: string } } } };
  };
}
const schema = JSON.parse(readFileSync(join(root, 'schemas', 'kms-key-policy.schema.json'), 'utf8')) as Schema;
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  contributes: { jsonValidation: { fileMatch: string; url: string }[] };
};

describe('the JSON schema of key policies (Edit as JSON)', () => {
  it('is contributed for the policy documents', () => {
    const entry = manifest.contributes.jsonValidation.find((j) => j.url === './schemas/kms-key-policy.schema.json');
    assert.ok(entry, 'package.json contributes no jsonValidation for the key-policy schema');
    assert.equal(entry.fileMatch, '*.key-policy.json');
  });

  it('offers every KMS action the validator knows', () => {
    const actionSchema = schema.definitions.statement.properties.Action.anyOf[0];
    const offered = actionSchema.anyOf[0].enum;
    const missing = KMS_ACTION_NAMES.filter((a) => !offered.includes(a));
    assert.deepEqual(missing, [], 'regenerate schemas/kms-key-policy.schema.json from kmsActions.ts');
  });

  it('accepts every condition operator the validator knows, with prefixes and IfExists', () => {
    const pattern = new RegExp(schema.definitions.statement.properties.Condition.propertyNames.pattern);
    for (const op of CONDITION_OPERATORS) {
      assert.ok(pattern.test(op), op);
      assert.ok(pattern.test(`ForAnyValue:${op}`), op);
      if (op !== 'Null') assert.ok(pattern.test(`${op}IfExists`), op);
    }
    assert.ok(!pattern.test('StringEqual'));
    assert.ok(!pattern.test('NullIfExists'));
  });
});
