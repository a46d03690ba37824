/** ListTasks: the cluster's task ARNs by desiredStatus, startedBy or family, paged by nextToken. */

import { optionalNumber, optionalString, type WireObject, wireObject } from '#local/wire/wire-input.ts';
import { type EcsCluster, invalidParameter, MAX_TASKS_PER_CALL, resolveCluster } from './cluster.ts';

export interface ListTasksResponse {
  readonly taskArns: string[];
  readonly nextToken?: string;
}

const DESIRED_STATUSES = new Set(['RUNNING', 'PENDING', 'STOPPED']);

/** ListTasks over `cluster`, oldest task first. */
export function createListTasks(cluster: EcsCluster): (input: unknown) => ListTasksResponse {
  return function listTasks(input) {
    const request = wireObject(input);
    resolveCluster(cluster, request);
    const desiredStatus = optionalString(request, 'desiredStatus') ?? 'RUNNING';
    if (!DESIRED_STATUSES.has(desiredStatus)) {
      throw invalidParameter(`desiredStatus must be one of RUNNING, PENDING, STOPPED.`);
    }
    const maxResults = optionalNumber(request, 'maxResults') ?? MAX_TASKS_PER_CALL;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_TASKS_PER_CALL) {
      throw invalidParameter(`maxResults must be between 1 and ${MAX_TASKS_PER_CALL}.`);
    }
    const afterSeq = decodeNextToken(optionalString(request, 'nextToken'));
    if (matchesNothingHere(request)) return { taskArns: [] };
    const startedBy = optionalString(request, 'startedBy');
    const family = optionalString(request, 'family');
    const rows = cluster.store.list({
      clusterArn: cluster.clusterArn,
      desiredStatus,
      ...(startedBy !== undefined ? { startedBy } : {}),
      ...(family !== undefined ? { family } : {}),
      afterSeq,
      limit: maxResults + 1,
    });
    const page = rows.slice(0, maxResults);
    const last = page.at(-1);
    return {
      taskArns: page.map((row) => row.taskArn),
      ...(rows.length > maxResults && last !== undefined ? { nextToken: encodeNextToken(last.seq) } : {}),
    };
  };
}

/** No services and no container instances here, and only Fargate: those filters match nothing. */
function matchesNothingHere(request: WireObject): boolean {
  const launchType = optionalString(request, 'launchType');
  return (
    optionalString(request, 'serviceName') !== undefined ||
    optionalString(request, 'containerInstance') !== undefined ||
    (launchType !== undefined && launchType !== 'FARGATE')
  );
}

/** ListTasks' opaque nextToken: the position after which the next page starts. */
export const encodeNextToken = (seq: number): string =>
  Buffer.from(JSON.stringify({ after: seq })).toString('base64url');

/** The position a nextToken names (0 for none); InvalidParameterException for a forged one. */
export function decodeNextToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'number' && Number.isInteger(parsed.after) && parsed.after >= 0)
      return parsed.after;
  } catch {
    // Fall through to the error below.
  }
  throw invalidParameter('Invalid nextToken.');
}
