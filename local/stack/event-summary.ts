/**
 * One-line summaries of events for people: which workspace an event is about and the facts worth
 * showing. The stack's activity log and the CLI's `events`/`status` lines both use them, so they sit
 * with the assembly (which the CLI may import) rather than in the CLI (which the assembly must not).
 */
import { DETAIL_TYPES, ECS_TASK_STATE_CHANGE } from '#contracts/names.ts';
import type { EventEnvelope } from '#local/interfaces.ts';

type Detail = Record<string, unknown>;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : undefined;

/** `arn:aws:ecs:...:task/workspaces/abc123` into `abc123`: enough to tell tasks apart on one line. */
export const shortTaskId = (taskArn: unknown): string | undefined =>
  typeof taskArn === 'string' ? taskArn.slice(taskArn.lastIndexOf('/') + 1) : undefined;

const pairs = (entries: ReadonlyArray<readonly [string, unknown]>): string =>
  entries
    .map(([key, value]) => [key, text(value)] as const)
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');

/** The workspace an event is about: `detail.workspaceId`, or `startedBy` for ECS's own events. */
export function workspaceOf(envelope: Pick<EventEnvelope, 'detail' | 'detail-type'>): string | undefined {
  const detail = (envelope.detail ?? {}) as Detail;
  if (envelope['detail-type'] === ECS_TASK_STATE_CHANGE) return text(detail.startedBy);
  return text(detail.workspaceId);
}

