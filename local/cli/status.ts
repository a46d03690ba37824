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
  | 'recovering'
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
  /** The last recovery: under way (`Workspace Recovering`) or given up (`Workspace Recovery Abandoned`). */
  readonly recovery?: {
    readonly outcome: 'recovering' | 'abandoned';
    readonly cause: string;
    /** The attempt under way, or the attempts made when abandoned. */
    readonly attempts: number;
  };
  /** The last restart asked for, and its failure if it failed. */
  readonly restart?: {
    readonly requestId: string;
    readonly failure?: { readonly code: string; readonly reason: string };
  };
  /** The provisioner's own last answer to a status request (`Workspace Status`). */
  readonly reported?: { readonly state: string; readonly requestId: string; readonly since?: string };
  /** Tasks of this workspace the reconciliation sweep stopped, with why. */
  readonly orphansStopped: ReadonlyArray<{ readonly taskArn: string; readonly reason: string }>;
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
  let recovery: WorkspaceStatus['recovery'];
  let restart: WorkspaceStatus['restart'];
  let reported: WorkspaceStatus['reported'];
  const orphansStopped: Array<{ taskArn: string; reason: string }> = [];
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
          recovery = undefined;
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
        // A recovery under way, or given up, says more about this stop, whichever event came first.
        if (
          state !== 'deprovisioned' &&
          state !== 'recovering' &&
          !(state === 'failed' && recovery?.outcome === 'abandoned') &&
          (str(detail.taskArn) === taskArn || taskArn === undefined)
        )
          state = 'stopped';
        break;
      case DETAIL_TYPES.deprovisioned:
        state = 'deprovisioned';
        break;
      case DETAIL_TYPES.recovering:
        // The stopped task is being replaced after its backoff; Task Launched and Running follow.
        if (state !== 'deprovisioned') state = 'recovering';
        recovery = {
          outcome: 'recovering',
          cause: str(detail.cause) ?? 'unknown',
          attempts: typeof detail.attempt === 'number' ? detail.attempt : 0,
        };
        break;
      case DETAIL_TYPES.recoveryAbandoned:
        if (state !== 'deprovisioned') state = 'failed';
        recovery = {
          outcome: 'abandoned',
          cause: str(detail.cause) ?? 'unknown',
          attempts: typeof detail.attempts === 'number' ? detail.attempts : 0,
        };
        break;
      case DETAIL_TYPES.restartRequested:
        restart = { requestId: str(detail.requestId) ?? '' };
        break;
      case DETAIL_TYPES.restartFailed:
        restart = {
          requestId: str(detail.requestId) ?? restart?.requestId ?? '',
          failure: { code: str(detail.code) ?? 'UNKNOWN', reason: str(detail.reason) ?? '' },
        };
        break;
      case DETAIL_TYPES.status: {
        const since = str(detail.since);
        reported = {
          state: str(detail.state) ?? 'unknown',
          requestId: str(detail.requestId) ?? '',
          ...(since ? { since } : {}),
        };
        break;
      }
      case DETAIL_TYPES.orphanTaskStopped:
        orphansStopped.push({ taskArn: str(detail.taskArn) ?? '', reason: str(detail.reason) ?? '' });
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
    orphansStopped,
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
    ...(recovery ? { recovery } : {}),
    ...(restart ? { restart } : {}),
    ...(reported ? { reported } : {}),
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
    [
      'recovery',
      status.recovery
        ? status.recovery.outcome === 'recovering'
          ? `recovering from ${status.recovery.cause}, attempt ${status.recovery.attempts}`
          : `abandoned after ${status.recovery.attempts} attempts (${status.recovery.cause})`
        : undefined,
    ],
    [
      'restart',
      status.restart
        ? `${status.restart.failure ? `failed ${status.restart.failure.code}: ${status.restart.failure.reason}` : 'requested'} (request ${status.restart.requestId})`
        : undefined,
    ],
    [
      'reported',
      status.reported
        ? `${status.reported.state}${status.reported.since ? ` since ${status.reported.since}` : ''} (request ${status.reported.requestId})`
        : undefined,
    ],
    ...status.orphansStopped.map((orphan): [string, string] => [
      'orphan',
      `task ${orphan.taskArn} stopped (${orphan.reason})`,
    ]),
  ];
  return lines
    .filter(([, value]) => value !== undefined)
    .map(([label, value]) => `${label.padEnd(10)} ${safeText(value ?? '')}`)
    .join('\n');
}
