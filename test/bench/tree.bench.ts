// The KMS view's loading strategy against a naive one, for 1,000 keys and 1,000 aliases with
// 10 ms of latency on every KMS call (emulator fault injection), through the real SDK over HTTP.
//
//   tree   what the view does: ListAliases (all pages: they name the keys) and the first
//          ListKeys page in parallel = first paint; then DescribeKey for the 100 shown keys,
//          at most 8 in flight = first page fully described.
//   naive  list every key (ListKeys pages), list every alias, then DescribeKey every key (the
//          same 8 in flight, so the difference is what is fetched, not how); it can paint only
//          once everything is described.
//
// Each strategy runs several times on fresh caches, alternating; medians are reported.
// Results also go to test-output/bench/tree.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collect, type KmsGateway } from '../../src/core/kms/gateway';
import { ConcurrencyLimiter } from '../../src/core/tree/concurrencyLimiter';
import { KeyDirectory } from '../../src/core/tree/keyDirectory';
import type { Emulator } from '../emulator/server';
import { startKmsFixture } from '../support/kmsFixture';
import { bulkSeed } from '../integration/tree/treeSeeds';

const KEYS = 1000;
const ALIASES = 1000;
const LATENCY_MS = 10;
const RUNS = 5;
const REGION = 'ap-southeast-2';

interface Measurement {
  firstPaintMs: number;
  firstPageDescribedMs: number;
  roundTripsAtFirstPaint: number;
  roundTripsAtFirstPageDescribed: number;
  callsAtFirstPaint: Record<string, number>;
  maxInFlight: number;
}

function total(calls: Record<string, number>): number {
  return Object.values(calls).reduce((a, b) => a + b, 0);
}

async function treeStrategy(kms: Emulator, gateway: KmsGateway): Promise<Measurement> {
  kms.resetCalls();
  const directory = new KeyDirectory(() => gateway);
  const start = performance.now();
  const { aliases, keys } = await directory.firstPaint();
  const firstPaintMs = performance.now() - start;
  const callsAtFirstPaint = kms.calls();
  // The first page the view shows: the customer managed keys of the first ListKeys page.
  const shown = keys.items.flatMap((k) => (k.KeyId && !aliases.isAwsManaged(k.KeyId) ? [k.KeyId] : []));
  await Promise.all(shown.map((id) => directory.describe(id)));
  const firstPageDescribedMs = performance.now() - start;
  return {
    firstPaintMs,
    firstPageDescribedMs,
    roundTripsAtFirstPaint: total(callsAtFirstPaint),
    roundTripsAtFirstPageDescribed: total(kms.calls()),
    callsAtFirstPaint,
    maxInFlight: directory.limiter.maxInFlight,
  };
}

