import type { LookupEventsCommandInput, LookupEventsCommandOutput } from '@aws-sdk/client-cloudtrail';
import * as assert from 'node:assert/strict';
import { AwsConfigFiles } from '../../../src/core/aws/awsConfigFiles';
import { serviceEndpoint } from '../../../src/core/aws/serviceEndpoint';
import { CloudTrailClientFactory } from '../../../src/core/usage/cloudTrailClient';
import { fetchKeyEvents, type LookupSource, summarizeKeyUsage } from '../../../src/core/usage/keyEvents';
import { EmulatorControl } from '../../emulator/control';
import type { Emulator } from '../../emulator/server';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';

const day = 24 * 60 * 60 * 1000;

function fakeSource(pages: number, options: { throttleFirst?: number } = {}): LookupSource & { inputs: LookupEventsCommandInput[] } {
  let throttles = options.throttleFirst ?? 0;
  const inputs: LookupEventsCommandInput[] = [];
  return {
    inputs,
    lookupEvents: (input) => {
      inputs.push(input);
      if (throttles-- > 0) return Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
      const page = Number(input.NextToken ?? '0');
      const out: LookupEventsCommandOutput = {
        $metadata: {},
        Events: Array.from({ length: 50 }, (_, i) => ({
          EventId: `${page}-${i}`,
          EventName: 'Decrypt',
          EventTime: new Date(Date.UTC(2026, 11, 5) - (page * 50 + i) * 60_000),
        })),
        NextToken: page + 1 < pages ? String(page + 1) : undefined,
      };
      return Promise.resolve(out);
    },
  };
}

