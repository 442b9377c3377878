// The shape of an operation handler, and helpers most handlers share.
import type { OpContext } from './context';
import { apiError } from './errors';
import type { Input } from './validate';

export type Output = Record<string, unknown>;

export interface Operation {
  handler: (input: Input, ctx: OpContext) => Output | Promise<Output>;
  /** Read-only operations do not trigger a save of the persisted state. */
  readOnly?: boolean;
}

export type OperationTable = Record<string, Operation>;

/** Epoch seconds (with milliseconds as the fraction), as KMS sends timestamps. */
export const seconds = (ms: number): number => ms / 1000;

/** The DryRun parameter: stop with DryRunOperationException once the request is known to be good. */
export function checkDryRun(input: Input): void {
  if (input.bool('DryRun')) throw apiError('DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.');
}

export const grantTokensRule = { max: 10, item: { min: 1, max: 8192 } };
