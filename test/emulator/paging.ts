// Limit / Marker / NextMarker / Truncated paging as the KMS List operations do it. A marker is
// opaque to clients; here it carries the sort key of the last item returned.
import { apiError } from './errors';
import type { Input } from './validate';

export interface Page<T> {
  items: T[];
  nextMarker?: string;
  truncated: boolean;
}

/** One page of `items`, in the order of `sortKey`. */
export function paginate<T>(
  items: readonly T[],
  sortKey: (item: T) => string,
  input: Input,
  limits: { max: number; default: number },
): Page<T> {
  const limit = input.int('Limit', { min: 1, max: limits.max }) ?? limits.default;
  const marker = input.string('Marker', { min: 1, max: 1024 });
  let after: string | undefined;
  if (marker !== undefined) {
    const decoded = Buffer.from(marker, 'base64url').toString('utf8');
    if (!decoded.startsWith('m1:')) throw apiError('InvalidMarkerException', `The marker '${marker}' is not valid.`);
    after = decoded.slice(3);
  }
  const sorted = [...items].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
  const rest = after === undefined ? sorted : sorted.filter((item) => sortKey(item) > after);
  const page = rest.slice(0, limit);
  const truncated = rest.length > limit;
  return {
    items: page,
    truncated,
    nextMarker: truncated ? Buffer.from(`m1:${sortKey(page[page.length - 1])}`).toString('base64url') : undefined,
  };
}

/** The response members of a page, NextMarker only when truncated. */
export function pageFields<T>(name: string, page: Page<T>, map: (item: T) => unknown): Record<string, unknown> {
  return { [name]: page.items.map(map), ...(page.truncated ? { NextMarker: page.nextMarker } : {}), Truncated: page.truncated };
}

/** A zero-padded number, so sequence numbers sort as strings. */
export const seqKey = (seq: number): string => String(seq).padStart(12, '0');
