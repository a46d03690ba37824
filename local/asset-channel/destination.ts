/** The `destination` of `Workspace Template Assets Requested`: `s3://<bucket>/<prefix>/`. */
import { InvalidDestinationError } from './errors.ts';

/** Where a request's assets go: a bucket and a key prefix ending in `/`. */
export interface StagingDestination {
  readonly bucket: string;
  readonly prefix: string;
}

/**
 * Parses an `s3://` destination.
 *
 * @throws InvalidDestinationError when it is not `s3://<bucket>/<prefix>/`.
 */
export function parseDestination(uri: string): StagingDestination {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+\/)$/.exec(uri);
  if (!match) {
    throw new InvalidDestinationError(
      `destination must look like s3://<bucket>/<prefix>/; got ${JSON.stringify(uri.slice(0, 200))}`,
    );
  }
  return { bucket: match[1] as string, prefix: match[2] as string };
}
