import * as assert from 'node:assert/strict';
import {
  canonicalEndpoint,
  connectionFingerprint,
  describeProposalFields,
  parseConnectionEntry,
  parseConnectionList,
} from '../../../src/core/aws/connectionSettings';

describe('connection settings: entries as settings hold them, and the identity of a proposal', () => {
  it('reads entries of any shape: strings kept, other types dropped, non-objects named invalid', () => {
    assert.deepEqual(parseConnectionEntry({ profile: 'p', region: 'us-east-1', endpoint: 'http://localhost:1', label: 'L', extra: 1 }), {
      profile: 'p',
      region: 'us-east-1',
      endpoint: 'http://localhost:1',
      label: 'L',
    });
    assert.deepEqual(parseConnectionEntry({ profile: 42, region: ['x'] }), {
      profile: undefined,
      region: undefined,
      endpoint: undefined,
      label: undefined,
    });
    assert.deepEqual(parseConnectionEntry('http://evil'), { label: '(invalid entry: "http://evil")' });
    assert.deepEqual(parseConnectionEntry([1]), { label: '(invalid entry: [1])' });
    assert.deepEqual(parseConnectionList({ not: 'a list' }), []);
    assert.deepEqual(parseConnectionList(undefined), []);
    assert.equal(parseConnectionList([{}, null]).length, 2);
  });

  it('gives one fingerprint to the same connection however it is written', () => {
    const a = connectionFingerprint({ profile: 'dev', region: 'us-east-1', endpoint: 'http://localhost:4566' });
    assert.equal(connectionFingerprint({ profile: ' dev ', region: 'us-east-1 ', endpoint: 'HTTP://LOCALHOST:4566/' }), a);
    assert.equal(connectionFingerprint({ profile: 'dev', region: 'us-east-1', endpoint: 'http://localhost:4566', label: '  ' }), a);
    assert.equal(canonicalEndpoint('http://localhost:80'), 'http://localhost/');
    assert.equal(canonicalEndpoint('not a url'), 'not a url');
    assert.equal(canonicalEndpoint('  '), null);
  });

  it('gives another fingerprint when any field differs, the label included', () => {
    const base = { profile: 'dev', region: 'us-east-1', endpoint: 'http://localhost:4566', label: 'Local' };
    const fingerprints = new Set([
      connectionFingerprint(base),
      connectionFingerprint({ ...base, profile: 'prod' }),
      connectionFingerprint({ ...base, profile: undefined }),
      connectionFingerprint({ ...base, region: 'us-east-2' }),
      connectionFingerprint({ ...base, endpoint: 'http://localhost:4567' }),
      connectionFingerprint({ ...base, endpoint: 'https://localhost:4566' }),
      connectionFingerprint({ ...base, endpoint: undefined }),
      connectionFingerprint({ ...base, label: 'Production' }),
    ]);
    assert.equal(fingerprints.size, 8);
  });

  it('describes every field for the approval, saying what an absent one means', () => {
    assert.deepEqual(describeProposalFields({ profile: 'dev', region: 'eu-west-1', endpoint: 'https://kms.example' }), {
      profile: 'dev',
      region: 'eu-west-1',
      endpoint: 'https://kms.example/',
    });
    const empty = describeProposalFields({});
    assert.match(empty.profile, /none: your environment credentials/);
    assert.match(empty.region, /AWS_REGION/);
    assert.match(empty.endpoint, /AWS KMS/);
  });
});
