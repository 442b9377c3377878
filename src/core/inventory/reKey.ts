// Re-keying many files: a plan first (files, formats, from → to), then one file at a time,
// each atomic, each verified to open with the new key before it counts as done. The journal
// (which files are done; never a secret) lets a run that failed or was interrupted resume.
//
//   Encryption SDK messages   header re-wrap (KMS Decrypt + ReEncrypt of the data key; the
//                             content is untouched), via reEncryptFileInPlace
//   KMS blob files            KMS ReEncrypt (plaintext never leaves KMS), via reEncryptFileInPlace
//   KMS blobs inside text     KMS ReEncrypt of each blob of the source key, the file rewritten once
//   SOPS files                updatekeys: the data key wrapped for the new key, the old key's entry dropped
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { encodeBase64 } from '../envelope/base64';
import { detectTextCiphertext } from '../envelope/detect';
import type { GatewayForRegion } from '../envelope/envelopeCrypto';
import { type FileJob, inspectFile, reEncryptFileInPlace } from '../envelope/fileEncryption';
import { analyzeBlob } from '../envelope/kmsBlob';
import { KMS_PROVIDER_ID, regionOfKeyArn } from '../envelope/messageFormat';
import { tokensIn } from '../envelope/textScan';
import { replaceFileAtomically } from '../files/atomicReplace';
import { KmsError } from '../kms/errors';
import { readSopsFile, type SopsKeyService } from '../sops/sopsFile';
import { updateKmsKeys } from '../sops/sopsRekey';
import { classifyFile, type InventoryEntry, MAX_SOPS_BYTES } from './classify';
import { blobKeyRef, keyIdOf, UNNAMED_KEY } from './keyRefs';

export interface ReKeyPlanItem {
  readonly path: string;
  readonly format: InventoryEntry['format'];
  readonly formatLabel: string;
  /** The keys it names now. */
  readonly fromKeys: readonly string[];
  /** Keys it will be re-keyed away from (all of fromKeys when no source key was given). */
  readonly replacing: readonly string[];
  readonly method: 'rewrap' | 'reencrypt' | 'updatekeys';
  /** Why this file cannot be re-keyed as asked (it is then skipped, with this reason). */
  readonly obstacle?: string;
  /** Already under the target key(s) and not the source: nothing to do. */
  readonly alreadyDone?: boolean;
}

export interface ReKeyPlan {
  /** Target key ARNs (resolved from ids or aliases). */
  readonly toKeyArns: readonly string[];
  readonly fromKeyId?: string;
  readonly items: readonly ReKeyPlanItem[];
}

/**
 * The plan for `entries` (current inventory entries). `fromKeyId` limits embedded blobs and
 * SOPS entries to that key's; `toKeyArns` are ARNs (SOPS needs them).
 */
export function planReKey(entries: readonly InventoryEntry[], params: { toKeyArns: readonly string[]; fromKeyId?: string }): ReKeyPlan {
  if (params.toKeyArns.length === 0) throw new KmsError('InvalidArgument', 'Name the key to re-key to (toKeyId or toKeyIds).');
  const from = params.fromKeyId ? keyIdOf(params.fromKeyId) : undefined;
  const targets = new Set(params.toKeyArns.map(keyIdOf));
  const items = entries.map((e): ReKeyPlanItem => {
    const named = e.keyRefs.filter((r) => r !== UNNAMED_KEY);
    const replacing = from ? named.filter((r) => keyIdOf(r) === from) : named.filter((r) => !targets.has(keyIdOf(r)));
    const method = e.format === 'sops' ? 'updatekeys' : e.format === 'message' ? (e.signed ? 'reencrypt' : 'rewrap') : 'reencrypt';
    const base = { path: e.path, format: e.format, formatLabel: e.formatLabel, fromKeys: e.keyRefs, replacing, method } as const;
    const alreadyDone = [...targets].every((t) => named.some((r) => keyIdOf(r) === t)) && replacing.length === 0;
    if (alreadyDone) return { ...base, alreadyDone };
    if (e.format !== 'sops' && params.toKeyArns.length > 1)
      return { ...base, obstacle: `${e.formatLabel} files are re-keyed to one key; only SOPS files take several` };
    if (e.format !== 'sops' && e.keyRefs.includes(UNNAMED_KEY) && !from) return { ...base, replacing: [UNNAMED_KEY] };
    if (replacing.length === 0 && !e.keyRefs.includes(UNNAMED_KEY))
      return { ...base, obstacle: `it is not encrypted under ${params.fromKeyId}` };
    if (e.format === 'message' && named.length > 1)
      return { ...base, obstacle: 'it has data keys under several KMS keys; re-encrypt it with KMS: Re-encrypt File…' };
    if (e.partial) return { ...base, obstacle: 'it is too large to rewrite its embedded ciphertexts safely' };
    return base;
  });
  return { toKeyArns: params.toKeyArns, fromKeyId: params.fromKeyId, items };
}

