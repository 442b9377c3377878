// Emulator seeds of the tree's tests and bench (plain data: used by the integration suite in
// the extension host, the unit tests and the bench alike).
import type { SeedDocument } from '../../emulator/seed';

/** A region of its own per suite, so other suites' keys never show up in the counts. */
export const RICH_REGION = 'eu-west-3';
export const BULK_REGION = 'ap-southeast-2';
export const PAGING_REGION = 'sa-east-1';

export const ids = {
  payments: '0a1b2c3d-0000-4000-8000-000000000001',
  signing: '0a1b2c3d-0000-4000-8000-000000000002',
  mac: '0a1b2c3d-0000-4000-8000-000000000003',
  disabled: '0a1b2c3d-0000-4000-8000-000000000004',
  deleting: '0a1b2c3d-0000-4000-8000-000000000005',
  importing: '0a1b2c3d-0000-4000-8000-000000000006',
  unavailable: '0a1b2c3d-0000-4000-8000-000000000007',
  bare: '0a1b2c3d-0000-4000-8000-000000000008',
  awsS3: '0a1b2c3d-0000-4000-8000-000000000009',
  global: 'mrk-0a1b2c3d00004000800000000000000a',
} as const;

export const deletionDate = '2031-03-01T00:00:00Z';

/** Every kind of key the tree shows differently, with aliases, grants, tags and rotation history. */
export function richSeed(region = RICH_REGION): SeedDocument {
  return {
    customKeyStores: [
      {
        CustomKeyStoreId: 'cks-0a1b2c3d4e5f6a7b8',
        CustomKeyStoreName: 'hsm-store',
        CustomKeyStoreType: 'AWS_CLOUDHSM',
        ConnectionState: 'DISCONNECTED',
        CloudHsmClusterId: 'cluster-1a2b3c4d5e6',
      },
    ],
    keys: [
      {
        region,
        id: ids.payments,
        description: 'Payments API data key',
        aliases: ['alias/payments/api', 'alias/payments/legacy'],
        tags: { env: 'prod', team: 'payments' },
        rotation: { enabled: true, periodInDays: 180 },
        rotations: [
          { date: '2024-01-15T09:00:00Z', type: 'AUTOMATIC' },
          { date: '2024-06-01T12:30:00Z', type: 'ON_DEMAND' },
        ],
        grants: [
          {
            name: 'payments-worker',
            granteePrincipal: 'arn:aws:iam::111122223333:role/payments-worker',
            retiringPrincipal: 'arn:aws:iam::111122223333:role/payments-admin',
            operations: ['Decrypt', 'GenerateDataKey'],
            constraints: { EncryptionContextSubset: { app: 'payments' } },
          },
        ],
      },
      {
        region,
        id: ids.signing,
        spec: 'ECC_NIST_P256',
        usage: 'SIGN_VERIFY',
        description: 'Release signing',
        aliases: ['alias/release-signing'],
      },
      { region, id: ids.mac, spec: 'HMAC_256', usage: 'GENERATE_VERIFY_MAC', aliases: ['alias/webhook-mac'] },
      { region, id: ids.disabled, state: 'Disabled', description: 'Retired', aliases: ['alias/old-disabled'] },
      { region, id: ids.deleting, state: 'PendingDeletion', deletionDate, pendingWindowInDays: 30, aliases: ['alias/to-delete'] },
      { region, id: ids.importing, origin: 'EXTERNAL', aliases: ['alias/byok'] },
      {
        region,
        id: ids.unavailable,
        state: 'Unavailable',
        origin: 'AWS_CLOUDHSM',
        customKeyStoreId: 'cks-0a1b2c3d4e5f6a7b8',
        aliases: ['alias/in-hsm'],
      },
      { region, id: ids.bare, description: 'No alias at all' },
      { region, id: ids.global, multiRegion: true, replicaRegions: ['us-west-2'], aliases: ['alias/global'] },
      { region, id: ids.awsS3, manager: 'AWS', aliases: ['alias/aws/s3'] },
    ],
    aliases: [{ region, name: 'alias/aws/ebs' }],
  };
}

/** `keys` keys, the first `aliases` of them with an alias each (`alias/bulk/key-0000`…). */
export function bulkSeed(region: string, keys: number, aliases = keys): SeedDocument {
  return {
    keys: Array.from({ length: keys }, (_, i) => ({
      region,
      description: `bulk key ${i}`,
      aliases: i < aliases ? [`alias/bulk/key-${String(i).padStart(4, '0')}`] : [],
    })),
  };
}
