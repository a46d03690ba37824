/**
 * Issue 13's lifecycle events as the CLI shows them: their names, the facts `workspaces events`
 * prints for each, and `Workspace Restart Requested`'s entry for `workspaces restart`.
 *
 * The names are string literals in {@link LIFECYCLE_DETAIL_TYPES} only until the contract names them
 * (`DETAIL_TYPES` in functions/contracts/names.ts): at that merge the object is replaced by the
 * contract's names and nothing else here changes. The stack's own activity log
 * (local/stack/event-summary.ts) summarizes them once they are in the contract.
 */
import type { EventEnvelope } from '#local/interfaces.ts';
import { shortTaskId } from '#local/stack/event-summary.ts';

/** The detail-types of issue 13 (exact spellings of the shared design), until the contract has them. */
export const LIFECYCLE_DETAIL_TYPES = {
  /** Inbound: `{ requestId, workspaceId, reason? }`. */
  restartRequested: 'Workspace Restart Requested',
  /** `{ workspaceId, cause, attempt, previousTaskArn?, requestId, kind, backoffSeconds }`. */
  recovering: 'Workspace Recovering',
  /** `{ workspaceId, cause, attempts, previousTaskArn?, requestId, kind }`. */
  recoveryAbandoned: 'Workspace Recovery Abandoned',
  /** `{ requestId, workspaceId, state, taskArn?, url?, since?, kind?, runtime? }`. */
  status: 'Workspace Status',
  /** `{ requestId, workspaceId, code, reason }`. */
  restartFailed: 'Workspace Restart Failed',
  /** `{ workspaceId, taskArn, reason }`. */
  orphanTaskStopped: 'Workspace Orphan Task Stopped',
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