/** One line per file: "config/app.env  SOPS (dotenv)  alias/old → alias/new". */
export function describePlan(plan: ReKeyPlan, label: (ref: string) => string, relative: (path: string) => string): string[] {
  const to = plan.toKeyArns.map(label).join(', ');
  return plan.items.map((i) => {
    const from = (i.replacing.length ? i.replacing : i.fromKeys).map((r) => (r === UNNAMED_KEY ? 'key not named' : label(r))).join(', ');
    const what = `${relative(i.path)} — ${i.formatLabel}: ${from} → ${to}`;
    if (i.alreadyDone) return `${what} (already done)`;
    return i.obstacle ? `${what} (skipped: ${i.obstacle})` : what;
  });
}

export type ReKeyStatus = 'done' | 'alreadyDone' | 'skipped' | 'failed' | 'notRun';

export interface ReKeyFileResult {
  readonly path: string;
  readonly status: ReKeyStatus;
  readonly format: InventoryEntry['format'];
  readonly fromKeys: readonly string[];
  /** The keys it is encrypted under now (done files: verified). */
  readonly keyIds?: readonly string[];
  readonly method?: string;
  readonly message?: string;
}

/** Which files are done; persisted between runs (paths and key ids only). */
export interface ReKeyJournalState {
  readonly planId: string;
  readonly done: readonly string[];
}

export interface ReKeyJournal {
  load(): ReKeyJournalState | undefined;
  save(state: ReKeyJournalState | undefined): Promise<void>;
}

export interface ReKeyRun {
  readonly gatewayFor: GatewayForRegion;
  readonly job: FileJob;
  readonly sopsKeys: SopsKeyService;
  readonly journal?: ReKeyJournal;
  readonly signal?: AbortSignal;
  readonly onFile?: (done: number, total: number, path: string) => void;
  /** Stop at the first failure (default), leaving the rest untouched for a later run. */
  readonly stopOnFailure?: boolean;
}

/** An id for a plan: same targets and source → same journal. */
export function planId(plan: ReKeyPlan): string {
  return JSON.stringify({ to: [...plan.toKeyArns].sort(), from: plan.fromKeyId ?? null });
}

/** Files re-keyed at once (each still atomic and verified on its own). */
export const REKEY_CONCURRENCY = 4;

/**
 * Runs the plan, `concurrency` files at a time (default REKEY_CONCURRENCY); returns one result
 * per planned file (in plan order). After a failure (or a cancel) no further file is started:
 * files already in flight finish (each is atomic), the rest stay untouched.
 */
