import type { KeyMetadata } from '@aws-sdk/client-kms';
import { ArgumentError } from '../../core/args/argumentError';
import { Args } from '../../core/args/readArgs';
import type { Connection } from '../../core/aws/connection';
import { KmsError } from '../../core/kms/errors';
import { replicaRegionChoices } from '../../core/keyOps/regions';
import { checkDescription, checkRegionName, checkTags } from '../../core/keyOps/validation';
import type { CommandSpec } from '../commands/commandRunner';
import type { Services } from '../services';
import { argValue, inputChecked, isScripted } from './commandArgs';
import { notify } from './output';
import { KEY_FIELDS, keyChanged, resolveKey } from './resolveKey';

const REPLICATE = 'kmsWorkbench.replicateKey';
const UPDATE_PRIMARY = 'kmsWorkbench.updatePrimaryRegion';

/** Tells the views of other connections to the same account in `region` that their keys changed. */
async function regionChanged(services: Services, from: Connection, region: string): Promise<void> {
  for (const c of await services.connections.connections().catch(() => [] as Connection[])) {
    if (c.region === region && c.profile === from.profile && c.endpoint === from.endpoint) keyChanged(services, c);
  }
}

function replicaRegionsOf(meta: KeyMetadata): string[] {
  return (meta.MultiRegionConfiguration?.ReplicaKeys ?? []).flatMap((r) => (r.Region ? [r.Region] : []));
}

/**
 * `kmsWorkbench.replicateKey` `{ keyId?, connection?, replicaRegion, description?, tags? }`:
 * ReplicateKey of a multi-Region primary key into another Region (the replica gets the
 * primary's key policy). Returns the replica's KeyMetadata.
 */
export const replicateKey: CommandSpec<KeyMetadata> = {
  id: REPLICATE,
  action: 'replicate the key',
  run: async (arg, services) => {
    const args = Args.from(REPLICATE, arg, [...KEY_FIELDS, 'replicaRegion', 'description', 'tags']);
    const scripted = isScripted(arg);
    const givenRegion = args.string('replicaRegion', 'a Region name like us-west-2');
    const description = args.string('description') ?? undefined;
    if (description !== undefined) argValue(REPLICATE, 'description', checkDescription(description));
    const tagMap = args.stringMap('tags');
    const tags = tagMap ? argValue(REPLICATE, 'tags', checkTags(tagMap)) : undefined;
    const key = await resolveKey(arg, args, services, { title: 'Replicate multi-Region key', action: 'replicate' });
    const primaryRegion = key.connection.region;
    const existing = replicaRegionsOf(key.metadata);
    let region: string;
    if (givenRegion !== undefined) region = argValue(REPLICATE, 'replicaRegion', checkRegionName(givenRegion));
    else if (scripted) throw new ArgumentError(`${REPLICATE}: "replicaRegion" is required, like "us-west-2".`);
    else {
      const OTHER = '\u0000other';
      const picked = await services.ui.pick(
        [
          ...replicaRegionChoices(primaryRegion, existing).map((r) => ({ label: r.id, description: r.name, value: r.id })),
          { label: '$(edit) Another Region…', description: 'type its name', value: OTHER },
        ],
        {
          title: `Replicate ${key.label} to Region`,
          placeholder: existing.length ? `Replicas already in ${existing.join(', ')}` : 'The key has no replicas yet',
        },
      );
      region =
        picked !== OTHER
          ? picked
          : await inputChecked(services.ui, { title: 'Region of the replica', placeholder: 'us-west-2' }, checkRegionName);
    }
    if (region === primaryRegion)
      throw new ArgumentError(`${REPLICATE}: ${key.label} is in ${region} already; choose another Region for the replica.`);
    if (existing.includes(region)) throw new ArgumentError(`${REPLICATE}: ${key.label} already has a replica in ${region}.`);
    const out = await key.gateway.replicateKey({ KeyId: key.keyId, ReplicaRegion: region, Description: description, Tags: tags });
    keyChanged(services, key.connection, key.keyId);
    await regionChanged(services, key.connection, region);
    notify(
      `Replicated ${key.label} to ${region}${out.ReplicaKeyMetadata?.KeyState ? ` (the replica is ${out.ReplicaKeyMetadata.KeyState.toLowerCase()})` : ''}.`,
    );
    if (!out.ReplicaKeyMetadata)
      throw new KmsError('MalformedResponse', `ReplicateKey answered without ReplicaKeyMetadata; look for the replica in ${region}.`);
    return out.ReplicaKeyMetadata;
  },
};

/**
 * `kmsWorkbench.updatePrimaryRegion` `{ keyId?, connection?, primaryRegion }`:
 * UpdatePrimaryRegion, making the replica in `primaryRegion` the primary key (this key
 * becomes a replica). Returns this key's metadata afterwards.
 */
export const updatePrimaryRegion: CommandSpec<KeyMetadata> = {
  id: UPDATE_PRIMARY,
  action: 'update the primary Region',
  run: async (arg, services) => {
    const args = Args.from(UPDATE_PRIMARY, arg, [...KEY_FIELDS, 'primaryRegion']);
    const scripted = isScripted(arg);
    const given = args.string('primaryRegion', 'a Region name like us-west-2');
    const key = await resolveKey(arg, args, services, { title: 'Change primary Region of key', action: 'updatePrimaryRegion' });
    const replicas = replicaRegionsOf(key.metadata);
    let region: string;
    if (given !== undefined) region = argValue(UPDATE_PRIMARY, 'primaryRegion', checkRegionName(given));
    else if (scripted)
      throw new ArgumentError(
        `${UPDATE_PRIMARY}: "primaryRegion" is required: one of the replicas' Regions (${replicas.join(', ') || 'none'}).`,
      );
    else {
      if (replicas.length === 0)
        throw new ArgumentError(`${key.label} has no replicas: replicate it first, then make a replica the primary.`);
      region = await services.ui.pick(
        replicas.map((r) => ({ label: r, value: r })),
        { title: `Make the replica in which Region the primary of ${key.label}?` },
      );
      await services.ui.confirm(`Make the replica in ${region} the primary key?`, {
        detail: `The key in ${key.connection.region} becomes a replica. Key policy, rotation and replication are then managed from ${region}.`,
        confirmLabel: 'Change Primary Region',
      });
    }
    if (!replicas.includes(region)) {
      throw new ArgumentError(
        `${UPDATE_PRIMARY}: ${key.label} has no replica ` +
          `in ${region}${replicas.length ? `; its replicas are in ${replicas.join(', ')}` : '; replicate it there first'}.`,
      );
    }
    await key.gateway.updatePrimaryRegion(key.keyId, region);
    keyChanged(services, key.connection, key.keyId);
    await regionChanged(services, key.connection, region);
    notify(`The primary of ${key.label} is now in ${region}.`);
    return key.gateway.describeKey(key.keyId);
  },
};
