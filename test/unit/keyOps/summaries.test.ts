import * as assert from 'node:assert/strict';
import { deletionDate, deletionImpactLines, formatDate, rotationReport } from '../../../src/core/keyOps/summaries';

describe('keyOps summaries', () => {
  it('lists aliases, grants and replicas that depend on a key about to be deleted', () => {
    const lines = deletionImpactLines({
      label: 'alias/app',
      metadata: {
        KeyId: 'mrk-1',
        KeyState: 'Enabled',
        MultiRegion: true,
        MultiRegionConfiguration: { MultiRegionKeyType: 'PRIMARY', ReplicaKeys: [{ Region: 'us-west-2' }, { Region: 'eu-west-1' }] },
      },
      aliases: ['alias/app', 'alias/app-old'],
      grants: [{ Name: 'reader', GranteePrincipal: 'arn:aws:iam::111122223333:role/App', Operations: ['Decrypt'] }],
    });
    const text = lines.join('\n');
    assert.match(text, /can never be decrypted again/);
    assert.match(text, /Aliases that will be deleted with it: alias\/app, alias\/app-old\./);
    assert.match(text, /Grants that will stop working \(1\): "reader" arn:aws:iam::111122223333:role\/App \(Decrypt\)\./);
    assert.match(text, /Multi-Region replicas: us-west-2, eu-west-1\. The primary key waits in PendingReplicaDeletion/);
    assert.match(text, /Disable the key first/);
  });

  it('says when there is nothing, and when grants could not be listed', () => {
    const text = deletionImpactLines({
      label: 'k',
      metadata: { KeyId: 'k', KeyState: 'Disabled', MultiRegion: false },
      aliases: [],
      grantsProblem: 'ListGrants is not supported by this endpoint',
    }).join('\n');
    assert.match(text, /Aliases: none\./);
    assert.match(text, /Grants: could not be listed \(ListGrants is not supported by this endpoint\)\./);
    assert.doesNotMatch(text, /Disable the key first/, 'a disabled key needs no advice to disable it');
    const many = deletionImpactLines({
      label: 'k',
      metadata: { KeyId: 'k', KeyState: 'Disabled' },
      aliases: [],
      grants: Array.from({ length: 7 }, (_, i) => ({ GranteePrincipal: `p${i}` })),
    }).join('\n');
    assert.match(many, /\(7\): p0; p1; p2; p3; p4; and 2 more\./);
  });

  it('computes and formats dates', () => {
    assert.equal(formatDate(deletionDate(new Date('2025-01-01T00:00:00Z'), 30)), '2025-01-31 00:00:00 UTC');
    assert.equal(formatDate(undefined), 'unknown');
  });

  it('reports rotation status and history, newest first', () => {
    const report = rotationReport(
      'alias/app',
      'k1',
      { KeyRotationEnabled: true, RotationPeriodInDays: 180, NextRotationDate: new Date('2025-06-01T00:00:00Z') },
      [
        { RotationDate: new Date('2024-01-01T00:00:00Z'), RotationType: 'AUTOMATIC' },
        { RotationDate: new Date('2024-06-01T00:00:00Z'), RotationType: 'ON_DEMAND' },
      ],
    );
    assert.match(report, /Automatic rotation: \*\*on\*\*, every 180 days/);
    assert.match(report, /Next automatic rotation: 2025-06-01 00:00:00 UTC/);
    assert.match(report, /\| 2024-06-01 00:00:00 UTC \| on demand \|\n\| 2024-01-01 00:00:00 UTC \| automatic \|/);
    const none = rotationReport('k', 'k', { KeyRotationEnabled: false }, []);
    assert.match(none, /\*\*off\*\*/);
    assert.match(none, /has not been rotated yet/);
    assert.match(rotationReport('k', 'k', {}, undefined), /cannot list rotations \(ListKeyRotations is not supported\)/);
  });
});
