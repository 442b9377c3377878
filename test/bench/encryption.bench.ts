// `npm run bench` (or `node scripts/bench.mjs encryption`): file encryption in place.
//
// For 64 MiB and 256 MiB files of random bytes, in this one run on this machine:
//   ours       encrypt / decrypt in place (AWS Encryption SDK message, committing suite without
//              signature, 1 MiB frames; base64 armor and binary), and re-encrypt (header re-wrap)
//   raw        AES-256-GCM streamed by Node (createCipheriv), same chunks, same fsync: the ceiling
//   age        the Debian `age` binary (X25519 recipient; -a for its armor) on the same file
//   defaults   (64 MiB only) the Encryption SDK's own defaults: 4 KiB frames, signing suite
// MB/s (10^6 bytes per second of plaintext; the median of 3 runs, KMS_BENCH_REPEATS to change)
// and peak memory (max RSS of the process doing the work, the largest of the runs). Each operation runs in a process of its own; Node operations time only the operation
// (not Node's start-up), age is timed from outside (its start-up is a few milliseconds).
// KMS is this project's emulator, in this process (one GenerateDataKey or Decrypt per file).
// Goals (issue 5): at least age's throughput, at least 60% of raw AES-GCM, flat memory.
import { execFile, spawn } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  openSync,
  closeSync,
  fsyncSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';

const MiB = 1024 * 1024;
const AGE = '/usr/bin/age';
const AGE_KEYGEN = '/usr/bin/age-keygen';
const TIME = '/usr/bin/time';
const SELF = __filename;

interface Measured {
  ms: number;
  /** Peak resident memory in MiB, when known. */
  peakMiB?: number;
}

// ---------------------------------------------------------------------------- worker side

