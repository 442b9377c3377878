// What every operation handler receives besides its input.
import type { Store } from './state';

export interface OpContext {
  store: Store;
  /** The region of the request: the one in its SigV4 credential scope. */
  region: string;
  accountId: string;
  /** The caller as IAM would name it, for AccessDeniedException messages. */
  callerArn: string;
  operation: string;
  now: number;
}
