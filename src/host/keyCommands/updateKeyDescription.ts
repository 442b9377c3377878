import type { KeyMetadata } from '@aws-sdk/client-kms';
import { Args } from '../../core/args/readArgs';
import { checkDescription } from '../../core/keyOps/validation';
import type { CommandSpec } from '../commands/commandRunner';
import { argValue, inputChecked } from './commandArgs';
import { notify } from './output';
import { KEY_FIELDS, keyChanged, resolveKey } from './resolveKey';

const ID = 'kmsWorkbench.updateKeyDescription';

/**
 * `kmsWorkbench.updateKeyDescription` `{ keyId?, connection?, description }`:
 * UpdateKeyDescription (an empty string clears it). Returns the key's metadata afterwards.
 */
export const updateKeyDescription: CommandSpec<KeyMetadata> = {
  id: ID,
  action: 'update the key description',
  run: async (arg, services) => {
    const args = Args.from(ID, arg, [...KEY_FIELDS, 'description']);
    const given = args.raw('description');
    if (given !== undefined && typeof given !== 'string') args.string('description', 'a string (empty to clear it)');
    const key = await resolveKey(arg, args, services, { title: 'Update key description', action: 'updateDescription' });
    const description =
      typeof given === 'string'
        ? argValue(ID, 'description', checkDescription(given))
        : await inputChecked(
            services.ui,
            {
              title: `Description of ${key.label}`,
              value: key.metadata.Description ?? '',
              prompt: 'Up to 8,192 characters; leave empty to clear it.',
            },
            checkDescription,
          );
    await key.gateway.updateKeyDescription(key.keyId, description);
    keyChanged(services, key.connection, key.keyId);
    notify(description ? `Updated the description of ${key.label}.` : `Cleared the description of ${key.label}.`);
    return key.gateway.describeKey(key.keyId);
  },
};
