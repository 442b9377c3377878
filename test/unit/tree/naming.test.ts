import * as assert from 'node:assert/strict';
import MarkdownIt from 'markdown-it';
import type { KeyMetadata } from '@aws-sdk/client-kms';
import { AwsConfigFiles } from '../../../src/core/aws/awsConfigFiles';
import { KmsError } from '../../../src/core/kms/errors';
import { AliasIndex, shortAliasName } from '../../../src/core/tree/aliasIndex';
import { KeyFilter } from '../../../src/core/tree/keyFilter';
import {
  consoleUrl,
  grantConstraints,
  grantFacts,
  grantLabel,
  aliasTargetText,
  keyDescription,
  shortKeyId,
  shortKeySpec,
  keyIcon,
  keyLabel,
  keyTooltip,
  rotationFacts,
  rotationSummary,
  shortPrincipal,
  connectionDescription,
} from '../../../src/core/tree/keyPresentation';
import { environmentCredentialSource, planRoot } from '../../../src/core/tree/rootPlan';

const K1 = '11111111-1111-1111-1111-111111111111';
const K2 = '22222222-2222-2222-2222-222222222222';
const AWS = '33333333-3333-3333-3333-333333333333';

describe('AliasIndex: aliases name keys and tell AWS managed keys apart', () => {
  const index = new AliasIndex([
    { AliasName: 'alias/zeta', TargetKeyId: K1 },
    { AliasName: 'alias/Alpha', TargetKeyId: K1 },
    { AliasName: 'alias/aws/s3', TargetKeyId: AWS },
    { AliasName: 'alias/aws/ebs' },
    { AliasName: 'alias/beta', TargetKeyId: K2 },
  ]);

  it('lists a key’s aliases sorted by name, the first names it', () => {
    assert.deepEqual(index.aliasesOf(K1), ['alias/Alpha', 'alias/zeta']);
    assert.equal(index.firstAlias(K1), 'alias/Alpha');
    assert.equal(keyLabel(K1, index.aliasesOf(K1)), 'Alpha');
    assert.equal(keyLabel('44444444-4444-4444-4444-444444444444', []), '44444444-4444-4444-4444-444444444444');
  });

  it('knows AWS managed keys by their alias/aws/ alias, and skips AWS aliases with no key yet', () => {
    assert.equal(index.isAwsManaged(AWS), true);
    assert.equal(index.isAwsManaged(K1), false);
    assert.deepEqual(index.awsManagedKeys(), [{ keyId: AWS, aliasName: 'alias/aws/s3' }]);
    assert.equal(index.size, 5);
  });

  it('follows one key’s aliases after a change, including an alias that moved to it', () => {
    const next = index.withKeyAliases(K2, [
      { AliasName: 'alias/beta', TargetKeyId: K2 },
      { AliasName: 'alias/zeta', TargetKeyId: K2 },
    ]);
    assert.deepEqual(next.aliasesOf(K2), ['alias/beta', 'alias/zeta']);
    assert.deepEqual(next.aliasesOf(K1), ['alias/Alpha'], 'the moved alias left its old key');
    const deleted = next.withKeyAliases(K2, []);
    assert.deepEqual(deleted.aliasesOf(K2), []);
  });

  it('shows alias names without the alias/ prefix', () => {
    assert.equal(shortAliasName('alias/payments/api'), 'payments/api');
    assert.equal(shortAliasName('odd'), 'odd');
  });
});

describe('KeyFilter', () => {
  const facts = { keyId: K1, keyArn: `arn:aws:kms:us-east-1:111122223333:key/${K1}`, aliases: ['alias/payments-api'] };

  it('matches aliases, key ids and ARNs without loading anything', () => {
    assert.equal(KeyFilter.parse('PAYMENTS')!.verdict(facts), 'match');
    assert.equal(KeyFilter.parse('1111-1111')!.verdict(facts), 'match');
    assert.equal(KeyFilter.parse('111122223333')!.verdict(facts), 'match');
  });

  it('asks for the description, then the tags, only for what is still open', () => {
    const filter = KeyFilter.parse('payments prod')!;
    assert.equal(filter.verdict(facts), 'needDescription');
    assert.equal(filter.verdict({ ...facts, metadata: { Description: 'Prod payments' } }), 'match');
    assert.equal(filter.verdict({ ...facts, metadata: { Description: 'card data' } }), 'needTags');
    assert.equal(
      filter.verdict({ ...facts, metadata: { Description: 'card data' }, tags: [{ TagKey: 'env', TagValue: 'prod' }] }),
      'match',
    );
    assert.equal(
      filter.verdict({ ...facts, metadata: { Description: 'card data' }, tags: [{ TagKey: 'env', TagValue: 'dev' }] }),
      'noMatch',
    );
  });

  it('matches tags written key=value, and every word must match', () => {
    const base = { ...facts, metadata: {} };
    assert.equal(KeyFilter.parse('env=prod')!.verdict({ ...base, tags: [{ TagKey: 'env', TagValue: 'prod' }] }), 'match');
    assert.equal(KeyFilter.parse('team=')!.verdict({ ...base, tags: [{ TagKey: 'team', TagValue: 'core' }] }), 'match');
    assert.equal(KeyFilter.parse('payments nope')!.verdict({ ...base, tags: [] }), 'noMatch');
  });

  it('treats blank text as no filter', () => {
    assert.equal(KeyFilter.parse('   '), undefined);
    assert.equal(KeyFilter.parse(undefined), undefined);
    assert.equal(KeyFilter.parse('  a  b ')!.text, 'a  b');
  });
});

