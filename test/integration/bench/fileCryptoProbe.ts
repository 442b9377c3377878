// Loaded as the extension tests module by test/bench/hostFileCrypto.bench.ts (not a test file):
// runs Encrypt File / Decrypt File / Re-encrypt File through the real commands inside the
// real extension host (this module runs in that same process), and, in the same run on the
// same files, `age` / `age -a` and a raw AES-256-GCM stream as baselines. While each command
// runs it samples the extension host's event-loop delay (perf_hooks.monitorEventLoopDelay)
// and its resident memory. Nothing here is shipped: the extension has no bench hook.
//
// Input (environment): KMS_BENCH_OUT (JSON result file), KMS_BENCH_DIR (folder holding
// plain-<MiB> files of random bytes), KMS_BENCH_SIZES ("64,1024"), KMS_BENCH_KEY (key ARN),
// KMS_BENCH_REPEATS (default 3), KMS_BENCH_AGE (age binary, optional), KMS_BENCH_ONLY=reencrypt
// (only encrypt, decrypt, re-encrypt and decrypt-then-encrypt: no baselines, no selections),
// KMS_BENCH_FORMATS (default "base64,binary"), KMS_BENCH_WARM=0 (no page warming, see warmPages).
import { execFile } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { copyFile, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { EmulatorControl } from '../../emulator/control';

const MiB = 1024 * 1024;

interface Sample {
  ms: number;
  /** Of several runs (`ms` is the fastest): the median, the lower one of an even count. */
  medianMs?: number;
  /** Event-loop delay of the extension host while it ran, ms. */
  p99?: number;
  max?: number;
  /** Largest resident memory above the one before it started, MiB. */
  rssGrowthMiB?: number;
  /** Most threads of the extension host's process while it ran, above the number before (a worker thread shows here). */
  extraThreads?: number;
  /** The extension host's garbage collections while it ran: the longest pause, ms. */
  gcMaxMs?: number;
  /** Page faults that read from disk, the whole process (code or files paged out under memory pressure). */
  majorFaults?: number;
  /** CPU time of the extension host's main thread while it ran, ms. */
  mainThreadCpuMs?: number;
  /** The command failed (its message). */
  failed?: string;
}

/** CPU time (user + system) the process's main thread has used, ms (Linux; 0 elsewhere). */
function mainThreadCpuMs(): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime, fields 14 and 15 of stat, in clock ticks (100 a second).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

function threads(): number {
  try {
    return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Times `task`, watching this process's event loop and memory. */
async function watched(task: () => Promise<unknown>): Promise<Sample> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  const rss0 = process.memoryUsage.rss();
  const threads0 = threads();
  let peak = rss0;
  let mostThreads = threads0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
    mostThreads = Math.max(mostThreads, threads());
  }, 20);
  // What stalls the event loop other than the command: the host's own collections, and page
  // faults that go to disk.
  let gcMaxMs = 0;
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMaxMs = Math.max(gcMaxMs, e.duration);
  });
  gcs.observe({ entryTypes: ['gc'] });
  const faults0 = process.resourceUsage().majorPageFault;
  const cpu0 = mainThreadCpuMs();
  histogram.enable();
  const t0 = performance.now();
  try {
    await task();
  } finally {
    histogram.disable();
    clearInterval(timer);
    gcs.disconnect();
  }
  const ms = performance.now() - t0;
  peak = Math.max(peak, process.memoryUsage.rss());
  return {
    ms,
    p99: histogram.percentile(99) / 1e6,
    max: histogram.max / 1e6,
    rssGrowthMiB: (peak - rss0) / MiB,
    extraThreads: mostThreads - threads0,
    gcMaxMs,
    majorFaults: process.resourceUsage().majorPageFault - faults0,
    mainThreadCpuMs: mainThreadCpuMs() - cpu0,
  };
}

async function timed(task: () => Promise<unknown>): Promise<Sample> {
  const t0 = performance.now();
  await task();
  return { ms: performance.now() - t0 };
}

/** Best (fastest) of the runs; event-loop delay and memory: the worst of the runs. */
function best(samples: Sample[]): Sample {
  const fastest = samples.reduce((a, b) => (b.ms < a.ms ? b : a));
  const worst = (
    k: 'p99' | 'max' | 'rssGrowthMiB' | 'extraThreads' | 'gcMaxMs' | 'majorFaults' | 'mainThreadCpuMs',
  ): number | undefined => {
    const v = samples.map((s) => s[k]).filter((x): x is number => x !== undefined);
    return v.length ? Math.max(...v) : undefined;
  };
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  return {
    ms: fastest.ms,
    medianMs: sorted[Math.floor((sorted.length - 1) / 2)],
    p99: worst('p99'),
    max: worst('max'),
    rssGrowthMiB: worst('rssGrowthMiB'),
    extraThreads: worst('extraThreads'),
    gcMaxMs: worst('gcMaxMs'),
    majorFaults: worst('majorFaults'),
    mainThreadCpuMs: worst('mainThreadCpuMs'),
  };
}