describe('key usage from CloudTrail', () => {
  it('pages by NextToken at most one call every 500 ms, by the key ARN, within the window', async () => {
    let clock = 0;
    const sleeps: number[] = [];
    const source = fakeSource(3);
    const now = new Date('2026-12-05T00:00:00Z');
    const out = await fetchKeyEvents(source, {
      keyArn: 'arn:k',
      days: 7,
      now,
      clock: () => clock,
      sleep: (ms) => {
        sleeps.push(ms);
        clock += ms;
        return Promise.resolve();
      },
    });
    assert.equal(out.events.length, 150);
    assert.equal(out.calls, 3);
    assert.equal(out.truncated, false);
    assert.deepEqual(sleeps, [500, 500]);
    assert.deepEqual(source.inputs[0].LookupAttributes, [{ AttributeKey: 'ResourceName', AttributeValue: 'arn:k' }]);
    assert.equal(source.inputs[0].MaxResults, 50);
    assert.equal(source.inputs[0].StartTime?.getTime(), now.getTime() - 7 * day);
    assert.equal(source.inputs[2].NextToken, '2');
  });

  it('backs off when throttled, stops at maxEvents, cancels, and refuses more than 90 days', async () => {
    let clock = 0;
    const sleeps: number[] = [];
    const sleep = (ms: number): Promise<void> => {
      sleeps.push(ms);
      clock += ms;
      return Promise.resolve();
    };
    const out = await fetchKeyEvents(fakeSource(10, { throttleFirst: 2 }), {
      keyArn: 'arn:k',
      days: 90,
      clock: () => clock,
      sleep,
      maxEvents: 100,
    });
    assert.equal(out.throttled, 2);
    assert.deepEqual(sleeps.slice(0, 2), [1000, 2000]);
    assert.equal(out.events.length, 100);
    assert.equal(out.truncated, true);

    const controller = new AbortController();
    controller.abort();
    await assert.rejects(fetchKeyEvents(fakeSource(2), { keyArn: 'arn:k', days: 1, signal: controller.signal }), /Cancelled/);
    await assert.rejects(fetchKeyEvents(fakeSource(1), { keyArn: 'arn:k', days: 91 }), /from 1 to 90/);
  });

  it('counts calls per day and operation, principals (failures apart) and sources', () => {
    const now = new Date('2026-12-05T12:00:00Z');
    const ev = (name: string, iso: string, arn: string, ip: string, errorCode?: string) => ({
      EventName: name,
      EventTime: new Date(iso),
      CloudTrailEvent: JSON.stringify({ userIdentity: { type: 'IAMUser', arn }, sourceIPAddress: ip, ...(errorCode ? { errorCode } : {}) }),
    });
    const report = summarizeKeyUsage(
      {
        events: [
          ev('Decrypt', '2026-12-05T10:00:00Z', 'arn:aws:iam::1:user/app', '10.0.0.1'),
          ev('Decrypt', '2026-12-05T09:00:00Z', 'arn:aws:iam::1:user/app', '10.0.0.1'),
          ev('Encrypt', '2026-12-03T09:00:00Z', 'arn:aws:iam::1:user/batch', '10.0.0.2', 'DisabledException'),
          {
            EventName: 'Decrypt',
            EventTime: new Date('2026-12-04T00:00:00Z'),
            CloudTrailEvent: JSON.stringify({
              userIdentity: { type: 'AWSService', invokedBy: 's3.amazonaws.com' },
              sourceIPAddress: 's3.amazonaws.com',
            }),
          },
          { EventName: 'Decrypt', EventTime: new Date('2026-12-04T01:00:00Z'), CloudTrailEvent: 'not json', Username: 'someone' },
        ],
        truncated: false,
        calls: 1,
        throttled: 0,
      },
      { keyArn: 'arn:k', days: 3, now },
    );
    assert.deepEqual(
      report.daily.map((d) => d.date),
      ['2026-12-02', '2026-12-03', '2026-12-04', '2026-12-05'],
    );
    assert.deepEqual(
      report.daily.map((d) => d.total),
      [0, 1, 2, 2],
    );
    assert.deepEqual(report.daily[3].byOperation, { Decrypt: 2 });
    assert.deepEqual(report.operations, ['Decrypt', 'Encrypt']);
    assert.deepEqual(report.topPrincipals[0], { principal: 'arn:aws:iam::1:user/app', count: 2, errors: 0 });
    assert.ok(report.topPrincipals.some((p) => p.principal === 'arn:aws:iam::1:user/batch' && p.errors === 1));
    assert.ok(report.topPrincipals.some((p) => p.principal === 's3.amazonaws.com'));
    assert.ok(report.topPrincipals.some((p) => p.principal === 'someone'));
    assert.deepEqual(report.topSources[0], { address: '10.0.0.1', count: 2 });
    assert.equal(report.events[0].time, '2026-12-05T10:00:00.000Z');
    assert.equal(report.events.find((e) => e.errorCode)?.errorCode, 'DisabledException');
  });

  it('finds the CloudTrail endpoint as the SDK would, following the connection', () => {
    const files = AwsConfigFiles.fromSections({
      dev: { services: 'local', region: 'eu-west-1' },
      'services.local': { 'cloudtrail.endpoint_url': 'http://localhost:4599' },
      plain: { endpoint_url: 'http://p:1' },
    });
    assert.deepEqual(serviceEndpoint({ endpoint: 'http://localhost:4566', endpointSource: 'connection' }, 'cloudtrail', {}, files), {
      url: 'http://localhost:4566',
      source: 'connection',
    });
    assert.equal(
      serviceEndpoint({ endpoint: 'http://kms-only', endpointSource: 'AWS_ENDPOINT_URL_KMS' }, 'cloudtrail', {}, files),
      undefined,
    );
    assert.equal(
      serviceEndpoint({}, 'cloudtrail', { AWS_ENDPOINT_URL_CLOUDTRAIL: 'http://ct:1', AWS_ENDPOINT_URL: 'http://all:1' }, files)?.url,
      'http://ct:1',
    );
    assert.equal(serviceEndpoint({}, 'cloudtrail', { AWS_ENDPOINT_URL: 'http://all:1' }, files)?.url, 'http://all:1');
    assert.equal(serviceEndpoint({ profile: 'dev' }, 'cloudtrail', {}, files)?.url, 'http://localhost:4599');
    assert.equal(serviceEndpoint({ profile: 'plain' }, 'cloudtrail', {}, files)?.url, 'http://p:1');
    assert.equal(
      serviceEndpoint(
        { profile: 'dev' },
        'cloudtrail',
        { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true', AWS_ENDPOINT_URL: 'http://all:1' },
        files,
      ),
      undefined,
    );
    assert.throws(
      () => serviceEndpoint({}, 'cloudtrail', { AWS_ENDPOINT_URL_CLOUDTRAIL: 'localhost:4566' }, files),
      /must start with http/,
    );
  });

  describe("against the emulator, through the extension's client factory", () => {
    let fixture: KmsFixture;
    let emulator: Emulator;
    before(async () => {
      fixture = await startKmsFixture({
        prefix: 'kmswb-usage-',
        // CloudTrail reached through the profile's services section, as a real profile would.
        config: (url) => `[profile emu]\nregion = us-east-1\nservices = emu\n[services emu]\ncloudtrail =\n  endpoint_url = ${url}\n`,
        connection: { label: 'emu', endpointSource: 'connection' },
      });
      emulator = fixture.emulator;
    });
    after(() => fixture.close());

    it('reads the events of a key, two principals, across days', async () => {
      const { env, connection, gateway } = fixture;
      const meta = await gateway.createKey({});
      await gateway.encrypt({ keyId: meta.KeyId!, plaintext: Buffer.from('x') });
      await new EmulatorControl(emulator.url).addCloudTrailEvents([
        { eventName: 'Decrypt', time: Date.now() - 2 * day, keyArn: meta.Arn!, principal: 'reporting', sourceIPAddress: '10.1.2.3' },
        { eventName: 'Decrypt', time: Date.now() - 2 * day - 1000, keyArn: meta.Arn!, principal: 'reporting', sourceIPAddress: '10.1.2.3' },
      ]);
      const trail = new CloudTrailClientFactory({ env });
      try {
        const fetched = await fetchKeyEvents(trail.source({ ...connection, endpoint: undefined, endpointSource: undefined }), {
          keyArn: meta.Arn!,
          days: 30,
        });
        const report = summarizeKeyUsage(fetched, { keyArn: meta.Arn!, days: 30 });
        assert.equal(report.totalEvents, 4);
        assert.deepEqual(
          report.topPrincipals.map((p) => [p.principal, p.count]),
          [
            [`arn:aws:iam::${emulator.accountId}:user/reporting`, 2],
            [`arn:aws:iam::${emulator.accountId}:user/test`, 2],
          ],
        );
        assert.equal(report.daily.filter((d) => d.total > 0).length, 2);
      } finally {
        trail.forget();
      }
    });
  });
});
