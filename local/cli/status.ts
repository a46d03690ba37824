import { DETAIL_TYPES, ECS_TASK_STATE_CHANGE } from '#contracts/names.ts';
import type { EventEnvelope } from '#local/interfaces.ts';
import { safeText } from '#local/wire/safe-text.ts';
import { workspaceOf } from './format.ts';

/** Where a workspace stands, from its events (and ECS's word on its task when given). */
export type WorkspaceState =
  | 'unknown'
  | 'requested'
  | 'rejected'
  | 'failed'
  | 'launched'
  | 'running'
  | 'stopped'
  | 'deprovisioned';

export interface TaskFacts {
  readonly taskArn: string;
  readonly lastStatus?: string;
  readonly desiredStatus?: string;
  readonly image?: string;
}

export interface WorkspaceStatus {
  readonly workspaceId: string;
  readonly state: WorkspaceState;
  readonly requestId?: string;
  readonly runtime?: string;
  readonly kind?: string;
  readonly image?: string;
  readonly taskArn?: string;
  /** ECS's lastStatus of the task, when ECS was asked. */
  readonly taskStatus?: string;
  readonly overlayApplied: boolean;
  readonly overlayTemplate?: string;
  readonly plugins: readonly string[];
  readonly failure?: { readonly code: string; readonly reason: string };
  readonly rejection?: readonly string[];
  /** How many of the log's events are about this workspace. */
  readonly events: number;
}

type Detail = Record<string, unknown>;
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * Derives a workspace's status from the event log, in order, and then ECS's own view of the
 * task: the log says what the system decided, ECS says whether the task is still there.
 */
export function deriveWorkspaceStatus(
  workspaceId: string,
  events: readonly EventEnvelope[],
  tasks: readonly TaskFacts[] = [],
): WorkspaceStatus {
  let state: WorkspaceState = 'unknown';
  let requestId: string | undefined;
  let runtime: string | undefined;
  let kind: string | undefined;
  let image: string | undefined;
  let taskArn: string | undefined;
  let overlayApplied = false;
  let overlayTemplate: string | undefined;
  let plugins: string[] = [];
  let failure: WorkspaceStatus['failure'];
  let rejection: string[] | undefined;
  let count = 0;

  for (const envelope of events) {
    if (workspaceOf(envelope) !== workspaceId) continue;
    count++;
    const detail = (envelope.detail ?? {}) as Detail;
    switch (envelope['detail-type']) {
      case DETAIL_TYPES.provisionRequested:
        if (
          state === 'unknown' ||
          state === 'stopped' ||
          state === 'deprovisioned' ||
          state === 'failed' ||
          state === 'rejected'
        ) {
          state = 'requested';
          requestId = str(detail.requestId);
          runtime = str(detail.runtime);
          kind = str(detail.kind) ?? 'workspace';
        }
        break;
      case DETAIL_TYPES.provisionRejected:
        if (state === 'requested' || state === 'unknown') {
          state = 'rejected';
          rejection = Array.isArray(detail.errors)
            ? (detail.errors as Detail[]).map(
                (error) => `${str(error.path) ?? ''}: ${str(error.message) ?? ''}`,
              )
            : [];
        }
        break;
      case DETAIL_TYPES.provisionFailed:
        state = 'failed';
        failure = { code: str(detail.code) ?? 'UNKNOWN', reason: str(detail.reason) ?? '' };
        break;
      case DETAIL_TYPES.taskLaunched:
        if (state !== 'running') state = 'launched';
        requestId = str(detail.requestId) ?? requestId;
        taskArn = str(detail.taskArn);
        image = str(detail.image);
        kind = str(detail.kind) ?? kind;
        runtime = str(detail.runtime) ?? runtime;
        break;
      case DETAIL_TYPES.configOverlayApplied: {
        overlayApplied = true;
        const overlay = (detail.overlay ?? {}) as Detail;
        overlayTemplate = str(overlay.template);
        plugins = Array.isArray(overlay.plugins)
          ? (overlay.plugins as Detail[]).map((plugin) => str(plugin.name) ?? '?')
          : [];
        break;
      }
      case DETAIL_TYPES.running:
        // A late state change of a task deprovision already stopped does not bring it back.
        if (state !== 'deprovisioned') state = 'running';
        taskArn = str(detail.taskArn) ?? taskArn;
        break;
      case DETAIL_TYPES.stopped:
        if (state !== 'deprovisioned' && (str(detail.taskArn) === taskArn || taskArn === undefined))
          state = 'stopped';
        break;
      case DETAIL_TYPES.deprovisioned:
        state = 'deprovisioned';
        break;
      case ECS_TASK_STATE_CHANGE:
        break;
    }
  }

  const task =
    tasks.find((candidate) => candidate.taskArn === taskArn) ??
    (taskArn === undefined ? tasks[0] : undefined);
  const taskStatus = task?.lastStatus;
  if (task && !taskArn) taskArn = task.taskArn;
  if (task?.image && !image) image = task.image;
  // ECS has the last word on a task the log still thinks is live.
  if (taskStatus === 'STOPPED' && (state === 'launched' || state === 'running')) state = 'stopped';
  if (taskStatus === 'RUNNING' && state === 'launched') state = 'running';

  return {
    workspaceId,
    state,
    overlayApplied,
    plugins,
    events: count,
    ...(requestId ? { requestId } : {}),
    ...(runtime ? { runtime } : {}),
    ...(kind ? { kind } : {}),
    ...(image ? { image } : {}),
    ...(taskArn ? { taskArn } : {}),
    ...(taskStatus ? { taskStatus } : {}),
    ...(overlayTemplate ? { overlayTemplate } : {}),
    ...(failure ? { failure } : {}),
    ...(rejection ? { rejection } : {}),
  };
}

/** The status as a few aligned lines. */
export function formatWorkspaceStatus(status: WorkspaceStatus): string {
  const lines: Array<[string, string | undefined]> = [
    ['workspace', status.workspaceId],
    ['status', status.state],
    ['request', status.requestId],
    ['runtime', status.runtime],
    ['kind', status.kind],
    [
      'task',
      status.taskArn ? `${status.taskArn}${status.taskStatus ? ` (${status.taskStatus})` : ''}` : undefined,
    ],
    ['image', status.image],
    [
      'overlay',
      status.overlayApplied
        ? `applied${status.overlayTemplate ? `, template ${status.overlayTemplate}` : ''}${
            status.plugins.length > 0 ? `, plugins ${status.plugins.join(', ')}` : ', no plugins'
          }`
        : status.state === 'unknown'
          ? undefined
          : 'not applied',
    ],
    ['failure', status.failure ? `${status.failure.code}: ${status.failure.reason}` : undefined],
    ['rejected', status.rejection?.join('; ')],
  ];
  return lines
    .filter(([, value]) => value !== undefined)
    .map(([label, value]) => `${label.padEnd(10)} ${safeText(value ?? '')}`)
    .join('\n');
}
