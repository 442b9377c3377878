import type { OutputDocuments } from './output';

/** What the key commands share beyond Services: the in-memory output documents. */
export interface KeyCommandDeps {
  readonly docs: OutputDocuments;
}