export async function runReKey(plan: ReKeyPlan, run: ReKeyRun & { concurrency?: number }): Promise<ReKeyFileResult[]> {
  const id = planId(plan);
  const previous = run.journal?.load();
  const done = new Set(previous?.planId === id ? previous.done : []);
  const results: ReKeyFileResult[] = new Array<ReKeyFileResult>(plan.items.length);
  let stopped = false;
  let started = 0;
  let next = 0;
  let journalWrites: Promise<void> = Promise.resolve();
  const record = (path: string): Promise<void> => {
    done.add(path);
    const state = { planId: id, done: [...done] };
    journalWrites = journalWrites.then(() => run.journal?.save(state));
    return journalWrites;
  };
  const one = async (index: number): Promise<void> => {
    const item = plan.items[index];
    const base = { path: item.path, format: item.format, fromKeys: item.fromKeys };
    if (stopped || run.signal?.aborted) {
      results[index] = {
        ...base,
        status: 'notRun',
        message: run.signal?.aborted ? 'cancelled before this file' : 'not run: an earlier file failed',
      };
      return;
    }
    run.onFile?.(started++, plan.items.length, item.path);
    if (item.alreadyDone || done.has(item.path)) {
      // Resumed: still check that it opens with the new key.
      try {
        results[index] = { ...base, status: 'alreadyDone', keyIds: await verifyFile(item.path, plan.toKeyArns, run) };
        return;
      } catch {
        done.delete(item.path);
        if (item.alreadyDone) {
          results[index] = { ...base, status: 'failed', message: 'it names the new key, but the new key could not open it' };
          return;
        }
      }
    }
    if (item.obstacle) {
      results[index] = { ...base, status: 'skipped', message: item.obstacle };
      return;
    }
    try {
      const method = await reKeyFile(item, plan, run);
      const keys = await verifyFile(item.path, plan.toKeyArns, run);
      await record(item.path);
      results[index] = { ...base, status: 'done', keyIds: keys, method };
    } catch (error) {
      if (run.signal?.aborted) {
        results[index] = { ...base, status: 'notRun', message: 'cancelled (the file was left as it was)' };
        stopped = true;
        return;
      }
      results[index] = { ...base, status: 'failed', message: error instanceof Error ? error.message : String(error) };
      if (run.stopOnFailure !== false) stopped = true;
    }
  };
  const worker = async (): Promise<void> => {
    while (next < plan.items.length) await one(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(run.concurrency ?? REKEY_CONCURRENCY, plan.items.length)) }, worker));
  await journalWrites;
  // Everything done: the journal has served its purpose.
  if (results.every((r) => r.status === 'done' || r.status === 'alreadyDone' || r.status === 'skipped')) await run.journal?.save(undefined);
  return results;
}

async function reKeyFile(item: ReKeyPlanItem, plan: ReKeyPlan, run: ReKeyRun): Promise<string> {
  const to = plan.toKeyArns[0];
  switch (item.format) {
    case 'message':
    case 'blob-file': {
      const out = await reEncryptFileInPlace(item.path, { keyId: to }, { ...run.job, signal: run.signal });
      return out.method;
    }
    case 'embedded':
      await reKeyEmbedded(item, to, plan.fromKeyId, run);
      return 'reencrypt';
    case 'sops':
      await reKeySops(item, plan, run);
      return 'updatekeys';
  }
}

async function reKeyEmbedded(item: ReKeyPlanItem, to: string, fromKeyId: string | undefined, run: ReKeyRun): Promise<void> {
  const text = await readBounded(item.path);
  const from = fromKeyId ? keyIdOf(fromKeyId) : undefined;
  const lines = text.split('\n');
  let changed = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const tokens = tokensIn(line, 40);
    if (tokens.length === 0) continue;
    let out = '';
    let last = 0;
    for (const t of tokens) {
      const hit = detectTextCiphertext(t.text);
      if (!hit || hit.confidence !== 'structure' || hit.kind !== 'blob') continue;
      const ref = blobKeyRef(hit.bytes, hit.blob ?? analyzeBlob(hit.bytes)) ?? UNNAMED_KEY;
      if (from && (ref === UNNAMED_KEY || keyIdOf(ref) !== from)) continue;
      if (ref !== UNNAMED_KEY && keyIdOf(ref) === keyIdOf(to)) continue;
      run.signal?.throwIfAborted();
      const re = await run
        .gatewayFor(undefined)
        .reEncrypt(
          { ciphertext: hit.bytes, destinationKeyId: to, sourceEncryptionContext: {}, destinationEncryptionContext: {} },
          { abortSignal: run.signal },
        );
      out += line.slice(last, t.start) + encodeBase64(re.ciphertext);
      last = t.end;
      changed++;
    }
    if (last > 0) lines[i] = out + line.slice(last);
  }
  if (changed === 0) throw new KmsError('NothingToReKey', `${basename(item.path)} has no KMS blob under the source key any more.`);
  await replaceFileAtomically(item.path, (sink) => pipeline([Buffer.from(lines.join('\n'), 'utf8')], sink, { signal: run.signal }), {
    signal: run.signal,
    faults: run.job.faults,
  });
}

