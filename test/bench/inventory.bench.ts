// `npm run bench` (or `node scripts/bench.mjs inventory`): the workspace-secrets inventory and
// re-keying many files.
//
//   inventory   10,000 files (500 encrypted: Encryption SDK messages base64 and binary, KMS blob
//               files, SOPS files, .env files with blobs inside; 9,500 plaintext source-like
//               files of 1–4 KiB in nested folders): time to build the index from nothing (16 files
//               in flight, as the view does), the heap it keeps, and the time and reads of an
//               incremental update after one file changes.
//   re-key      200 files (messages re-wrapped, blob files and .env blobs re-encrypted by KMS)
//               from one key to another with 10 ms of latency on every KMS call (emulator fault
//               injection), verified one by one as the command does: files per second.
// KMS is this project's emulator, in this process, reached over HTTP through the real SDK.
// Results also go to test-output/bench/inventory.json.
import { copyFileSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encryptFileInPlace } from '../../src/core/envelope/fileEncryption';
import { encryptSecret } from '../../src/core/envelope/secretText';
import { classifyFile, type InventoryEntry } from '../../src/core/inventory/classify';
import { InventoryIndex } from '../../src/core/inventory/inventoryIndex';
import { planReKey, runReKey } from '../../src/core/inventory/reKey';
import { encryptNew, type SopsKeyService } from '../../src/core/sops/sopsFile';
import { startKmsFixture } from '../support/kmsFixture';

const TOTAL = 10_000;
const ENCRYPTED = 500;
const REKEY_FILES = 200;
const LATENCY_MS = 10;

const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

