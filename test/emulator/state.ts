// The emulator's state: one set of keys and aliases per region (a key id is region-scoped, as in
// KMS), the time-driven transitions KMS makes (deletion at the end of the waiting period,
// automatic rotation), and persistence to a JSON file.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateAsymmetricMaterial, newSecretMaterial } from './crypto';
import { kindOf } from './keySpecs';
import { apiError } from './errors';
import type { Alias, CustomKeyStore, Key, KeyMaterial, RegionState } from './types';

/** What GetParametersForImport handed out: the token's key, wrapping parameters and private key. Held in memory only. */
export interface ImportParameters {
  region: string;
  keyId: string;
  wrappingAlgorithm: string;
  wrappingKeySpec: string;
  /** PKCS#8 DER of the wrapping key's private half. */
  privateKey: Buffer;
  validTo: number;
}

export const dayMs = 24 * 60 * 60 * 1000;

interface Snapshot {
  version: 1;
  accountId: string;
  nextSeq: number;
  regions: Record<string, { keys: Key[]; aliases: Alias[] }>;
  customKeyStores: CustomKeyStore[];
}

export class Store {
  readonly regions = new Map<string, RegionState>();
  customKeyStores: CustomKeyStore[] = [];
  /** Lifetime limit of RotateKeyOnDemand per key (KMS documents 10 and 25 in different places). */
  onDemandRotationLimit = 10;
  /** Keys made by CreateKey without KeyUsage are described as moto describes them (see Key.motoMetadata). */
  motoKeyMetadata: { omitKeySpec: boolean } | undefined;
  /** When GetKeyLastUsage tracking began (epoch ms); a key's TrackingStartDate is this or its creation, whichever is later. */
  usageTrackingStart = Date.UTC(2025, 10, 1);
  /** How far the emulator's clock is ahead of the machine's (tests move it with advanceClock). */
  clockOffsetMs = 0;
  /** How long a custom key store stays CONNECTING after ConnectCustomKeyStore (emulator clock). */
  connectDelayMs = 1000;
  /** Import tokens (base64) of GetParametersForImport; never persisted (a restart expires them). */
  readonly importTokens = new Map<string, ImportParameters>();
  private nextSeq = 1;
  private readonly generating = new Map<string, Promise<KeyMaterial>>();

  constructor(
    readonly accountId: string,
    private readonly persistPath?: string,
  ) {}