async function fsyncFile(path: string): Promise<void> {
  const h = await open(path, 'r+');
  await h.sync();
  await h.close();
}

const nothing = (): Promise<void> => Promise.resolve();

/**
 * Copies a file into place for the next command and flushes it: the command then starts on a
 * quiet disk, as a person's file is, instead of behind the write-back of the copy just made
 * (which delayed the few small flushes of a header-only re-encrypt by 5-10 ms). Then waits for
 * the workspace to settle: the copy is a file event, and the extension's inventory reads a
 * changed file (and asks git about a new one) 150 ms after the last event; measured while that
 * ran, a command was charged for the bench's own copy (a git process started, 5-25 ms of the
 * extension host's thread).
 */
async function copyFlushed(from: string, to: string): Promise<void> {
  await copyFile(from, to);
  await fsyncFile(to);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

/** The inventory's debounce (150 ms) and its work on one file, with room. */
const SETTLE_MS = 600;

/**
 * Writes and deletes a scratch file of `bytes` (outside the workspace) just before a timed run,
 * ours or a baseline's, so that the run writes its output into memory the system has just
 * freed. On a virtual machine whose hypervisor takes back the memory the guest frees (free
 * page reporting: this project's VM), the first write to such memory costs about 6 s per GiB
 * of kernel time (1 GiB in 5.8-8.2 s, against 0.23-0.26 s once the pages were just freed).
 * Without this, the comparison was skewed by which pages each writer got: `age -o` truncates
 * and rewrites its previous output (its own just-freed pages), while the command writes a new
 * file beside the original (pages the hypervisor had taken back). Both writers now start from
 * the same state, the one of a machine that keeps its memory.
 */
async function warmPages(bytes: number): Promise<void> {
  if (bytes <= 0 || process.env.KMS_BENCH_WARM === '0') return;
  const scratch = join(tmpdir(), `kms-bench-warm-${process.pid}`);
  const handle = await open(scratch, 'w');
  try {
    const block = Buffer.alloc(MiB, 0x5a);
    for (let at = 0; at < bytes; at += block.length) await handle.write(block, 0, block.length, at);
  } finally {
    await handle.close();
    await rm(scratch, { force: true });
  }
}

export async function run(): Promise<void> {
  const out = need('KMS_BENCH_OUT');
  const dir = need('KMS_BENCH_DIR');
  const keyId = need('KMS_BENCH_KEY');
  const sizes = need('KMS_BENCH_SIZES').split(',').map(Number);
  const repeats = Number(process.env.KMS_BENCH_REPEATS ?? 3);
  const formats = (process.env.KMS_BENCH_FORMATS ?? 'base64,binary').split(',') as ('base64' | 'binary')[];
  const age = process.env.KMS_BENCH_AGE && existsSync(process.env.KMS_BENCH_AGE) ? process.env.KMS_BENCH_AGE : undefined;
  const ext = vscode.extensions.getExtension('kms-workbench.kms-workbench');
  if (!ext) throw new Error('kms-workbench.kms-workbench is not installed');
  await ext.activate();
  // Let the freshly started host settle (activation, the workspace scan) before measuring.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const exec = promisify(execFile);
  let recipient = '';
  if (age) {
    await exec(`${age}-keygen`, ['-o', join(dir, 'age.key')]);
    recipient = /public key: (age1\w+)/.exec(readFileSync(join(dir, 'age.key'), 'utf8'))?.[1] ?? '';
  }
  const results: Record<string, Record<string, Sample>> = {};
  const command = (id: string, arg: Record<string, unknown>): Promise<unknown> =>
    Promise.resolve(vscode.commands.executeCommand(`kmsWorkbench.${id}`, arg));
  /** What warmPages writes before each timed run of the current size: more than any run writes (base64 is 4/3 of the bytes). */
  let warmBytes = 0;
  const repeat = async (n: number, prepare: () => Promise<void>, task: () => Promise<unknown>, watch: boolean): Promise<Sample> => {
    const samples: Sample[] = [];
    for (let i = 0; i < n; i++) {
      await prepare();
      await warmPages(warmBytes);
      samples.push(await (watch ? watched(task) : timed(task)));
    }
    return best(samples);
  };

  for (const sizeMiB of sizes) {
    const plain = join(dir, `plain-${sizeMiB}`);
    const work = join(dir, `work-${sizeMiB}.bin`);
    const uri = vscode.Uri.file(work);
    const r: Record<string, Sample> = (results[String(sizeMiB)] = {});
    const fresh = (): Promise<void> => copyFlushed(plain, work);
    warmBytes = Math.ceil(sizeMiB * 1.5) * MiB;
    const n = sizeMiB >= 1024 ? Math.min(repeats, 2) : repeats;
    for (const format of formats) {
      const encrypted = join(dir, `enc-${sizeMiB}-${format}`);
      r[`encrypt ${format}`] = await repeat(n, fresh, () => command('encryptFile', { uri, keyId, format }), true);
      await copyFile(work, encrypted);
      r[`decrypt ${format}`] = await repeat(
        n,
        () => copyFlushed(encrypted, work),
        () => command('decryptFile', { uri }),
        true,
      );
      if (!(await sameFile(work, plain))) throw new Error(`the ${format} round trip of ${sizeMiB} MiB did not give the plaintext back`);
      // Re-encrypt (header only) against what it replaces: decrypt, then encrypt again.
      r[`re-encrypt ${format}`] = await repeat(
        n,
        () => copyFlushed(encrypted, work),
        () => command('reEncryptFile', { uri, keyId }),
        true,
      );
      r[`decrypt then encrypt ${format}`] = await repeat(
        n,
        () => copyFlushed(encrypted, work),
        async () => {
          await command('decryptFile', { uri });
          await command('encryptFile', { uri, keyId, format });
        },
        false,
      );
      await rm(encrypted, { force: true });
    }
    if (process.env.KMS_BENCH_ONLY === 'reencrypt') continue;
    // Baselines, same files, same run.
    const key = Buffer.alloc(32, 7);
    const iv = Buffer.alloc(12, 1);
    const rawOut = join(dir, 'raw.out');
    r['raw AES-256-GCM encrypt'] = await repeat(
      n,
      nothing,
      async () => {
        await pipeline(createReadStream(plain, { highWaterMark: MiB }), createCipheriv('aes-256-gcm', key, iv), createWriteStream(rawOut));
        await fsyncFile(rawOut);
      },
      false,
    );
    await rm(rawOut, { force: true });
    if (age) {
      // Watched too: the extension host is idle while age runs, so its event-loop delay then is
      // the machine's own (other processes on the same cores), the floor for ours.
      const ageOut = join(dir, 'age.out');
      const ageBack = join(dir, 'age.back');
      r['age encrypt'] = await repeat(n, nothing, () => exec(age, ['-r', recipient, '-o', ageOut, plain]), true);
      r['age decrypt'] = await repeat(n, nothing, () => exec(age, ['-d', '-i', join(dir, 'age.key'), '-o', ageBack, ageOut]), true);
      r['age -a encrypt'] = await repeat(n, nothing, () => exec(age, ['-a', '-r', recipient, '-o', ageOut, plain]), true);
      r['age -a decrypt'] = await repeat(n, nothing, () => exec(age, ['-d', '-i', join(dir, 'age.key'), '-o', ageBack, ageOut]), true);
      await rm(ageOut, { force: true });
      await rm(ageBack, { force: true });
    }
    await rm(work, { force: true });
  }
  if (process.env.KMS_BENCH_ONLY !== 'reencrypt') results.selections = await selections(dir, keyId);
  writeFileSync(out, JSON.stringify(results));
}

/**
 * 200 selections of one multi-cursor edit through kmsWorkbench.encryptSelection against a KMS
 * answering every Encrypt in 10 ms (the emulator's latency fault); then with the first 20
 * calls throttled as well. Best of 3 each.
 */
async function selections(dir: string, keyId: string): Promise<Record<string, Sample>> {
  const control = new EmulatorControl(need('KMS_EMULATOR_URL'));
  const count = 200;
  const content = Array.from({ length: count }, (_, i) => `SECRET_${i}=value-${i}`).join('\n') + '\n';
  const path = join(dir, 'many.env');
  writeFileSync(path, content);
  const editor = await vscode.window.showTextDocument(vscode.Uri.file(path), { preview: false });
  const select = (): void => {
    editor.selections = Array.from(
      { length: count },
      (_, i) => new vscode.Selection(i, `SECRET_${i}=`.length, i, `SECRET_${i}=value-${i}`.length),
    );
  };
  const out: Record<string, Sample> = {};
  for (const [name, fault] of [
    ['200 selections, 10 ms per call', { latencyMs: 10 }],
    ['200 selections, 10 ms, 20 throttled', { latencyMs: 10, throttle: 20 }],
  ] as const) {
    const samples: Sample[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        select();
        await control.setFault('Encrypt', fault);
        samples.push(await watched(() => Promise.resolve(vscode.commands.executeCommand('kmsWorkbench.encryptSelection', { keyId }))));
        if (editor.document.getText() === content) throw new Error('the selections were not encrypted');
        await vscode.commands.executeCommand('undo');
      }
      out[name] = best(samples);
    } catch (error) {
      // A build that gives up (say, throttled past its retries) is reported, not fatal.
      out[name] = { ms: Number.NaN, failed: error instanceof Error ? error.message : String(error) };
      await control.clearFaults();
    }
  }
  await control.clearFaults();
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  return out;
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([open(a, 'r'), open(b, 'r')]);
  try {
    const bx = Buffer.alloc(8 * MiB);
    const by = Buffer.alloc(8 * MiB);
    for (let at = 0; ; at += bx.length) {
      const [rx, ry] = await Promise.all([x.read(bx, 0, bx.length, at), y.read(by, 0, by.length, at)]);
      if (rx.bytesRead !== ry.bytesRead) return false;
      if (rx.bytesRead === 0) return true;
      if (!bx.subarray(0, rx.bytesRead).equals(by.subarray(0, ry.bytesRead))) return false;
    }
  } finally {
    await x.close();
    await y.close();
  }
}

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}
