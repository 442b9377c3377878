// Seeding the emulator from a document (an object, or a .json/.yaml/.yml file): keys of any spec
// and state, their aliases, grants, policies, tags, rotation history, multi-region replicas,
// AWS-managed keys and custom key stores. See README.md in this folder for the format.
// "{{accountId}}" anywhere in the document is replaced with the emulator's account id.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { newSecretMaterial, secretLength } from './crypto';
import { kindOf, usagesFor } from './keySpecs';
import { createKeyRecord } from './operations/keys';
import { checkAliasName } from './operations/aliases';
import { grantOperationsFor, newGrant } from './operations/grants';
import { regionPattern } from './operations/multiRegion';
import { validatePolicy, awsManagedKeyPolicy } from './policy';
import { keyIdPattern } from './resolve';
import { dayMs, type Store } from './state';
import {
  type CustomKeyStore,
  type GrantConstraints,
  type Key,
  type KeySpec,
  keySpecs,
  type KeyState,
  keyStates,
  type KeyUsage,
  type Origin,
  type Tag,
} from './types';

type DateLike = string | number | Date;

export interface SeedGrant {
  /** Top-level grants only: the key (a seed `ref`, a key id, or an alias name). */
  keyId?: string;
  region?: string;
  name?: string;
  granteePrincipal: string;
  retiringPrincipal?: string;
  operations: string[];
  constraints?: GrantConstraints;
}

export interface SeedKey {
  /** A name other entries of the seed use to refer to this key. */
  ref?: string;
  region?: string;
  /** UUID, or mrk-<32 hex> for a multi-region key; random when omitted. */
  id?: string;
  spec?: KeySpec;
  usage?: KeyUsage;
  state?: KeyState;
  description?: string;
  tags?: Record<string, string> | Tag[];
  /** A policy document (JSON text or an object); default KMS's default (or the AWS-managed one). */
  policy?: string | Record<string, unknown>;
  multiRegion?: boolean;
  /** Multi-region primary keys: regions to create replicas in. */
  replicaRegions?: string[];
  origin?: Origin;
  manager?: 'AWS' | 'CUSTOMER';
  creationDate?: DateLike;
  deletionDate?: DateLike;
  pendingWindowInDays?: number;
  rotation?: { enabled?: boolean; periodInDays?: number; nextRotationDate?: DateLike; onDemandStartDate?: DateLike };
  /** Past rotations, oldest first: each adds key material. */
  rotations?: Array<{ date: DateLike; type?: 'AUTOMATIC' | 'ON_DEMAND' }>;
  /** Symmetric or HMAC key material, base64 (so fixtures can hold ciphertexts that stay valid). */
  material?: string;
  aliases?: string[];
  grants?: SeedGrant[];
  /** Described as moto describes a key of a plain CreateKey: no KeyUsage (and with omitKeySpec, no KeySpec). Symmetric keys only. */
  motoMetadata?: { omitKeySpec?: boolean };
  customKeyStoreId?: string;
}

export interface SeedAlias {
  region?: string;
  name: string;
  /** A seed `ref` or a key id; omitted for a predefined AWS alias without a key. */
  targetKeyId?: string;
}

export interface SeedDocument {
  keys?: SeedKey[];
  aliases?: SeedAlias[];
  grants?: SeedGrant[];
  customKeyStores?: Array<Omit<CustomKeyStore, 'CreationDate'> & { CreationDate?: DateLike }>;
}

export interface SeedResult {
  keys: Array<{ ref?: string; region: string; keyId: string; arn: string }>;
  grants: Array<{ region: string; keyId: string; grantId: string; grantToken: string }>;
}

