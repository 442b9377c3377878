import * as assert from 'node:assert/strict';
import type { Checked } from '../../../src/core/keyOps/checked';
import {
  checkAliasName,
  checkConstraintContext,
  checkDescription,
  checkGrantName,
  checkRandomLength,
  checkRegionName,
  checkRotationPeriod,
  checkTagKeys,
  checkTags,
  checkWaitingPeriod,
  isAwsManagedAlias,
  parseEncryptionContextText,
  parseTagsText,
  splitList,
} from '../../../src/core/keyOps/validation';

function value<T>(c: Checked<T>): T {
  if (!c.ok) assert.fail(`expected a value, got the problem: ${c.problem}`);
  return c.value;
}

function problem(c: Checked<unknown>): string {
  if (c.ok) assert.fail(`expected a problem, got ${JSON.stringify(c.value)}`);
  return c.problem;
}

describe('keyOps validation', () => {
  describe('waiting period (ScheduleKeyDeletion)', () => {
    it('takes 7 to 30 days', () => {
      assert.equal(value(checkWaitingPeriod('7')), 7);
      assert.equal(value(checkWaitingPeriod(' 30 ')), 30);
    });
    it('refuses 6 and 31 naming the range', () => {
      assert.equal(problem(checkWaitingPeriod('6')), 'The waiting period in days must be from 7 to 30, not 6.');
      assert.match(problem(checkWaitingPeriod('31')), /from 7 to 30, not 31/);
    });
    it('refuses what is not a whole number', () => {
      assert.match(problem(checkWaitingPeriod('7.5')), /"7\.5" is not a whole number: enter the waiting period in days from 7 to 30/);
      assert.match(problem(checkWaitingPeriod('')), /Enter the waiting period in days/);
      assert.match(problem(checkWaitingPeriod('-7')), /not a whole number/);
    });
  });

  it('rotation period takes 90 to 2560 days', () => {
    assert.equal(value(checkRotationPeriod('90')), 90);
    assert.equal(value(checkRotationPeriod('2560')), 2560);
    assert.match(problem(checkRotationPeriod('89')), /from 90 to 2560, not 89/);
    assert.match(problem(checkRotationPeriod('2561')), /from 90 to 2560, not 2561/);
  });

  it('random bytes take 1 to 1024', () => {
    assert.equal(value(checkRandomLength('1024')), 1024);
    assert.match(problem(checkRandomLength('0')), /from 1 to 1024/);
    assert.match(problem(checkRandomLength('1025')), /from 1 to 1024/);
  });

  describe('alias names', () => {
    it('accepts the grammar and adds a missing alias/ prefix', () => {
      assert.equal(value(checkAliasName('alias/my-app/prod_1')), 'alias/my-app/prod_1');
      assert.equal(value(checkAliasName('my-app')), 'alias/my-app');
    });
    it('refuses malformed names, naming the characters', () => {
      assert.match(
        problem(checkAliasName('alias/my app!')),
        /not a valid alias name: use only letters, digits, "\/", "_" and "-" after alias\/ \(found space, "!"\)/,
      );
      assert.match(problem(checkAliasName('alias/')), /needs a name after it/);
      assert.match(problem(checkAliasName('alias/x/')), /ends with "\/"/);
      assert.match(problem(checkAliasName(' alias/x')), /spaces around it/);
      assert.match(problem(checkAliasName('')), /Enter an alias name/);
      assert.match(problem(checkAliasName(`alias/${'a'.repeat(251)}`)), /257 characters long; KMS allows at most 256/);
    });
    it('refuses the reserved alias/aws/ prefix', () => {
      assert.match(problem(checkAliasName('alias/aws/s3')), /reserved for AWS managed keys/);
      assert.match(problem(checkAliasName('alias/AWS/x')), /reserved/);
      assert.equal(value(checkAliasName('alias/awsome')), 'alias/awsome');
      assert.equal(isAwsManagedAlias('alias/aws/ebs'), true);
      assert.equal(isAwsManagedAlias('alias/awsome'), false);
    });
  });

  it('descriptions are at most 8192 characters', () => {
    assert.equal(value(checkDescription('')), '');
    assert.match(problem(checkDescription('x'.repeat(8193))), /8193 characters long; KMS allows at most 8192/);
  });

  describe('tags', () => {
    it('parses key=value pairs separated by commas, splitting at the first "="', () => {
      assert.deepEqual(value(parseTagsText('env=prod, team = payments ,formula=a=b, flag')), [
        { TagKey: 'env', TagValue: 'prod' },
        { TagKey: 'team', TagValue: 'payments' },
        { TagKey: 'formula', TagValue: 'a=b' },
        { TagKey: 'flag', TagValue: '' },
      ]);
      assert.deepEqual(value(parseTagsText('  ')), []);
    });
    it('refuses reserved, long, badly spelled and repeated keys', () => {
      assert.match(problem(parseTagsText('aws:owner=me')), /starts with "aws:", which is reserved/);
      assert.match(problem(parseTagsText('=x')), /no tag key before "="/);
      assert.match(problem(parseTagsText('a=1, a=2')), /given twice/);
      assert.match(problem(checkTags({ ['k'.repeat(129)]: 'v' })), /longer than 128 characters/);
      assert.match(problem(checkTags({ k: 'v'.repeat(257) })), /value of tag "k" is longer than 256/);
      assert.match(problem(checkTags({ 'a#b': 'v' })), /characters tags cannot hold/);
      assert.match(problem(checkTags({ k: 'semi;colon' })), /value of tag "k" has characters tags cannot hold/);
    });
    it('accepts Unicode letters and the allowed punctuation', () => {
      assert.deepEqual(value(checkTags({ 'Kostenstelle/Zürich': 'a.b:c/d=e+f-g@h_i j' })), [
        { TagKey: 'Kostenstelle/Zürich', TagValue: 'a.b:c/d=e+f-g@h_i j' },
      ]);
    });
    it('counts existing tags towards the limit of 50', () => {
      const existing = Array.from({ length: 49 }, (_, i) => `t${i}`);
      assert.equal(value(checkTags({ t0: 'changed', new1: 'x' }, existing)).length, 2);
      assert.match(problem(checkTags({ new1: 'x', new2: 'y' }, existing)), /at most 50 tags; this would make 51 \(it has 49\)/);
    });
    it('untag needs at least one valid key', () => {
      assert.match(problem(checkTagKeys([])), /at least one tag key/);
      assert.deepEqual(value(checkTagKeys(['a', 'a', 'b'])), ['a', 'b']);
    });
  });

  it('grant names use letters, digits, ":", "/", "_" and "-"', () => {
    assert.equal(value(checkGrantName('app:reader/1_a-b')), 'app:reader/1_a-b');
    assert.match(problem(checkGrantName('has space')), /not a valid grant name/);
    assert.match(problem(checkGrantName('x'.repeat(257))), /longer than 256/);
  });

  it('region names look like us-west-2', () => {
    assert.equal(value(checkRegionName('eu-central-1')), 'eu-central-1');
    assert.equal(value(checkRegionName('us-gov-west-1')), 'us-gov-west-1');
    assert.match(problem(checkRegionName('Frankfurt')), /not an AWS Region name/);
  });

  describe('encryption contexts', () => {
    it('parse from key=value pairs or JSON', () => {
      assert.deepEqual(value(parseEncryptionContextText('app=web, stage = prod')), { app: 'web', stage: 'prod' });
      assert.deepEqual(value(parseEncryptionContextText('{"a,b":"c=d"}')), { 'a,b': 'c=d' });
      assert.deepEqual(value(parseEncryptionContextText('')), {});
    });
    it('refuse what is not a context', () => {
      assert.match(problem(parseEncryptionContextText('app')), /is not key=value/);
      assert.match(problem(parseEncryptionContextText('{"a":1}')), /value of "a" must be a string/);
      assert.match(problem(parseEncryptionContextText('{bad json')), /not valid JSON/);
      assert.match(problem(parseEncryptionContextText('a=')), /value of "a" is empty/);
      assert.match(problem(parseEncryptionContextText('a=1,a=2')), /given twice/);
    });
    it('grant constraints hold 1 to 8 pairs with values of at most 384 characters', () => {
      assert.match(problem(checkConstraintContext({})), /at least one/);
      const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'v']));
      assert.match(problem(checkConstraintContext(nine)), /at most 8 encryption context pairs, not 9/);
      assert.match(problem(checkConstraintContext({ k: 'v'.repeat(385) })), /longer than 384/);
    });
  });

  it('splits lists typed in one line', () => {
    assert.deepEqual(splitList(' a, b;c\n d  '), ['a', 'b', 'c', 'd']);
    assert.deepEqual(splitList(''), []);
  });
});
