/**
 * Issue 13's lifecycle events as the CLI shows them: their names, the facts `workspaces events`
 * prints for each, and `Workspace Restart Requested`'s entry for `workspaces restart`.

 */
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { EventEnvelope } from '#local/interfaces.ts';
import { shortTaskId } from '#local/stack/event-summary.ts';

/** The detail-types of issue 13 the CLI shows, as the contract names them. */
export const LIFECYCLE_DETAIL_TYPES = {
  restartRequested: DETAIL_TYPES.restartRequested,
  recovering: DETAIL_TYPES.recovering,
  recoveryAbandoned: DETAIL_TYPES.recoveryAbandoned,
  status: DETAIL_TYPES.status,
  restartFailed: DETAIL_TYPES.restartFailed,
  orphanTaskStopped: DETAIL_TYPES.orphanTaskStopped,
} as const;

type Detail = Record<string, unknown>;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : undefined;

const pairs = (entries: ReadonlyArray<readonly [string, unknown]>): string =>
  entries
    .map(([key, value]) => [key, text(value)] as const)
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');

/**
 * The facts worth one line for a lifecycle event, or undefined for any other detail-type (the
 * stack's summaries cover those).
 */
export function summarizeLifecycleDetail(
  envelope: Pick<EventEnvelope, 'detail' | 'detail-type'>,
): string | undefined {
  const detail = (envelope.detail ?? {}) as Detail;
  switch (envelope['detail-type']) {
    case LIFECYCLE_DETAIL_TYPES.restartRequested:
      return pairs([
        ['request', detail.requestId],
        ['reason', detail.reason],
      ]);
    case LIFECYCLE_DETAIL_TYPES.recovering:
      return pairs([
        ['cause', detail.cause],
        ['attempt', detail.attempt],
        ['backoff', typeof detail.backoffSeconds === 'number' ? `${detail.backoffSeconds}s` : undefined],
        ['previousTask', shortTaskId(detail.previousTaskArn)],
        ['request', detail.requestId],
      ]);
    case LIFECYCLE_DETAIL_TYPES.recoveryAbandoned:
      return pairs([
        ['cause', detail.cause],
        ['attempts', detail.attempts],
        ['previousTask', shortTaskId(detail.previousTaskArn)],
        ['request', detail.requestId],
      ]);
    case LIFECYCLE_DETAIL_TYPES.status:
      return pairs([
        ['state', detail.state],
        ['task', shortTaskId(detail.taskArn)],
        ['url', detail.url],
        ['since', detail.since],
        ['request', detail.requestId],
      ]);
    case LIFECYCLE_DETAIL_TYPES.restartFailed:
      return pairs([
        ['code', detail.code],
        ['request', detail.requestId],
        ['reason', JSON.stringify(detail.reason ?? '')],
      ]);
    case LIFECYCLE_DETAIL_TYPES.orphanTaskStopped:
      return pairs([
        ['task', shortTaskId(detail.taskArn)],
        ['reason', detail.reason],
      ]);
    default:
      return undefined;
  }
}