const meta = (over: Partial<KeyMetadata> = {}): KeyMetadata => ({
  KeyId: K1,
  Arn: `arn:aws:kms:us-east-1:111122223333:key/${K1}`,
  KeyState: 'Enabled',
  KeyManager: 'CUSTOMER',
  KeyUsage: 'ENCRYPT_DECRYPT',
  KeySpec: 'SYMMETRIC_DEFAULT',
  Origin: 'AWS_KMS',
  CreationDate: new Date('2024-05-01T10:00:00Z'),
  MultiRegion: false,
  Description: 'Payments *API* key',
  ...over,
});

describe('key presentation', () => {
  it('describes a key by state first, then a short spec (so a 300 px side bar shows the state), with the deletion date when pending deletion', () => {
    assert.equal(keyDescription(meta()), 'Enabled · symmetric');
    assert.equal(
      keyDescription(meta({ KeyState: 'PendingDeletion', DeletionDate: new Date('2025-03-01T00:00:00Z') })),
      'Deletes 2025-03-01 · symmetric',
    );
    assert.equal(keyDescription(meta({ KeyState: 'PendingImport', Origin: 'EXTERNAL' })), 'Pending import · symmetric');
    assert.equal(
      keyDescription(meta({ Origin: 'EXTERNAL', ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: new Date('2026-04-01T12:00:00Z') })),
      'Enabled · symmetric · expires 2026-04-01',
    );
    assert.equal(keyDescription(meta({ KeySpec: 'ECC_NIST_P521', KeyUsage: 'SIGN_VERIFY', KeyState: 'Disabled' })), 'Disabled · P-521');
    assert.equal(keyDescription(undefined), '');
    assert.equal(keyDescription(undefined, new KmsError('AccessDeniedException', 'no')), 'no permission to describe');
  });

  it('shortens every key spec, and the longest description still fits beside a label (the full spec is in the tooltip)', () => {
    const short: Record<string, string> = {
      SYMMETRIC_DEFAULT: 'symmetric',
      RSA_2048: 'RSA 2048',
      RSA_4096: 'RSA 4096',
      ECC_NIST_P256: 'P-256',
      ECC_NIST_P384: 'P-384',
      ECC_NIST_P521: 'P-521',
      ECC_SECG_P256K1: 'secp256k1',
      ECC_NIST_EDWARDS25519: 'Ed25519',
      HMAC_224: 'HMAC 224',
      HMAC_512: 'HMAC 512',
      SM2: 'SM2',
      ML_DSA_44: 'ML-DSA-44',
      ML_DSA_87: 'ML-DSA-87',
    };
    for (const [spec, words] of Object.entries(short)) assert.equal(shortKeySpec(spec), words, spec);
    assert.equal(shortKeySpec(undefined), undefined);
    assert.equal(shortKeySpec('SOMETHING_NEW'), 'SOMETHING_NEW', 'an unknown spec is shown as it is');
    for (const spec of Object.keys(short)) {
      for (const state of ['Enabled', 'Disabled', 'Unavailable', 'PendingImport'] as const) {
        const text = keyDescription(meta({ KeySpec: spec as KeyMetadata['KeySpec'], KeyState: state }));
        assert.ok(text.startsWith(state === 'PendingImport' ? 'Pending import' : state), text);
        assert.ok(text.length <= 26, `${text}: ${text.length} characters`);
      }
    }
    const md = keyTooltip({ keyId: K1, aliases: [], metadata: meta({ KeySpec: 'ECC_NIST_P521' }) });
    assert.match(md, /Key spec: ECC\\_NIST\\_P521/);
  });

  it('names an alias’s target key by another alias, else its description, else a short key id', () => {
    assert.equal(aliasTargetText('alias/a', { keyId: K1, aliases: ['alias/a', 'alias/b'], description: 'Payments' }), '→ b');
    assert.equal(aliasTargetText('alias/a', { keyId: K1, aliases: ['alias/a'], description: '  Payments API key ' }), '→ Payments API key');
    assert.equal(aliasTargetText('alias/a', { keyId: K1, aliases: ['alias/a'] }), '→ key 11111111…');
    assert.equal(aliasTargetText('alias/a', { keyId: 'mrk-1234567890abcdef1234567890abcdef', aliases: [] }), '→ key mrk-12345678…');
    assert.equal(aliasTargetText('alias/aws/ebs', { keyId: undefined, aliases: [] }), 'no key yet (AWS creates it on first use)');
    assert.equal(
      aliasTargetText('alias/a', { keyId: K1, aliases: [], description: 'line\nbreak' }),
      '→ line\\nbreak',
      'server text is one inert line',
    );
    assert.equal(shortKeyId('not-a-uuid'), 'not-a-uuid');
  });

  it('describes a connection by its region (unless its label says it), account and endpoint host', () => {
    const conn = (label: string, endpoint?: string) => ({ label, region: 'eu-west-1', endpoint });
    assert.equal(
      connectionDescription(conn('Local KMS emulator', 'http://127.0.0.1:4599'), { accountId: '111122223333' }),
      'eu-west-1 · 111122223333 · 127.0.0.1:4599',
    );
    assert.equal(connectionDescription(conn('dev · eu-west-1'), { accountId: '111122223333' }), '111122223333');
    assert.equal(connectionDescription(conn('dev · eu-west-1'), {}), '');
    assert.equal(connectionDescription(conn('Team'), { approvedProposal: true }), 'eu-west-1 · proposed by the workspace, approved');
  });

  it('gives each unusable state its own icon and color, and usable keys an icon by type', () => {
    const ids = ['Disabled', 'PendingDeletion', 'PendingImport', 'Unavailable'].map((s) =>
      keyIcon(meta({ KeyState: s as KeyMetadata['KeyState'] })),
    );
    assert.equal(new Set(ids.map((i) => i.id)).size, 4, JSON.stringify(ids));
    assert.ok(
      ids.every((i) => i.color),
      'states are colored',
    );
    assert.equal(keyIcon(meta()).id, 'key');
    assert.equal(keyIcon(meta({ KeySpec: 'RSA_2048' })).id, 'lock');
    assert.equal(keyIcon(meta({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).id, 'verified');
    assert.equal(keyIcon(meta({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' })).id, 'shield');
    assert.notEqual(keyIcon(undefined).id, keyIcon(undefined, new Error('x')).id);
  });

  it('puts ARN, id, aliases, spec, usage, origin, dates, description, rotation and role in the tooltip, escaped', () => {
    const md = keyTooltip({
      keyId: K1,
      aliases: ['alias/a', 'alias/b'],
      metadata: meta({
        KeyState: 'PendingDeletion',
        DeletionDate: new Date('2025-03-01T00:00:00Z'),
        MultiRegion: true,
        MultiRegionConfiguration: { MultiRegionKeyType: 'PRIMARY', ReplicaKeys: [{ Region: 'eu-west-1' }] },
      }),
      rotation: { KeyRotationEnabled: true, RotationPeriodInDays: 180, NextRotationDate: new Date('2025-01-01T00:00:00Z') },
    });
    // Checked as rendered: what a person reads (server text is escaped in the Markdown).
    const shown = renderedText(md);
    for (const text of [
      `arn:aws:kms:us-east-1:111122223333:key/${K1}`,
      K1,
      'alias/a, alias/b',
      'SYMMETRIC_DEFAULT',
      'ENCRYPT_DECRYPT',
      'AWS_KMS',
      '2024-05-01 10:00 UTC',
      'Payments *API* key',
      'on, every 180 days, next 2025-01-01',
      'primary key; replicas in eu-west-1',
      'Deletion date: 2025-03-01 00:00 UTC',
    ]) {
      assert.ok(shown.includes(text), `tooltip lacks ${text}:\n${shown}`);
    }
    assert.ok(md.includes(`\`${K1}\``), 'ids in code spans');
    assert.match(keyTooltip({ keyId: K1, aliases: [], failure: new Error('denied') }), /Could not describe the key: denied/);
    const hostile = keyTooltip({ keyId: K1, aliases: [], metadata: meta({ Description: '<img src=x> [link](http://x) `code`' }) });
    assert.ok(renderedText(hostile).includes('Description: <img src=x> [link](http://x) `code`'));
    assert.doesNotMatch(new MarkdownIt({ html: true, linkify: true }).render(hostile), /<img|<a |<code>code/);
  });

  it('summarises rotation', () => {
    assert.equal(rotationSummary({ KeyRotationEnabled: false }), 'off');
    assert.equal(rotationSummary({ KeyRotationEnabled: true, RotationPeriodInDays: 365 }), 'on, every 365 days');
    assert.deepEqual(
      rotationFacts({
        KeyRotationEnabled: true,
        RotationPeriodInDays: 90,
        NextRotationDate: new Date('2025-06-01T00:00:00Z'),
        OnDemandRotationStartDate: new Date('2025-01-01T12:00:00Z'),
      }).map((f) => `${f.label}=${f.value}`),
      [
        'Automatic rotation=on',
        'Rotation period=90 days',
        'Next rotation=2025-06-01',
        'On-demand rotation=in progress since 2025-01-01 12:00 UTC',
      ],
    );
  });

  it('shows grants by name or grantee, with operations, constraints and retiring principal', () => {
    const grant = {
      GrantId: 'g1',
      Name: 'app-decrypt',
      GranteePrincipal: 'arn:aws:iam::111122223333:role/app',
      RetiringPrincipal: 'arn:aws:iam::111122223333:root',
      Operations: ['Decrypt', 'Encrypt'] as ('Decrypt' | 'Encrypt')[],
      Constraints: { EncryptionContextSubset: { app: 'web' } },
    };
    assert.deepEqual(grantLabel(grant), { label: 'app-decrypt', description: 'role/app (111122223333) · Decrypt, Encrypt' });
    assert.deepEqual(grantLabel({ ...grant, Name: undefined }), { label: 'role/app (111122223333)', description: 'Decrypt, Encrypt' });
    assert.equal(grantConstraints(grant), 'encryption context includes {app=web}');
    const facts = Object.fromEntries(grantFacts(grant).map((f) => [f.label, f.value]));
    assert.equal(facts['Retiring principal'], 'arn:aws:iam::111122223333:root');
    assert.equal(facts.Grantee, 'arn:aws:iam::111122223333:role/app');
    assert.equal(shortPrincipal('arn:aws:iam::111122223333:root'), 'account 111122223333');
    assert.equal(shortPrincipal('s3.amazonaws.com'), 's3.amazonaws.com');
  });

  it('builds console URLs in the region’s partition, with AWS managed keys under defaultKeys', () => {
    assert.equal(
      consoleUrl('eu-west-1', { keyId: K1 }),
      `https://eu-west-1.console.aws.amazon.com/kms/home?region=eu-west-1#/kms/keys/${K1}`,
    );
    assert.equal(
      consoleUrl('us-east-1', { keyId: AWS, awsManaged: true }),
      `https://us-east-1.console.aws.amazon.com/kms/home?region=us-east-1#/kms/defaultKeys/${AWS}`,
    );
    assert.equal(consoleUrl('cn-north-1'), 'https://cn-north-1.console.amazonaws.cn/kms/home?region=cn-north-1#/kms/keys');
    assert.match(consoleUrl('us-gov-west-1'), /^https:\/\/us-gov-west-1\.console\.amazonaws-us-gov\.com\//);
  });
});

describe('root plan: the welcome view when nothing is usable', () => {
  const none = AwsConfigFiles.fromSections({});
  const withProfiles = AwsConfigFiles.fromSections({ work: { region: 'eu-west-1' } });
  const withDefault = AwsConfigFiles.fromSections({ default: { region: 'eu-west-1' } });

  it('shows the environment connection when it has credentials', () => {
    assert.ok(environmentCredentialSource({ AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' }, none));
    assert.ok(environmentCredentialSource({}, withDefault));
    assert.ok(environmentCredentialSource({ AWS_PROFILE: 'work' }, withProfiles));
    assert.ok(environmentCredentialSource({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/creds' }, none));
    assert.deepEqual(planRoot({ configured: false, env: { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' }, files: none }), {
      kind: 'connections',
    });
  });

  it('shows the welcome view without credentials or profiles, saying whether there are profiles to choose', () => {
    assert.deepEqual(planRoot({ configured: false, env: {}, files: none }), { kind: 'welcome', hasProfiles: false });
    assert.deepEqual(planRoot({ configured: false, env: {}, files: withProfiles }), { kind: 'welcome', hasProfiles: true });
    assert.deepEqual(planRoot({ configured: false, env: { AWS_PROFILE: 'missing' }, files: withProfiles }), {
      kind: 'welcome',
      hasProfiles: true,
    });
  });

  it('shows configured connections whatever the environment', () => {
    assert.deepEqual(planRoot({ configured: true, env: {}, files: none }), { kind: 'connections' });
  });
});

/** The text a person reads once the Markdown is rendered. */
function renderedText(markdown: string): string {
  const html = new MarkdownIt({ html: true, linkify: true }).render(markdown);
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&(lt|gt|amp|quot|#39);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', '#39': "'" })[e] ?? _);
}
