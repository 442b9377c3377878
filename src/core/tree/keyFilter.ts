import type { KeyMetadata, Tag } from '@aws-sdk/client-kms';

/** What the filter can look at for one key; `metadata` and `tags` only once loaded. */
export interface KeyFacts {
  readonly keyId: string;
  readonly keyArn?: string;
  readonly aliases: readonly string[];
  /** DescribeKey's answer, once known (for the description). */
  readonly metadata?: Pick<KeyMetadata, 'Description' | 'Arn'>;
  /** The key's tags, once listed. */
  readonly tags?: readonly Tag[];
}

/**
 * `match`/`noMatch` when the facts decide it; otherwise what must be loaded first to tell
 * (aliases and key ids are always known; descriptions need DescribeKey, tags ListResourceTags).
 */
export type FilterVerdict = 'match' | 'noMatch' | 'needDescription' | 'needTags';

/**
 * The view's filter: whitespace-separated terms, all of which must match (case-insensitive,
 * anywhere) one of the key's aliases, its key id or ARN, its description, or one of its
 * tags written `key=value`. `prod payments` finds keys whose alias says payments and whose
 * tag says prod; `team=` finds keys with a `team` tag.
 */
export class KeyFilter {
  readonly terms: readonly string[];

  private constructor(readonly text: string) {
    this.terms = text.toLowerCase().split(/\s+/).filter(Boolean);
  }

  /** undefined for blank text (no filter). */
  static parse(text: string | undefined): KeyFilter | undefined {
    const trimmed = text?.trim() ?? '';
    return trimmed ? new KeyFilter(trimmed) : undefined;
  }

  /** Whether a plain string (an alias name, say) matches every term. */
  matchesText(...fields: readonly (string | undefined)[]): boolean {
    const haystack = fields.filter((f): f is string => !!f).map((f) => f.toLowerCase());
    return this.terms.every((term) => haystack.some((h) => h.includes(term)));
  }

  verdict(facts: KeyFacts): FilterVerdict {
    const cheap = [facts.keyId, facts.keyArn, facts.metadata?.Arn, ...facts.aliases]
      .filter((f): f is string => !!f)
      .map((f) => f.toLowerCase());
    let open = this.terms.filter((term) => !cheap.some((f) => f.includes(term)));
    if (open.length === 0) return 'match';
    if (!facts.metadata) return 'needDescription';
    const description = (facts.metadata.Description ?? '').toLowerCase();
    open = open.filter((term) => !description.includes(term));
    if (open.length === 0) return 'match';
    if (!facts.tags) return 'needTags';
    const tags = facts.tags.map((t) => `${t.TagKey ?? ''}=${t.TagValue ?? ''}`.toLowerCase());
    open = open.filter((term) => !tags.some((t) => t.includes(term)));
    return open.length === 0 ? 'match' : 'noMatch';
  }
}