async function main(): Promise<void> {
  const kms = await startKmsFixture({ prefix: 'kmswb-bench-inventory-' });
  const { emulator, dir, gatewayFor, gateway: gw } = kms;
  try {
    const job = { envelope: kms.envelope, gatewayFor };
    const from = (await gw.createKey({})).Arn!;
    const to = (await gw.createKey({})).Arn!;
    const sopsKeys: SopsKeyService = {
      decryptDataKey: async (k) => (await gw.decrypt({ ciphertext: Buffer.from(k.enc, 'base64'), keyId: k.arn })).plaintext,
      encryptDataKey: async (k, dataKey) => (await gw.encrypt({ keyId: k.arn, plaintext: dataKey })).ciphertext,
    };

    // Templates of each encrypted format (outside the workspace), then copies.
    const tdir = join(dir, 'templates');
    mkdirSync(tdir);
    const t = (name: string, content: string): string => {
      const p = join(tdir, name);
      writeFileSync(p, content);
      return p;
    };
    const msg = t('msg.txt', 'x'.repeat(2000));
    await encryptFileInPlace(msg, { keyId: from, encryptionContext: { app: 'bench' } }, job);
    const bin = t('msg.bin', 'y'.repeat(2000));
    await encryptFileInPlace(bin, { keyId: from, format: 'binary' }, job);
    const blob = t('token.kms', 'token');
    await encryptFileInPlace(blob, { keyId: from, format: 'blob' }, job);
    const secret = await encryptSecret(Buffer.from('pw'), { keyId: from }, job);
    const env = t('app.env', `# config\nUSER=me\nHOST=db.internal\nPASSWORD=${secret.ciphertext}\n`);
    const sops = t(
      'values.sops.yaml',
      await encryptNew(Buffer.from('a: 1\nb: two\n'), { format: 'yaml', keys: [{ arn: from }] }, sopsKeys),
    );
    const templates = [msg, bin, blob, env, sops];

    const ws = join(dir, 'ws');
    const paths: string[] = [];
    const filler = 'export const value = 42; // a line of ordinary source code, nothing secret here\n';
    const every = TOTAL / ENCRYPTED;
    for (let i = 0; i < TOTAL; i++) {
      const folder = join(ws, `pkg${i % 50}`, `mod${i % 7}`);
      mkdirSync(folder, { recursive: true });
      let p: string;
      if (i % every === 0) {
        const tpl = templates[(i / every) % templates.length];
        p = join(folder, `f${i}-${tpl.slice(tpl.lastIndexOf('/') + 1)}`);
        copyFileSync(tpl, p);
      } else {
        p = join(folder, `f${i}.ts`);
        writeFileSync(p, filler.repeat(12 + (i % 40)));
      }
      paths.push(p);
    }

    // --- inventory from nothing
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const index = new InventoryIndex();
    const started = performance.now();
    await index.scan(paths, { concurrency: 16 });
    const scanMs = performance.now() - started;
    gc();
    const heapKept = process.memoryUsage().heapUsed - heapBefore;
    const encrypted = index.entries().length;
    if (encrypted !== ENCRYPTED) throw new Error(`expected ${ENCRYPTED} encrypted files, found ${encrypted}`);

    // --- one file changes: only it is read again
    const readsBefore = index.reads;
    const changed = paths[1];
    utimesSync(changed, new Date(), new Date(Date.now() + 10_000));
    const incStarted = performance.now();
    await index.scan(paths, { concurrency: 16 });
    const incrementalMs = performance.now() - incStarted;
    const incrementalReads = index.reads - readsBefore;
    const one = performance.now();
    utimesSync(changed, new Date(), new Date(Date.now() + 20_000));
    await index.update(changed);
    const singleUpdateMs = performance.now() - one;

    // --- re-key throughput at 10 ms per KMS call
    const rdir = join(dir, 'rekey');
    mkdirSync(rdir);
    const rekeyTemplates = [msg, blob, env];
    const entries: InventoryEntry[] = [];
    for (let i = 0; i < REKEY_FILES; i++) {
      const tpl = rekeyTemplates[i % rekeyTemplates.length];
      const p = join(rdir, `r${i}-${tpl.slice(tpl.lastIndexOf('/') + 1)}`);
      copyFileSync(tpl, p);
      entries.push((await classifyFile(p))!);
    }
    emulator.faults.set('*', { latencyMs: LATENCY_MS });
    emulator.resetCalls();
    const plan = planReKey(entries, { toKeyArns: [to], fromKeyId: from });
    const rekeyStarted = performance.now();
    const results = await runReKey(plan, { gatewayFor, job, sopsKeys });
    const rekeyMs = performance.now() - rekeyStarted;
    emulator.faults.clear();
    const done = results.filter((r) => r.status === 'done').length;
    if (done !== REKEY_FILES)
      throw new Error(`re-key: ${done} of ${REKEY_FILES} done: ${results.find((r) => r.status !== 'done')?.message}`);
    const calls = emulator.calls();

    const report = {
      inventory: {
        files: TOTAL,
        encrypted,
        scanMs: Math.round(scanMs),
        heapKeptMiB: mib(heapKept),
        rssMiB: mib(process.memoryUsage().rss),
        incrementalRescanMs: Math.round(incrementalMs),
        incrementalReads,
        singleUpdateMs: Math.round(singleUpdateMs * 10) / 10,
      },
      reKey: {
        files: REKEY_FILES,
        latencyMs: LATENCY_MS,
        ms: Math.round(rekeyMs),
        filesPerSecond: Math.round((REKEY_FILES / (rekeyMs / 1000)) * 10) / 10,
        kmsCalls: calls,
      },
    };
    console.log(
      `inventory: ${TOTAL} files (${encrypted} encrypted) indexed in ${report.inventory.scanMs} ms; heap kept ${report.inventory.heapKeptMiB} MiB (RSS ${report.inventory.rssMiB} MiB)`,
    );
    console.log(
      `  one file changed: full pass ${report.inventory.incrementalRescanMs} ms reading ${incrementalReads} file(s); a single update ${report.inventory.singleUpdateMs} ms`,
    );
    console.log(
      `re-key: ${REKEY_FILES} files (messages, blob files, .env blobs) at ${LATENCY_MS} ms per KMS call: ${report.reKey.ms} ms, ${report.reKey.filesPerSecond} files/s; KMS calls ${JSON.stringify(calls)}`,
    );
    mkdirSync('test-output/bench', { recursive: true });
    writeFileSync('test-output/bench/inventory.json', `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await kms.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