/** The facts worth one line for each detail-type; unknown ones show their workspace only. */
export function summarizeDetail(envelope: Pick<EventEnvelope, 'detail' | 'detail-type'>): string {
  const detail = (envelope.detail ?? {}) as Detail;
  switch (envelope['detail-type']) {
    case DETAIL_TYPES.provisionRequested:
      return pairs([
        ['runtime', detail.runtime],
        ['kind', detail.kind ?? 'workspace'],
        ['tier', detail.tier],
        ['secrets', Array.isArray(detail.secrets) ? detail.secrets.join(',') : undefined],
        ['request', detail.requestId],
      ]);
    case DETAIL_TYPES.deprovisionRequested:
      return pairs([
        ['request', detail.requestId],
        ['reason', detail.reason],
        ['erase', detail.erase],
      ]);
    case DETAIL_TYPES.taskLaunched:
      return pairs([
        ['task', shortTaskId(detail.taskArn)],
        ['image', detail.image],
        ['kind', detail.kind],
        ['cpu', detail.cpu],
        ['memory', detail.memory],
        ['alreadyRunning', detail.alreadyRunning],
      ]);
    case DETAIL_TYPES.configOverlayApplied: {
      const overlay = (detail.overlay ?? {}) as Detail;
      const plugins = Array.isArray(overlay.plugins) ? overlay.plugins.length : 0;
      return pairs([
        ['kind', detail.kind],
        ['template', overlay.template],
        ['plugins', plugins],
        ['config', JSON.stringify(overlay.config ?? {})],
        [
          'files',
          Array.isArray(detail.files)
            ? (detail.files as Detail[]).map((file) => file.path).join(',')
            : undefined,
        ],
        ['secrets', Array.isArray(detail.secrets) ? detail.secrets.join(',') : undefined],
      ]);
    }
    case DETAIL_TYPES.templateAssetsRequested:
      return pairs([
        ['template', detail.template],
        ['paths', Array.isArray(detail.paths) ? detail.paths.join(',') : undefined],
        ['destination', detail.destination],
      ]);
    case DETAIL_TYPES.templateAssetsStaged:
      return pairs([['request', detail.requestId]]);
    case DETAIL_TYPES.pluginInstallRequested: {
      const plugin = (detail.plugin ?? {}) as Detail;
      return pairs([
        ['plugin', plugin.name],
        ['source', plugin.source],
      ]);
    }
    case DETAIL_TYPES.provisionFailed:
      return pairs([
        ['code', detail.code],
        ['retryable', detail.retryable],
        ['request', detail.requestId],
        ['reason', JSON.stringify(detail.reason ?? '')],
      ]);
    case DETAIL_TYPES.provisionRejected: {
      const errors = Array.isArray(detail.errors) ? (detail.errors as Detail[]) : [];
      return pairs([
        ['request', detail.requestId],
        [
          'errors',
          JSON.stringify(errors.map((error) => `${text(error.path) ?? ''}: ${text(error.message) ?? ''}`)),
        ],
      ]);
    }
    case DETAIL_TYPES.running:
      return pairs([
        ['task', shortTaskId(detail.taskArn)],
        ['runtime', detail.runtime],
        ['kind', detail.kind],
        ['url', detail.url],
      ]);
    case DETAIL_TYPES.stopped:
      return pairs([
        ['task', shortTaskId(detail.taskArn)],
        ['cause', detail.cause],
        ['stopCode', detail.stopCode],
        ['exitCode', detail.exitCode],
      ]);
    case DETAIL_TYPES.deprovisioned:
      return pairs([
        ['request', detail.requestId],
        [
          'tasks',
          Array.isArray(detail.taskArns) ? detail.taskArns.map(shortTaskId).join(',') || 'none' : undefined,
        ],
      ]);
    // v1.2: the lifecycle events.
    case DETAIL_TYPES.restartRequested:
      return pairs([
        ['request', detail.requestId],
        ['reason', detail.reason],
      ]);
    case DETAIL_TYPES.recovering:
      return pairs([
        ['cause', detail.cause],
        ['attempt', detail.attempt],
        ['backoff', typeof detail.backoffSeconds === 'number' ? `${detail.backoffSeconds}s` : undefined],
        ['previousTask', shortTaskId(detail.previousTaskArn)],
        ['request', detail.requestId],
      ]);
    case DETAIL_TYPES.recoveryAbandoned:
      return pairs([
        ['cause', detail.cause],
        ['attempts', detail.attempts],
        ['previousTask', shortTaskId(detail.previousTaskArn)],
        ['request', detail.requestId],
      ]);
    case DETAIL_TYPES.status:
      return pairs([
        ['state', detail.state],
        ['task', shortTaskId(detail.taskArn)],
        ['url', detail.url],
        ['since', detail.since],
        ['request', detail.requestId],
      ]);
    case DETAIL_TYPES.restartFailed:
      return pairs([
        ['code', detail.code],
        ['request', detail.requestId],
        ['reason', JSON.stringify(detail.reason ?? '')],
      ]);
    case DETAIL_TYPES.orphanTaskStopped:
      return pairs([
        ['task', shortTaskId(detail.taskArn)],
        ['reason', detail.reason],
      ]);
    // v1.3: persistent data.
    case DETAIL_TYPES.dataSaved:
      return pairs([
        ['snapshot', detail.snapshotId],
        ['size', typeof detail.sizeGiB === 'number' ? `${detail.sizeGiB}GiB` : undefined],
        ['task', shortTaskId(detail.taskArn)],
      ]);
    case DETAIL_TYPES.dataSaveFailed:
      return pairs([
        ['volume', detail.volumeId],
        ['snapshot', detail.snapshotId],
        ['task', shortTaskId(detail.taskArn)],
        ['reason', JSON.stringify(detail.reason ?? '')],
      ]);
    case DETAIL_TYPES.dataErased:
      return pairs([
        ['request', detail.requestId],
        ['snapshots', Array.isArray(detail.snapshotIds) ? detail.snapshotIds.join(',') || 'none' : undefined],
        ['volumes', Array.isArray(detail.volumeIds) ? detail.volumeIds.join(',') || 'none' : undefined],
      ]);
    case ECS_TASK_STATE_CHANGE:
      return pairs([
        ['task', shortTaskId(detail.taskArn)],
        ['lastStatus', detail.lastStatus],
        ['desiredStatus', detail.desiredStatus],
        ['stopCode', detail.stopCode],
        ['version', detail.version],
      ]);
    default:
      return '';
  }
}