async function worker(args: string[]): Promise<void> {
  const [op, file, extra, endpoint] = args;
  const started = process.hrtime.bigint();
  if (op === 'raw-encrypt' || op === 'raw-decrypt') {
    const key = Buffer.alloc(32, 7);
    const iv = Buffer.alloc(12, 1);
    const out = `${file}.out`;
    if (op === 'raw-encrypt') {
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      await pipeline(createReadStream(file, { highWaterMark: MiB }), cipher, createWriteStream(out, { highWaterMark: MiB }));
    } else {
      // Decrypting needs the tag of the encryption: made here, not timed as part of the read.
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAuthTag(readFileSync(`${file}.tag`));
      await pipeline(createReadStream(file, { highWaterMark: MiB }), decipher, createWriteStream(out, { highWaterMark: MiB }));
    }
    const fd = openSync(out, 'r+');
    fsyncSync(fd);
    closeSync(fd);
  } else if (op === 'esdk-defaults') {
    const esdk = await import('@aws-crypto/client-node');
    const { KMS } = await import('@aws-sdk/client-kms');
    const kms = new KMS({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const { encryptStream } = esdk.buildClient(esdk.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
    const keyring = new esdk.KmsKeyringNode({ clientProvider: () => kms, generatorKeyId: extra });
    const t0 = process.hrtime.bigint();
    await pipeline(createReadStream(file, { highWaterMark: MiB }), encryptStream(keyring), createWriteStream(`${file}.out`));
    const fd = openSync(`${file}.out`, 'r+');
    fsyncSync(fd);
    closeSync(fd);
    report(Number(process.hrtime.bigint() - t0) / 1e6);
    kms.destroy();
    return;
  } else {
    const { EnvelopeCrypto } = await import('../../src/core/envelope/envelopeCrypto');
    const { regionalGateways } = await import('../../src/core/envelope/regionalGateways');
    const { KmsClientFactory } = await import('../../src/core/kms/client');
    const { FIXTURE_PROFILE } = await import('../support/kmsFixture');
    const files = JSON.parse(extra) as { config: string; credentials: string; keyId: string };
    const factory = new KmsClientFactory({
      env: { AWS_CONFIG_FILE: files.config, AWS_SHARED_CREDENTIALS_FILE: files.credentials, AWS_EC2_METADATA_DISABLED: 'true' },
    });
    const gatewayFor = regionalGateways(factory, { id: 'bench', label: 'bench', profile: FIXTURE_PROFILE, region: 'us-east-1', endpoint });
    const job = { envelope: new EnvelopeCrypto(gatewayFor), gatewayFor };
    const ops = await import('../../src/core/envelope/fileEncryption');
    // Load the Encryption SDK and open the connection before timing (what a second use costs).
    await (await import('../../src/core/lazy/loadEncryptionSdk')).loadEncryptionSdk();
    await gatewayFor(undefined).describeKey(files.keyId);
    const t0 = process.hrtime.bigint();
    if (op === 'encrypt-base64' || op === 'encrypt-binary')
      await ops.encryptFileInPlace(file, { keyId: files.keyId, format: op === 'encrypt-base64' ? 'base64' : 'binary' }, job);
    else if (op === 'decrypt') await ops.decryptFileInPlace(file, {}, job);
    else if (op === 'rewrap') await ops.reEncryptFileInPlace(file, { keyId: files.keyId }, job);
    else throw new Error(`unknown operation ${op}`);
    report(Number(process.hrtime.bigint() - t0) / 1e6);
    factory.forget();
    return;
  }
  report(Number(process.hrtime.bigint() - started) / 1e6);
}

function report(ms: number): void {
  process.stdout.write(`${JSON.stringify({ ms, peakMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
}

// ---------------------------------------------------------------------------- orchestrator

function runWorker(...args: string[]): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SELF, '--worker', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`worker ${args[0]} failed (exit ${code}): ${out}`));
      else resolve(JSON.parse(line) as Measured);
    });
  });
}

/** Runs a command, timed from outside, with its peak memory from GNU time when available. */
async function runTimed(command: string, args: string[]): Promise<Measured> {
  const useTime = existsSync(TIME);
  const t0 = process.hrtime.bigint();
  const { stderr } = await promisify(execFile)(useTime ? TIME : command, useTime ? ['-f', 'KMSBENCH %M', command, ...args] : args, {
    maxBuffer: 16 * MiB,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const kb = /KMSBENCH (\d+)/.exec(stderr)?.[1];
  return { ms, peakMiB: kb ? Number(kb) / 1024 : undefined };
}

const mbps = (bytes: number, m: Measured): number => bytes / 1e6 / (m.ms / 1000);

/** Runs a measurement REPEATS times: the median time, the largest peak memory. */
const REPEATS = Number(process.env.KMS_BENCH_REPEATS ?? 3);
async function repeat(measure: () => Promise<Measured>): Promise<Measured> {
  const runs: Measured[] = [];
  for (let i = 0; i < REPEATS; i++) runs.push(await measure());
  const times = runs.map((r) => r.ms).sort((a, b) => a - b);
  const peaks = runs.map((r) => r.peakMiB).filter((p): p is number => p !== undefined);
  return { ms: times[Math.floor(times.length / 2)], peakMiB: peaks.length ? Math.max(...peaks) : undefined };
}

async function main(): Promise<void> {
  const { startEmulator } = await import('../emulator/server');
  const emulator = await startEmulator({ port: 0 });
  const { awsProfileFiles } = await import('../support/kmsFixture');
  const { dir } = awsProfileFiles({ prefix: 'kmswb-bench-' });
  const rows: { size: number; name: string; m: Measured }[] = [];
  try {
    const { KMSClient, CreateKeyCommand } = await import('@aws-sdk/client-kms');
    const client = new KMSClient({
      endpoint: emulator.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const keyArn = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    client.destroy();
    const kmsFiles = JSON.stringify({ config: join(dir, 'config'), credentials: join(dir, 'credentials'), keyId: keyArn });
    const haveAge = existsSync(AGE) && existsSync(AGE_KEYGEN);
    let recipient = '';
    if (haveAge) {
      await promisify(execFile)(AGE_KEYGEN, ['-o', join(dir, 'age.key')]);
      recipient = /public key: (age1\w+)/.exec(readFileSync(join(dir, 'age.key'), 'utf8'))?.[1] ?? '';
    } else {
      console.log(`(${AGE} not found: install the Debian package "age" for the age columns)`);
    }

    for (const sizeMiB of [64, 256]) {
      const size = sizeMiB * MiB;
      const plain = join(dir, `plain-${sizeMiB}`);
      writeFileSync(plain, randomBytes(size));
      const work = join(dir, 'work');
      const fresh = (): string => {
        rmSync(`${work}.out`, { force: true });
        copyFileSync(plain, work);
        return work;
      };
      const add = (name: string, m: Measured): void => {
        rows.push({ size, name, m });
        console.log(
          `  ${String(sizeMiB).padStart(3)} MiB  ${name.padEnd(34)} ${mbps(size, m).toFixed(0).padStart(6)} MB/s   peak ${m.peakMiB?.toFixed(0).padStart(5) ?? '    ?'} MiB`,
        );
      };
      console.log(`\n${sizeMiB} MiB`);

      // Raw AES-256-GCM (the ceiling).
      add('raw AES-256-GCM encrypt', await repeat(() => runWorker('raw-encrypt', fresh())));
      {
        const key = Buffer.alloc(32, 7);
        const cipher = createCipheriv('aes-256-gcm', key, Buffer.alloc(12, 1));
        await pipeline(createReadStream(plain, { highWaterMark: MiB }), cipher, createWriteStream(work));
        writeFileSync(`${work}.tag`, cipher.getAuthTag());
        add('raw AES-256-GCM decrypt', await repeat(() => runWorker('raw-decrypt', work)));
      }

      // Ours, in place: every repetition starts from a copy of the same input.
      const encBase64 = join(dir, 'enc-base64');
      const encBinary = join(dir, 'enc-binary');
      const from = (source: string): string => {
        copyFileSync(source, work);
        return work;
      };
      add('ours encrypt (base64)', await repeat(() => runWorker('encrypt-base64', fresh(), kmsFiles, emulator.url)));
      copyFileSync(work, encBase64);
      add('ours decrypt (base64)', await repeat(() => runWorker('decrypt', from(encBase64), kmsFiles, emulator.url)));
      add('ours encrypt (binary)', await repeat(() => runWorker('encrypt-binary', fresh(), kmsFiles, emulator.url)));
      copyFileSync(work, encBinary);
      add('ours re-encrypt (binary, re-wrap)', await repeat(() => runWorker('rewrap', from(encBinary), kmsFiles, emulator.url)));
      add('ours decrypt (binary)', await repeat(() => runWorker('decrypt', from(encBinary), kmsFiles, emulator.url)));
      if (!readFileSync(work).equals(readFileSync(plain))) throw new Error('the round trip did not give the plaintext back');

      if (haveAge) {
        // age does not flush its output to disk; in place we must (fsync before the rename).
        // "+ fsync" runs coreutils' `sync FILE` on age's output in the same timing.
        const key = join(dir, 'age.key');
        const sh = (command: string): Promise<Measured> => runTimed('/bin/sh', ['-c', command]);
        add('age encrypt (binary)', await repeat(() => runTimed(AGE, ['-r', recipient, '-o', `${work}.age`, plain])));
        add('age encrypt (binary) + fsync', await repeat(() => sh(`${AGE} -r ${recipient} -o ${work}.age ${plain} && sync ${work}.age`)));
        add('age decrypt (binary)', await repeat(() => runTimed(AGE, ['-d', '-i', key, '-o', `${work}.out`, `${work}.age`])));
        add('age decrypt (binary) + fsync', await repeat(() => sh(`${AGE} -d -i ${key} -o ${work}.out ${work}.age && sync ${work}.out`)));
        add(
          'age encrypt (armor, -a) + fsync',
          await repeat(() => sh(`${AGE} -a -r ${recipient} -o ${work}.age ${plain} && sync ${work}.age`)),
        );
        add('age decrypt (armor) + fsync', await repeat(() => sh(`${AGE} -d -i ${key} -o ${work}.out ${work}.age && sync ${work}.out`)));
      }
      if (sizeMiB === 64) add('SDK defaults encrypt (4 KiB, signed)', await runWorker('esdk-defaults', fresh(), keyArn, emulator.url));
      rmSync(encBase64, { force: true });
      rmSync(encBinary, { force: true });
      rmSync(plain, { force: true });
    }

    console.log('\nRatios (same run, same files):');
    for (const sizeMiB of [64, 256]) {
      const size = sizeMiB * MiB;
      const get = (name: string): Measured | undefined => rows.find((r) => r.size === size && r.name === name)?.m;
      const ratio = (a: string, b: string): string => {
        const x = get(a);
        const y = get(b);
        return x && y ? `${((mbps(size, x) / mbps(size, y)) * 100).toFixed(0)}%` : 'n/a';
      };
      console.log(`  ${sizeMiB} MiB:`);
      console.log(
        `    encrypt binary: ${ratio('ours encrypt (binary)', 'raw AES-256-GCM encrypt')} of raw AES-GCM, ${ratio('ours encrypt (binary)', 'age encrypt (binary) + fsync')} of age + fsync (${ratio('ours encrypt (binary)', 'age encrypt (binary)')} of age without)`,
      );
      console.log(
        `    decrypt binary: ${ratio('ours decrypt (binary)', 'raw AES-256-GCM decrypt')} of raw AES-GCM, ${ratio('ours decrypt (binary)', 'age decrypt (binary) + fsync')} of age + fsync (${ratio('ours decrypt (binary)', 'age decrypt (binary)')} of age without)`,
      );
      console.log(
        `    re-encrypt (re-wrap): ${ratio('ours re-encrypt (binary, re-wrap)', 'raw AES-256-GCM decrypt')} of raw AES-GCM decrypt`,
      );
      console.log(
        `    base64: encrypt ${ratio('ours encrypt (base64)', 'age encrypt (armor, -a) + fsync')} of age -a + fsync, decrypt ${ratio('ours decrypt (base64)', 'age decrypt (armor) + fsync')} of age -a + fsync`,
      );
    }
    const peaks = (name: string): string =>
      [64, 256].map((s) => rows.find((r) => r.size === s * MiB && r.name === name)?.m.peakMiB?.toFixed(0) ?? '?').join(' → ');
    console.log(
      `  peak memory 64 → 256 MiB: ours encrypt ${peaks('ours encrypt (base64)')} MiB, ours decrypt ${peaks('ours decrypt (base64)')} MiB, raw ${peaks('raw AES-256-GCM encrypt')} MiB, age ${peaks('age encrypt (binary)')} MiB`,
    );
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--worker') {
  worker(process.argv.slice(3)).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
