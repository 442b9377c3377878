import type { GetKeyRotationStatusCommandOutput, RotationsListEntry } from '@aws-sdk/client-kms';
import { KmsError } from '../kms/errors';
import type { Page } from '../kms/gateway';
import type { RotationInfo } from './keyPresentation';

/** A part of the tree the endpoint may lack: its value, or why it is not there. */
export type Section<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'notSupported'; readonly message: string }
  | { readonly kind: 'failed'; readonly error: unknown };

export interface RotationDetails {
  readonly status: RotationInfo;
  /** The rotations so far (newest first as KMS lists them), or why they are not shown. */
  readonly history: Section<readonly RotationsListEntry[]>;
  /** More rotations than the first page shows. */
  readonly historyTruncated: boolean;
}

export interface RotationSource {
  getKeyRotationStatus(keyId: string): Promise<GetKeyRotationStatusCommandOutput>;
  listKeyRotationsPage(keyId: string, marker?: string, limit?: number): Promise<Page<RotationsListEntry>>;
}

/**
 * A key's rotation status and its history, fetched together. The status is required (a
 * failure, including "not supported", is thrown); the history is optional: endpoints
 * such as LocalStack lack ListKeyRotations, which leaves the status still worth showing.
 */
export async function loadRotation(source: RotationSource, keyId: string): Promise<RotationDetails> {
  const [status, history] = await Promise.all([
    source.getKeyRotationStatus(keyId),
    section(() => source.listKeyRotationsPage(keyId, undefined, 100)),
  ]);
  return {
    status,
    history: history.kind === 'ok' ? { kind: 'ok', value: history.value.items } : history,
    historyTruncated: history.kind === 'ok' && history.value.nextMarker !== undefined,
  };
}

/** Runs a call and says whether the endpoint supports it instead of throwing. */
export async function section<T>(call: () => Promise<T>): Promise<Section<T>> {
  try {
    return { kind: 'ok', value: await call() };
  } catch (error) {
    if (error instanceof KmsError && error.notSupported) return { kind: 'notSupported', message: error.message };
    return { kind: 'failed', error };
  }
}
