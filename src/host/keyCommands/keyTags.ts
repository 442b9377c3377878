import type { Tag } from '@aws-sdk/client-kms';
import { Args } from '../../core/args/readArgs';
import { collect } from '../../core/kms/gateway';
import { checkTagKeys, checkTags, parseTagsText } from '../../core/keyOps/validation';
import { inertLabel } from '../../core/text/inertText';
import type { CommandSpec } from '../commands/commandRunner';
import { UserCancelledError } from '../ui/userInput';
import { argValue, inputChecked } from './commandArgs';
import { notify } from './output';
import { KEY_FIELDS, keyChanged, resolveKey } from './resolveKey';

const TAG = 'kmsWorkbench.tagKey';
const UNTAG = 'kmsWorkbench.untagKey';

export interface TagsResult {
  readonly keyId: string;
  /** Every tag of the key afterwards. */
  readonly tags: Record<string, string>;
}

/**
 * `kmsWorkbench.tagKey` `{ keyId?, connection?, tags: { key: value } }`: TagResource
 * (adds tags, or changes the value of existing keys). Returns `{ keyId, tags }` with all
 * the key's tags afterwards.
 */
export const tagKey: CommandSpec<TagsResult> = {
  id: TAG,
  action: 'tag the key',
  run: async (arg, services) => {
    const args = Args.from(TAG, arg, [...KEY_FIELDS, 'tags']);
    const given = args.stringMap('tags', 'an object of tag values, like { "env": "prod" }');
    const key = await resolveKey(arg, args, services, { title: 'Tag key', action: 'tag' });
    const existing = await collect(key.gateway.listResourceTags(key.keyId));
    const existingKeys = existing.map((t) => t.TagKey ?? '');
    let tags: Tag[];
    if (given) {
      tags = argValue(TAG, 'tags', checkTags(given, existingKeys));
      if (tags.length === 0) argValue(TAG, 'tags', { ok: false, problem: 'give at least one tag, like { "env": "prod" }.' });
    } else {
      tags = await inputChecked(
        services.ui,
        {
          title: `Tag ${key.label}`,
          prompt:
            'key=value, separated by commas. ' +
            (existing.length ? `Current: ${existing.map((t) => `${t.TagKey}=${t.TagValue}`).join(', ')}` : 'The key has no tags yet.'),
          placeholder: 'env=prod, team=payments',
        },
        (text) => {
          const checked = parseTagsText(text, existingKeys);
          return checked.ok && checked.value.length === 0 ? { ok: false, problem: 'Enter at least one tag as key=value.' } : checked;
        },
      );
    }
    await key.gateway.tagResource(key.keyId, tags);
    keyChanged(services, key.connection, key.keyId);
    notify(`Tagged ${key.label}: ${tags.map((t) => `${t.TagKey}=${t.TagValue}`).join(', ')}.`);
    return { keyId: key.keyId, tags: await tagMap(key.gateway.listResourceTags(key.keyId)) };
  },
};

/**
 * `kmsWorkbench.untagKey` `{ keyId?, connection?, tagKeys: string[] }`: UntagResource.
 * Interactively, a pick of the key's tags. Returns `{ keyId, tags }` afterwards.
 */
export const untagKey: CommandSpec<TagsResult> = {
  id: UNTAG,
  action: 'remove tags from the key',
  run: async (arg, services) => {
    const args = Args.from(UNTAG, arg, [...KEY_FIELDS, 'tagKeys']);
    const given = args.stringArray('tagKeys', 'an array of tag keys');
    const key = await resolveKey(arg, args, services, { title: 'Remove tags from key', action: 'tag' });
    let tagKeys: string[];
    if (given) {
      tagKeys = argValue(UNTAG, 'tagKeys', checkTagKeys(given));
    } else {
      const existing = (await collect(key.gateway.listResourceTags(key.keyId))).filter((t) => t.TagKey && !/^aws:/i.test(t.TagKey));
      if (existing.length === 0) throw new Error(`${key.label} has no tags to remove.`);
      tagKeys = await services.ui.pickMany(
        existing.map((t) => ({ label: inertLabel(t.TagKey ?? ''), description: inertLabel(t.TagValue ?? ''), value: t.TagKey ?? '' })),
        { title: `Remove tags from ${key.label}`, placeholder: 'Choose the tags to remove' },
      );
      if (tagKeys.length === 0) throw new UserCancelledError();
    }
    await key.gateway.untagResource(key.keyId, tagKeys);
    keyChanged(services, key.connection, key.keyId);
    notify(`Removed ${tagKeys.length === 1 ? 'tag' : 'tags'} ${tagKeys.join(', ')} from ${key.label}.`);
    return { keyId: key.keyId, tags: await tagMap(key.gateway.listResourceTags(key.keyId)) };
  },
};

async function tagMap(tags: AsyncIterable<Tag>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const t of tags) if (t.TagKey) out[t.TagKey] = t.TagValue ?? '';
  return out;
}