export function loadSeedFile(path: string): SeedDocument {
  const text = readFileSync(path, 'utf8');
  const doc: unknown = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${path}: a seed is an object with keys, aliases, grants`);
  return doc;
}

function toMs(value: DateLike, what: string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new Error(`seed: ${what} is not a date: ${String(value)}`);
  return ms;
}

function tagsOf(tags: SeedKey['tags']): Tag[] {
  if (!tags) return [];
  if (Array.isArray(tags)) return tags.map((t) => ({ TagKey: t.TagKey, TagValue: t.TagValue ?? '' }));
  return Object.entries(tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue: String(TagValue) }));
}

function materialFrom(base64: string, spec: KeySpec, created: number): Key['materials'][number] {
  const secret = Buffer.from(base64, 'base64');
  const expected = secretLength(spec);
  if (secret.length !== expected)
    throw new Error(`seed: material of a ${spec} key must be ${expected} bytes (base64), not ${secret.length}`);
  return { id: createHash('sha256').update(secret).digest('hex'), created, secret: secret.toString('base64') };
}

/** Adds the document's keys, aliases and grants to the store. Throws on the first invalid entry. */
export function applySeed(store: Store, original: SeedDocument, defaultRegion: string, now = Date.now()): SeedResult {
  const doc = JSON.parse(JSON.stringify(original).replaceAll('{{accountId}}', store.accountId)) as SeedDocument;
  const result: SeedResult = { keys: [], grants: [] };
  const refs = new Map<string, Key>();
  const ctx = { store, accountId: store.accountId };

  for (const ks of doc.customKeyStores ?? []) {
    if (!ks.CustomKeyStoreId || !ks.CustomKeyStoreName)
      throw new Error('seed: a custom key store needs CustomKeyStoreId and CustomKeyStoreName');
    store.customKeyStores.push({ ...ks, CreationDate: ks.CreationDate === undefined ? now : toMs(ks.CreationDate, 'CreationDate') });
  }

  const keyRef = (value: string, region: string): Key => {
    const key =
      refs.get(value) ??
      store.getKey(region, value) ??
      (value.startsWith('alias/') ? store.getKey(region, store.region(region).aliases.get(value)?.targetKeyId ?? '') : undefined);
    if (!key) throw new Error(`seed: no key "${value}" in ${region}`);
    return key;
  };

  const addAlias = (region: string, name: string, key: Key | undefined): void => {
    if (!name.startsWith('alias/aws/') || key?.manager === 'CUSTOMER') checkAliasName(name);
    if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(name)) throw new Error(`seed: invalid alias name ${name}`);
    const aliases = store.region(region).aliases;
    if (aliases.has(name)) throw new Error(`seed: alias ${name} already exists in ${region}`);
    aliases.set(name, { name, targetKeyId: key?.id, creationDate: key?.creationDate ?? now, lastUpdatedDate: key?.creationDate ?? now });
  };

  const addGrant = (key: Key, g: SeedGrant): void => {
    if (!g.granteePrincipal || !Array.isArray(g.operations) || g.operations.length === 0)
      throw new Error('seed: a grant needs granteePrincipal and operations');
    const valid = grantOperationsFor(key);
    const invalid = g.operations.filter((op) => !valid.includes(op));
    if (invalid.length) throw new Error(`seed: grant operations ${invalid.join(', ')} are not valid for a ${key.spec} ${key.usage} key`);
    const grant = newGrant(store.accountId, {
      name: g.name,
      granteePrincipal: g.granteePrincipal,
      retiringPrincipal: g.retiringPrincipal,
      operations: g.operations,
      constraints: g.constraints,
      creationDate: now,
    });
    key.grants.push(grant);
    result.grants.push({ region: key.region, keyId: key.id, grantId: grant.grantId, grantToken: grant.token });
  };

  for (const [index, s] of (doc.keys ?? []).entries()) {
    const where = `seed key ${s.ref ?? s.id ?? `#${index + 1}`}`;
    const region = s.region ?? defaultRegion;
    if (!regionPattern.test(region)) throw new Error(`${where}: invalid region ${region}`);
    const spec = s.spec ?? 'SYMMETRIC_DEFAULT';
    if (!(keySpecs as readonly string[]).includes(spec)) throw new Error(`${where}: unsupported spec ${spec}`);
    const usage = s.usage ?? usagesFor(spec)[0];
    if (!usagesFor(spec).includes(usage)) throw new Error(`${where}: usage ${usage} is not valid for ${spec}`);
    const multiRegion = s.multiRegion ?? s.id?.startsWith('mrk-') ?? false;
    if (s.id !== undefined && (!keyIdPattern.test(s.id) || s.id.startsWith('mrk-') !== multiRegion))
      throw new Error(`${where}: id must be a UUID, or mrk-<32 hex> for a multi-region key`);
    if (s.id !== undefined && store.getKey(region, s.id)) throw new Error(`${where}: key ${s.id} already exists in ${region}`);
    if (s.ref !== undefined && refs.has(s.ref)) throw new Error(`${where}: duplicate ref`);
    const state = s.state ?? (s.origin === 'EXTERNAL' ? 'PendingImport' : 'Enabled');
    if (!(keyStates as readonly string[]).includes(state)) throw new Error(`${where}: unknown state ${state}`);
    const manager = s.manager ?? 'CUSTOMER';
    const service = manager === 'AWS' ? /^alias\/aws\/(.+)$/.exec(s.aliases?.[0] ?? '')?.[1] : undefined;
    if (manager === 'AWS' && !service) throw new Error(`${where}: an AWS-managed key needs an alias/aws/<service> alias`);
    const policy =
      typeof s.policy === 'object'
        ? JSON.stringify(s.policy, null, 2)
        : (s.policy ?? (service ? awsManagedKeyPolicy(store.accountId, region, service) : undefined));
    if (policy !== undefined) validatePolicy(policy);
    const creationDate = s.creationDate === undefined ? now : toMs(s.creationDate, `${where} creationDate`);
    const key = createKeyRecord(ctx, {
      region,
      id: s.id,
      spec,
      usage,
      description:
        s.description ?? (service ? `Default key that protects my ${service.toUpperCase()} resources when no other key is defined` : ''),
      origin: s.origin,
      manager,
      policy,
      tags: tagsOf(s.tags),
      multiRegion,
      creationDate,
      customKeyStoreId: s.customKeyStoreId,
    });
    if (s.material !== undefined) {
      if (kindOf(spec) !== 'symmetric' && kindOf(spec) !== 'hmac')
        throw new Error(`${where}: material can be given for symmetric and HMAC keys only`);
      key.materials = [materialFrom(s.material, spec, creationDate)];
    }
    if (s.motoMetadata) {
      if (spec !== 'SYMMETRIC_DEFAULT')
        throw new Error(`${where}: motoMetadata is for SYMMETRIC_DEFAULT keys (moto omits KeyUsage only for a default CreateKey)`);
      key.motoMetadata = { omitKeySpec: s.motoMetadata.omitKeySpec ?? false };
    }
    key.state = state;
    if (state === 'PendingDeletion' || state === 'PendingReplicaDeletion') {
      key.pendingWindowInDays = s.pendingWindowInDays ?? 30;
      if (state === 'PendingDeletion')
        key.deletionDate =
          s.deletionDate === undefined ? now + key.pendingWindowInDays * dayMs : toMs(s.deletionDate, `${where} deletionDate`);
    }
    for (const r of s.rotations ?? []) {
      const date = toMs(r.date, `${where} rotation date`);
      const material = newSecretMaterial(spec, date);
      key.materials.push(material);
      key.rotations.push({ date, type: r.type ?? 'AUTOMATIC', materialId: material.id });
      if (r.type === 'ON_DEMAND') key.onDemandRotations += 1;
    }
    if (s.rotation?.enabled || manager === 'AWS') {
      if (spec !== 'SYMMETRIC_DEFAULT') throw new Error(`${where}: rotation is for symmetric keys only`);
      const periodInDays = s.rotation?.periodInDays ?? 365;
      const last = key.rotations[key.rotations.length - 1]?.date ?? creationDate;
      key.rotation = {
        enabled: true,
        periodInDays,
        nextRotationDate:
          s.rotation?.nextRotationDate === undefined
            ? Math.max(last + periodInDays * dayMs, now + dayMs)
            : toMs(s.rotation.nextRotationDate, `${where} nextRotationDate`),
      };
    }
    if (s.rotation?.onDemandStartDate !== undefined)
      key.rotation.onDemandStartDate = toMs(s.rotation.onDemandStartDate, `${where} onDemandStartDate`);
    if (s.ref !== undefined) refs.set(s.ref, key);
    result.keys.push({ ref: s.ref, region, keyId: key.id, arn: store.arnOf(key) });

    for (const replicaRegion of s.replicaRegions ?? []) {
      if (!multiRegion) throw new Error(`${where}: replicaRegions need multiRegion: true`);
      if (replicaRegion === region || !regionPattern.test(replicaRegion))
        throw new Error(`${where}: invalid replica region ${replicaRegion}`);
      const replica: Key = {
        ...key,
        region: replicaRegion,
        seq: store.sequence(),
        state: 'Enabled',
        deletionDate: undefined,
        pendingWindowInDays: undefined,
        tags: [...key.tags],
        grants: [],
        materials: [...key.materials],
        rotation: { ...key.rotation },
        rotations: [...key.rotations],
      };
      store.addKey(replica);
      result.keys.push({ ref: s.ref, region: replicaRegion, keyId: key.id, arn: store.arnOf(replica) });
    }
    for (const alias of s.aliases ?? []) addAlias(region, alias, key);
    for (const grant of s.grants ?? []) addGrant(key, grant);
  }

  for (const a of doc.aliases ?? []) {
    const region = a.region ?? defaultRegion;
    addAlias(region, a.name, a.targetKeyId === undefined ? undefined : keyRef(a.targetKeyId, region));
  }
  for (const g of doc.grants ?? []) {
    const region = g.region ?? defaultRegion;
    if (!g.keyId) throw new Error('seed: a top-level grant needs keyId');
    addGrant(keyRef(g.keyId, region), g);
  }
  return result;
}
