import type { EcsTaskStateChangeDetail } from '#contracts/ecs.ts';
import { CONTAINER_NAME, DETAIL_TYPES, FAMILY_PREFIX, KINDS, type Kind } from '#contracts/names.ts';
import type { ProvisionFailedDetail, RunningDetail, StoppedDetail } from '#contracts/outbound.ts';
import type { DomainEvent } from './overlay.ts';
import { startFailureOf } from './start-failure.ts';
import { neverRan, stopCauseOf } from './stop-cause.ts';

/** Who a task belongs to, read from the task's own event. */
export interface TaskIdentity {
  readonly workspaceId: string;
  readonly runtime?: string;
  readonly kind: Kind;
  readonly requestId?: string;
}

/** What the task-state step decided for one ECS event. */
export interface TaskStateDecision {
  /** The version to remember for the task; undefined when the event is stale or a duplicate. */
  readonly version?: number;
  /** The workspace event to emit, if the change means one. */
  readonly event?: DomainEvent;
}

const envOf = (detail: EcsTaskStateChangeDetail): Map<string, string> => {
  const env = new Map<string, string>();
  for (const override of detail.overrides?.containerOverrides ?? []) {
    if (override.name !== undefined && override.name !== CONTAINER_NAME) continue;
    for (const pair of override.environment ?? [])
      if (pair.name && pair.value !== undefined) env.set(pair.name, pair.value);
  }
  return env;
};

const tagOf = (detail: EcsTaskStateChangeDetail, key: string): string | undefined =>
  detail.tags?.find((tag) => tag.key === key)?.value;

/**
 * Reads the workspace, runtime and kind of a task from its state-change event: `startedBy` (the
 * workspace id by convention), the env the system set, tags when present, and the family.
 */
export function taskIdentity(detail: EcsTaskStateChangeDetail): TaskIdentity | undefined {
  const env = envOf(detail);
  const workspaceId = detail.startedBy || env.get('WORKSPACE_ID') || tagOf(detail, 'workspace-id');
  if (!workspaceId) return undefined;
  const familyFromGroup = detail.group?.startsWith(`family:${FAMILY_PREFIX}`)
    ? detail.group.slice(`family:${FAMILY_PREFIX}`.length)
    : undefined;
  const familyFromArn = /:task-definition\/workspace-([^:]+)/.exec(detail.taskDefinitionArn ?? '')?.[1];
  const runtime =
    env.get('WORKSPACE_RUNTIME') ?? tagOf(detail, 'runtime') ?? familyFromArn ?? familyFromGroup;
  const rawKind = env.get('WORKSPACE_KIND') ?? tagOf(detail, 'kind');
  const kind = (KINDS as readonly string[]).includes(rawKind ?? '') ? (rawKind as Kind) : 'workspace';
  const requestId = tagOf(detail, 'request-id');
  return { workspaceId, kind, ...(runtime ? { runtime } : {}), ...(requestId ? { requestId } : {}) };
}

/**
 * The `workspace` container's `imageDigest` as the state change reports it, when it does: ECS
 * fills it once the image is resolved (always for ECR images), so it may be absent.
 */
function imageDigestOf(detail: EcsTaskStateChangeDetail): { imageDigest?: string } {
  const digest = detail.containers?.find((container) => container.name === CONTAINER_NAME)?.imageDigest;
  return digest ? { imageDigest: digest } : {};
}

/**
 * Maps an ECS task state change to the workspace event it means, given the last version seen for
 * the task. ECS delivers these at least once and out of order; `detail.version` rises with every
 * change, so an event at or below the last version is stale or a duplicate and gives nothing.
 * RUNNING gives `Workspace Running`; STOPPED gives `Workspace Stopped` with its `cause` (see
 * {@link stopCauseOf}), or `Workspace Provision Failed` when the task never ran, with the code that
 * says why (see {@link startFailureOf}). Other states only advance the version.
 */
export function decideTaskState(
  detail: EcsTaskStateChangeDetail,
  lastVersion: number | undefined,
): TaskStateDecision {
  if (lastVersion !== undefined && detail.version <= lastVersion) return {};
  const identity = taskIdentity(detail);
  if (!identity) return { version: detail.version };
  const runtime = identity.runtime;
  // ECS's stop intent arrives as lastStatus RUNNING with desiredStatus STOPPED: not a new Running.
  if (detail.lastStatus === 'RUNNING' && detail.desiredStatus !== 'STOPPED' && runtime) {
    const running: RunningDetail = {
      workspaceId: identity.workspaceId,
      taskArn: detail.taskArn,
      runtime,
      kind: identity.kind,
      version: detail.version,
      ...(identity.requestId ? { requestId: identity.requestId } : {}),
      ...imageDigestOf(detail),
    };
    return { version: detail.version, event: { detailType: DETAIL_TYPES.running, detail: { ...running } } };
  }
  if (detail.lastStatus === 'STOPPED') {
    if (neverRan(detail)) {
      const { code, reason, retryable } = startFailureOf(detail);
      const failed: ProvisionFailedDetail = {
        workspaceId: identity.workspaceId,
        code,
        reason,
        retryable,
        kind: identity.kind,
        taskArn: detail.taskArn,
        ...(runtime ? { runtime } : {}),
        ...(identity.requestId ? { requestId: identity.requestId } : {}),
      };
      return {
        version: detail.version,
        event: { detailType: DETAIL_TYPES.provisionFailed, detail: { ...failed } },
      };
    }
    const container =
      detail.containers?.find((candidate) => candidate.name === CONTAINER_NAME) ?? detail.containers?.[0];
    const stopped: StoppedDetail = {
      workspaceId: identity.workspaceId,
      taskArn: detail.taskArn,
      version: detail.version,
      kind: identity.kind,
      cause: stopCauseOf(detail),
      ...(detail.stopCode ? { stopCode: detail.stopCode } : {}),
      ...(detail.stoppedReason ? { stoppedReason: detail.stoppedReason.slice(0, 255) } : {}),
      ...(container?.exitCode !== undefined ? { exitCode: container.exitCode } : {}),
      ...(runtime ? { runtime } : {}),
      ...(identity.requestId ? { requestId: identity.requestId } : {}),
    };
    return { version: detail.version, event: { detailType: DETAIL_TYPES.stopped, detail: { ...stopped } } };
  }
  return { version: detail.version };
}
