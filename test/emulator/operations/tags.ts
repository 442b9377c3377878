// TagResource, UntagResource, ListResourceTags.
import type { OpContext } from '../context';
import { apiError } from '../errors';
import { requireState } from '../keyState';
import { type OperationTable } from '../operation';
import { paginate, pageFields } from '../paging';
import { requireCustomerManaged, resolveKey } from '../resolve';
import type { Tag } from '../types';

export const maxTagsPerKey = 50;

/** The rules KMS applies to tags: no aws: prefix, at most 50 on a key. */
export function checkTags(tags: Tag[], existing: Tag[] = []): Tag[] {
  const merged = [...existing];
  for (const tag of tags) {
    if (tag.TagKey.toLowerCase().startsWith('aws:'))
      throw apiError('TagException', `Tag keys beginning with "aws:" are reserved: ${tag.TagKey}`);
    const at = merged.findIndex((t) => t.TagKey === tag.TagKey);
    if (at >= 0) merged[at] = tag;
    else merged.push(tag);
  }
  if (merged.length > maxTagsPerKey)
    throw apiError(
      'LimitExceededException',
      `A KMS key can have at most ${maxTagsPerKey} tags; this request would give it ${merged.length}.`,
    );
  return merged;
}

function taggableKey(ctx: OpContext, keyId: string) {
  const key = resolveKey(ctx, keyId);
  requireCustomerManaged(ctx, key);
  requireState(ctx, key, 'modify');
  return key;
}

export const tagOperations: OperationTable = {
  TagResource: {
    handler(input, ctx) {
      const key = taggableKey(ctx, input.requiredString('KeyId', { max: 2048 }));
      const tags = input.tags('Tags');
      if (!tags)
        throw apiError(
          'ValidationException',
          "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null",
        );
      key.tags = checkTags(tags, key.tags);
      return {};
    },
  },
  UntagResource: {
    handler(input, ctx) {
      const key = taggableKey(ctx, input.requiredString('KeyId', { max: 2048 }));
      const names = input.stringList('TagKeys', { min: 1, item: { min: 1, max: 128 } });
      if (!names)
        throw apiError(
          'ValidationException',
          "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
        );
      key.tags = key.tags.filter((t) => !names.includes(t.TagKey));
      return {};
    },
  },
  ListResourceTags: {
    readOnly: true,
    handler(input, ctx) {
      const key = resolveKey(ctx, input.requiredString('KeyId', { max: 2048 }));
      const page = paginate(key.tags, (t) => t.TagKey, input, { max: 50, default: 50 });
      return pageFields('Tags', page, (t) => ({ TagKey: t.TagKey, TagValue: t.TagValue }));
    },
  },
};