async function reKeySops(item: ReKeyPlanItem, plan: ReKeyPlan, run: ReKeyRun): Promise<void> {
  const text = await readBounded(item.path);
  const doc = readSopsFile(basename(item.path), text);
  if (!doc) throw new KmsError('NotSops', `${basename(item.path)} is no longer a SOPS file.`);
  const kms = doc.metadata.groups.flatMap((g) => g.kms);
  const removing = new Set(item.replacing.map(keyIdOf));
  const remove = kms.filter((k) => removing.has(keyIdOf(k.arn))).map((k) => k.arn);
  // The new key takes the context (and profile, role) of the entry it replaces.
  const template = kms.find((k) => removing.has(keyIdOf(k.arn)));
  const add = plan.toKeyArns
    .filter((arn) => !kms.some((k) => keyIdOf(k.arn) === keyIdOf(arn)))
    .map((arn) => ({ arn, context: template?.context, awsProfile: template?.awsProfile }));
  const out = await updateKmsKeys(doc, { add, remove }, run.sopsKeys, run.signal);
  await replaceFileAtomically(item.path, (sink) => pipeline([Buffer.from(out.text, 'utf8')], sink, { signal: run.signal }), {
    signal: run.signal,
    faults: run.job.faults,
  });
}

/**
 * Checks that the file as it is now opens with the target keys: it names them, and KMS opens
 * its data key (message, SOPS) or blob(s) with them. Plaintext is wiped at once. Returns the
 * keys it names.
 */
export async function verifyFile(
  path: string,
  toKeyArns: readonly string[],
  run: Pick<ReKeyRun, 'gatewayFor' | 'sopsKeys' | 'signal'>,
): Promise<string[]> {
  const entry = await classifyFile(path);
  if (!entry) throw new KmsError('VerifyFailed', `${basename(path)} is no longer recognised as encrypted.`);
  const targets = toKeyArns.map(keyIdOf);
  const names = entry.keyRefs.filter((r) => r !== UNNAMED_KEY);
  for (const t of targets)
    if (!names.some((r) => keyIdOf(r) === t)) throw new KmsError('VerifyFailed', `${basename(path)} does not name the new key ${t}.`);
  const wipe = (p: Uint8Array): void => void p.fill(0);
  switch (entry.format) {
    case 'message': {
      const { header } = await inspectFile(path);
      const edk = header?.encryptedDataKeys.find((k) => k.providerId === KMS_PROVIDER_ID && targets.includes(keyIdOf(k.providerInfo)));
      if (!header || !edk) throw new KmsError('VerifyFailed', `${basename(path)}: the header has no data key under the new key.`);
      const out = await run
        .gatewayFor(regionOfKeyArn(edk.providerInfo))
        .decrypt(
          { ciphertext: edk.encryptedDataKey, keyId: edk.providerInfo, encryptionContext: header.encryptionContext },
          { abortSignal: run.signal },
        );
      wipe(out.plaintext);
      break;
    }
    case 'blob-file': {
      const bytes = Buffer.from((await readFile(path, 'latin1')).trim(), 'base64');
      wipe(
        (
          await run
            .gatewayFor(undefined)
            .decrypt({ ciphertext: bytes, keyId: toKeyArns[0], encryptionContext: {} }, { abortSignal: run.signal })
        ).plaintext,
      );
      break;
    }
    case 'embedded': {
      const text = await readBounded(path);
      for (const line of text.split('\n')) {
        for (const t of tokensIn(line, 40)) {
          const hit = detectTextCiphertext(t.text);
          if (!hit || hit.kind !== 'blob' || hit.confidence !== 'structure') continue;
          const ref = blobKeyRef(hit.bytes, hit.blob) ?? UNNAMED_KEY;
          if (ref !== UNNAMED_KEY && !targets.includes(keyIdOf(ref))) continue;
          wipe(
            (
              await run
                .gatewayFor(undefined)
                .decrypt({ ciphertext: hit.bytes, keyId: toKeyArns[0], encryptionContext: {} }, { abortSignal: run.signal })
            ).plaintext,
          );
        }
      }
      break;
    }
    case 'sops': {
      const doc = readSopsFile(basename(path), await readBounded(path));
      const entries = doc?.metadata.groups.flatMap((g) => g.kms).filter((k) => targets.includes(keyIdOf(k.arn))) ?? [];
      if (entries.length === 0) throw new KmsError('VerifyFailed', `${basename(path)}: no SOPS entry for the new key.`);
      for (const k of entries) wipe(await run.sopsKeys.decryptDataKey(k, run.signal));
      break;
    }
  }
  return names;
}

async function readBounded(path: string): Promise<string> {
  const buffer = await readFile(path);
  if (buffer.length > MAX_SOPS_BYTES)
    throw new KmsError('FileTooLarge', `${basename(path)} is larger than ${MAX_SOPS_BYTES / 1024 / 1024} MiB; re-key it on its own.`);
  return buffer.toString('utf8');
}