async function naiveStrategy(kms: Emulator, gateway: KmsGateway): Promise<Measurement> {
  kms.resetCalls();
  const start = performance.now();
  const keys = await collect(gateway.listKeys(100));
  await collect(gateway.listAliases());
  const limiter = new ConcurrencyLimiter(8);
  await Promise.all(keys.map((k) => limiter.run(() => gateway.describeKey(k.KeyId!))));
  const doneMs = performance.now() - start;
  const calls = kms.calls();
  return {
    firstPaintMs: doneMs,
    firstPageDescribedMs: doneMs,
    roundTripsAtFirstPaint: total(calls),
    roundTripsAtFirstPageDescribed: total(calls),
    callsAtFirstPaint: calls,
    maxInFlight: limiter.maxInFlight,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function summarise(runs: Measurement[]): Measurement {
  return {
    firstPaintMs: median(runs.map((r) => r.firstPaintMs)),
    firstPageDescribedMs: median(runs.map((r) => r.firstPageDescribedMs)),
    roundTripsAtFirstPaint: median(runs.map((r) => r.roundTripsAtFirstPaint)),
    roundTripsAtFirstPageDescribed: median(runs.map((r) => r.roundTripsAtFirstPageDescribed)),
    callsAtFirstPaint: runs[0].callsAtFirstPaint,
    maxInFlight: Math.max(...runs.map((r) => r.maxInFlight)),
  };
}

async function main(): Promise<void> {
  const fixture = await startKmsFixture({ prefix: 'kmswb-bench-' });
  const kms = fixture.emulator;
  try {
    process.stdout.write(`seeding ${KEYS} keys and ${ALIASES} aliases in ${REGION}… `);
    kms.seed(bulkSeed(REGION, KEYS, ALIASES));
    console.log('done');
    const gateway = fixture.gatewayFor(REGION);

    // Warm up the SDK and the HTTP connections without latency, then add it to every operation.
    await treeStrategy(kms, gateway);
    await naiveStrategy(kms, gateway);
    kms.faults.set('*', { latencyMs: LATENCY_MS });

    const tree: Measurement[] = [];
    const naive: Measurement[] = [];
    for (let i = 0; i < RUNS; i++) {
      tree.push(await treeStrategy(kms, gateway));
      naive.push(await naiveStrategy(kms, gateway));
    }
    const t = summarise(tree);
    const n = summarise(naive);

    const ms = (v: number): string => `${v.toFixed(0)} ms`;
    const ratio = (a: number, b: number): string => `${(a / b).toFixed(1)}×`;
    const rows: [string, string, string, string][] = [
      ['', 'tree (lazy)', 'naive', 'naive ÷ tree'],
      [
        'round trips at first paint',
        String(t.roundTripsAtFirstPaint),
        String(n.roundTripsAtFirstPaint),
        ratio(n.roundTripsAtFirstPaint, t.roundTripsAtFirstPaint),
      ],
      ['time to first paint', ms(t.firstPaintMs), ms(n.firstPaintMs), ratio(n.firstPaintMs, t.firstPaintMs)],
      [
        'round trips to a described first page',
        String(t.roundTripsAtFirstPageDescribed),
        String(n.roundTripsAtFirstPageDescribed),
        ratio(n.roundTripsAtFirstPageDescribed, t.roundTripsAtFirstPageDescribed),
      ],
      [
        'time to a described first page',
        ms(t.firstPageDescribedMs),
        ms(n.firstPageDescribedMs),
        ratio(n.firstPageDescribedMs, t.firstPageDescribedMs),
      ],
      ['most DescribeKey in flight', String(t.maxInFlight), String(n.maxInFlight), ''],
    ];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    console.log(`\nKMS view loading: ${KEYS} keys, ${ALIASES} aliases, ${LATENCY_MS} ms per call, median of ${RUNS} runs each`);
    for (const [i, row] of rows.entries()) {
      console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   '));
      if (i === 0) console.log(widths.map((w) => '─'.repeat(w)).join('   '));
    }
    console.log(`\ntree first paint calls: ${JSON.stringify(t.callsAtFirstPaint)} (ListKeys pages of 100, ListAliases pages of 100)`);
    console.log(`naive calls: ${JSON.stringify(n.callsAtFirstPaint)}`);

    const out = join(process.cwd(), 'test-output', 'bench');
    mkdirSync(out, { recursive: true });
    writeFileSync(
      join(out, 'tree.json'),
      `${JSON.stringify({ keys: KEYS, aliases: ALIASES, latencyMs: LATENCY_MS, runs: RUNS, tree: t, naive: n, ratios: { roundTripsAtFirstPaint: n.roundTripsAtFirstPaint / t.roundTripsAtFirstPaint, firstPaint: n.firstPaintMs / t.firstPaintMs, roundTripsToDescribedFirstPage: n.roundTripsAtFirstPageDescribed / t.roundTripsAtFirstPageDescribed, describedFirstPage: n.firstPageDescribedMs / t.firstPageDescribedMs } }, null, 2)}\n`,
    );
    console.log(`results: ${join('test-output', 'bench', 'tree.json')}`);
  } finally {
    await fixture.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