  /** The emulator's clock: the machine's, moved by clockOffsetMs. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  region(name: string): RegionState {
    let state = this.regions.get(name);
    if (!state) {
      state = { keys: new Map(), aliases: new Map() };
      this.regions.set(name, state);
    }
    return state;
  }

  keyArn(region: string, keyId: string): string {
    return `arn:aws:kms:${region}:${this.accountId}:key/${keyId}`;
  }

  aliasArn(region: string, aliasName: string): string {
    return `arn:aws:kms:${region}:${this.accountId}:${aliasName}`;
  }

  arnOf(key: Key): string {
    return this.keyArn(key.region, key.id);
  }

  sequence(): number {
    return this.nextSeq++;
  }

  getKey(region: string, keyId: string): Key | undefined {
    return this.regions.get(region)?.keys.get(keyId);
  }

  /** Keys of a region in creation order. */
  keys(region: string): Key[] {
    return [...(this.regions.get(region)?.keys.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  addKey(key: Key): void {
    this.region(key.region).keys.set(key.id, key);
  }

  /** Deletes a key as KMS does at the end of its waiting period: with its aliases and grants. */
  removeKey(key: Key): void {
    const region = this.region(key.region);
    region.keys.delete(key.id);
    for (const [name, alias] of region.aliases) if (alias.targetKeyId === key.id) region.aliases.delete(name);
  }

  /** Every copy of a multi-region key (primary and replicas), across regions. */
  family(key: Key): Key[] {
    if (!key.multiRegion) return [key];
    return [...this.regions.values()].map((r) => r.keys.get(key.id)).filter((k): k is Key => k !== undefined);
  }

  primaryOf(key: Key): Key | undefined {
    return key.multiRegion ? this.getKey(key.primaryRegion ?? key.region, key.id) : key;
  }

  replicasOf(key: Key): Key[] {
    return this.family(key).filter((k) => k.region !== key.primaryRegion);
  }

  /** Copies what multi-region keys share (material and rotation) from the primary to its replicas. */
  syncReplicas(primary: Key): void {
    for (const replica of this.replicasOf(primary)) {
      replica.materials = [...primary.materials];
      replica.rotation = { ...primary.rotation };
      replica.rotations = [...primary.rotations];
      replica.onDemandRotations = primary.onDemandRotations;
    }
  }

  /** The current material of a key; an asymmetric key gets its pair on first use (RSA 4096 is slow). */
  async currentMaterial(key: Key): Promise<KeyMaterial> {
    const current = key.materials[key.materials.length - 1];
    if (current) return current;
    if (key.origin === 'EXTERNAL') throw apiError('KMSInvalidStateException', `${this.arnOf(key)} has no key material: import it first.`);
    const kind = kindOf(key.spec);
    if (kind === 'symmetric' || kind === 'hmac') {
      const material = newSecretMaterial(key.spec, key.creationDate);
      for (const k of this.family(key)) k.materials = [material];
      this.save();
      return material;
    }
    let pending = this.generating.get(key.id);
    if (!pending) {
      pending = generateAsymmetricMaterial(key.spec as Parameters<typeof generateAsymmetricMaterial>[0], key.creationDate).then(
        (material) => {
          for (const k of this.family(key)) if (k.materials.length === 0) k.materials = [material];
          this.save();
          return material;
        },
      );
      pending.finally(() => this.generating.delete(key.id)).catch(() => undefined);
      this.generating.set(key.id, pending);
    }
    return pending;
  }

  /** Applies what time does in KMS: deletions after the waiting period, automatic rotations. */
  sweep(now = this.now()): boolean {
    let changed = this.sweepCustomKeyStores(now);
    for (const region of this.regions.values()) {
      for (const key of [...region.keys.values()]) {
        if (key.state === 'PendingDeletion' && key.deletionDate !== undefined && key.deletionDate <= now) {
          this.removeKey(key);
          changed = true;
        }
      }
    }
    for (const region of this.regions.values()) {
      for (const key of region.keys.values()) {
        if (key.state === 'PendingReplicaDeletion' && this.replicasOf(key).length === 0) {
          key.state = 'PendingDeletion';
          key.deletionDate = now + (key.pendingWindowInDays ?? 30) * dayMs;
          changed = true;
        }
        changed = this.rotateAutomatically(key, now) || changed;
        if (key.origin === 'EXTERNAL' && key.validTo !== undefined && key.validTo <= now && key.materials.length > 0) {
          // KMS deletes expired imported material; the key waits for the same material again.
          key.materials = [];
          key.validTo = undefined;
          if (key.state !== 'PendingDeletion') key.state = 'PendingImport';
          changed = true;
        }
      }
    }
    for (const [token, params] of this.importTokens) if (params.validTo <= now - dayMs) this.importTokens.delete(token);
    if (changed) this.save();
    return changed;
  }

  /** Custom key stores seen from a region (seeded ones without a region are seen from all). */
  customKeyStoresOf(region: string): CustomKeyStore[] {
    return this.customKeyStores.filter((s) => s.region === undefined || s.region === region);
  }

  /** Keys (of every region) in a custom key store. */
  keysInStore(storeId: string): Key[] {
    return [...this.regions.values()].flatMap((r) => [...r.keys.values()]).filter((k) => k.customKeyStoreId === storeId);
  }

  /** Makes the keys of a store Unavailable (disconnected) or gives them back their state (connected). */
  setStoreKeysAvailable(storeId: string, available: boolean): void {
    for (const key of this.keysInStore(storeId)) {
      if (available && key.state === 'Unavailable') {
        key.state = key.stateBeforeUnavailable ?? 'Enabled';
        key.stateBeforeUnavailable = undefined;
      } else if (!available && key.state !== 'Unavailable' && key.state !== 'PendingDeletion') {
        key.stateBeforeUnavailable = key.state;
        key.state = 'Unavailable';
      }
    }
  }

  /** Ends connection attempts whose time is up: CONNECTED, or FAILED with the planned error code. */
  private sweepCustomKeyStores(now: number): boolean {
    let changed = false;
    for (const store of this.customKeyStores) {
      if (store.ConnectionState !== 'CONNECTING' || (store.connectingUntil ?? 0) > now) continue;
      store.connectingUntil = undefined;
      if (store.nextConnectionError) {
        store.ConnectionState = 'FAILED';
        store.ConnectionErrorCode = store.nextConnectionError;
        store.nextConnectionError = undefined;
      } else {
        store.ConnectionState = 'CONNECTED';
        store.ConnectionErrorCode = undefined;
        this.setStoreKeysAvailable(store.CustomKeyStoreId, true);
      }
      changed = true;
    }
    return changed;
  }

  private rotateAutomatically(key: Key, now: number): boolean {
    const { rotation } = key;
    if (!rotation.enabled || rotation.nextRotationDate === undefined || key.state !== 'Enabled' || key.spec !== 'SYMMETRIC_DEFAULT')
      return false;
    if (key.multiRegion && key.primaryRegion !== key.region) return false;
    const period = (rotation.periodInDays ?? 365) * dayMs;
    let rotated = false;
    for (let i = 0; i < 100 && rotation.nextRotationDate <= now; i++) {
      const material = newSecretMaterial(key.spec, rotation.nextRotationDate);
      key.materials.push(material);
      key.rotations.push({ date: rotation.nextRotationDate, type: 'AUTOMATIC', materialId: material.id });
      rotation.nextRotationDate += period;
      rotated = true;
    }
    if (rotated) this.syncReplicas(key);
    return rotated;
  }

  clear(): void {
    this.regions.clear();
    this.customKeyStores = [];
    this.importTokens.clear();
    this.nextSeq = 1;
  }

  snapshot(): Snapshot {
    const regions: Snapshot['regions'] = {};
    for (const [name, state] of this.regions) {
      regions[name] = { keys: [...state.keys.values()], aliases: [...state.aliases.values()] };
    }
    return { version: 1, accountId: this.accountId, nextSeq: this.nextSeq, regions, customKeyStores: this.customKeyStores };
  }

  restore(snapshot: Snapshot): void {
    this.clear();
    this.nextSeq = snapshot.nextSeq;
    this.customKeyStores = snapshot.customKeyStores ?? [];
    for (const [name, state] of Object.entries(snapshot.regions)) {
      const region = this.region(name);
      for (const key of state.keys) region.keys.set(key.id, key);
      for (const alias of state.aliases) region.aliases.set(alias.name, alias);
    }
  }

  /** Writes the state (keys with their material) to the persistence file, if there is one. */
  save(): void {
    if (!this.persistPath) return;
    mkdirSync(dirname(this.persistPath), { recursive: true });
    const temp = `${this.persistPath}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(this.snapshot()), { mode: 0o600 });
    renameSync(temp, this.persistPath);
  }

  /** Loads the persistence file; false when there is none yet. */
  load(): boolean {
    if (!this.persistPath || !existsSync(this.persistPath)) return false;
    const snapshot = JSON.parse(readFileSync(this.persistPath, 'utf8')) as Snapshot;
    if (snapshot.version !== 1) throw new Error(`${this.persistPath}: unknown state version ${String(snapshot.version)}`);
    if (snapshot.accountId !== this.accountId)
      throw new Error(`${this.persistPath} holds account ${snapshot.accountId}, not ${this.accountId}`);
    this.restore(snapshot);
    return true;
  }
}
