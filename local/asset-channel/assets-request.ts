/**
 * What the channel reads from `Workspace Template Assets Requested`: the ids, the template and the
 * destination. Read as an upstream consumer would read the published contract: only the fields it
 * needs, each checked, the rest ignored.
 */
import { parseDestination, type StagingDestination } from './destination.ts';
import { InvalidAssetsRequestError } from './errors.ts';

/** The fields of a template assets request the channel acts on. */
export interface AssetsRequest {
  readonly requestId: string;
  readonly workspaceId: string;
  readonly template: string;
  readonly destination: StagingDestination;
}

const text = (detail: Record<string, unknown>, field: string): string => {
  const value = detail[field];
  if (typeof value !== 'string' || value === '') {
    throw new InvalidAssetsRequestError(`detail.${field} must be a non-empty string`);
  }
  return value;
};

/**
 * Reads a `Workspace Template Assets Requested` detail.
 *
 * @throws InvalidAssetsRequestError (or InvalidDestinationError) when a field is missing or malformed.
 */
export function readAssetsRequest(detail: unknown): AssetsRequest {
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    throw new InvalidAssetsRequestError('detail must be an object');
  }
  const fields = detail as Record<string, unknown>;
  return {
    requestId: text(fields, 'requestId'),
    workspaceId: text(fields, 'workspaceId'),
    template: text(fields, 'template'),
    destination: parseDestination(text(fields, 'destination')),
  };
}
