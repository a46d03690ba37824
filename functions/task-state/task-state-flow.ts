/**
 * The task-state flow over its ports, callable without middy. ECS delivers state changes at least
 * once and out of order, so each task's last version is kept: an event at or below it is stale or
 * a duplicate and emits nothing. A newer one emits `Workspace Running`, `Workspace Stopped` or
 * `Workspace Provision Failed` (TASK_FAILED_TO_START) and then records its version, so a failure in
 * between repeats the event rather than losing it.
 *
 * Deciding, emitting and recording happen under a short per-task lease: two deliveries of
 * different versions in flight at once would otherwise both emit and race their PutEvents, so a
 * consumer could see Stopped before Running. Under the lease the later version waits for the
 * earlier emit, so the bus carries a task's workspace events in version order.
 */
import { randomUUID } from 'node:crypto';
import { countMetric, type FlowInstrumentation } from '#adapters/instrumentation.ts';
import type { OverlayTable } from '#config/overlays.ts';
import type { EcsTaskStateChangeDetail } from '#contracts/ecs.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { taskAddress } from '#core/task-address.ts';
import { decideTaskState } from '#core/task-state.ts';
import { withWorkspaceLease } from '#policies/workspace-lease.ts';
import type { Clock } from '#ports/clock.ts';
import type { EventPublisher } from '#ports/event-publisher.ts';
import type { ProvisionRequestStore } from '#ports/provision-request-store.ts';
import type { TaskVersionStore } from '#ports/task-version-store.ts';
import type { WorkspaceLeaseStore } from '#ports/workspace-lease-store.ts';
import type { WorkspaceRecordStore } from '#ports/workspace-record-store.ts';
import { METRIC } from '#wiring/names.ts';
import { bootEvidenceOf, bootSucceeded, reportBootEvidence } from './boot-evidence.ts';
import { followWorkspaceEvent, type RecoverySettings } from './workspace-lifecycle.ts';

/** What the task-state flow runs on. */
export interface TaskStatePorts {
  readonly publisher: EventPublisher;
  readonly taskVersions: TaskVersionStore;
  readonly workspaceLeases: WorkspaceLeaseStore;
  /** The task definition families of the catalog's runtimes; other tasks are not ours. */
  readonly families: ReadonlySet<string>;
  readonly clock: Clock;
  readonly random: () => number;
  readonly instrumentation: FlowInstrumentation;
  /** v1.1: the recorded requests, for Overlay Applied on the boot step's evidence. */
  readonly requests: ProvisionRequestStore;
  readonly overlays: OverlayTable;
  /** v1.1: each runtime's container port, for the Running event's address. */
  readonly containerPorts: ReadonlyMap<string, number>;
  /** v1.2: the workspace records, which follow the task's events (`workspace-lifecycle.ts`). */
  readonly workspaceRecords: WorkspaceRecordStore;
  /** v1.2: the crash-loop cap and the recovery backoff. */
  readonly recovery: RecoverySettings;
}

export type TaskStateResult =
  | { readonly outcome: 'emitted'; readonly detailType: string; readonly version: number }
  | { readonly outcome: 'advanced'; readonly version: number }
  | { readonly outcome: 'ignored'; readonly reason: 'unparseable' | 'foreign-family' | 'stale-or-duplicate' };

/** Time kept back from the invocation's budget when waiting for a task's lease. */
const SAFETY_MARGIN_MS = 2_000;
/** Emitting takes milliseconds, so a held task lease is polled quickly. */
const TASK_LEASE_BACKOFF = { baseDelayMs: 1, maxDelayMs: 20 } as const;

/** Lease key of one task, apart from the workspace leases provision and deprovision take. */
const taskLeaseKey = (taskArn: string): string => `task:${taskArn}`;

const familyOf = (detail: EcsTaskStateChangeDetail): string | undefined =>
  /:task-definition\/([^:]+)/.exec(detail.taskDefinitionArn ?? '')?.[1] ??
  (detail.group?.startsWith('family:') ? detail.group.slice('family:'.length) : undefined);

/** v1.1: a Running event gets the task's address, when ECS shows one. */
function withAddress(
  event: { readonly detailType: string; readonly detail: Record<string, unknown> },
  detail: EcsTaskStateChangeDetail,
  ports: Pick<TaskStatePorts, 'containerPorts'>,
) {
  if (event.detailType !== DETAIL_TYPES.running) return event;
  const port = ports.containerPorts.get(String(event.detail.runtime));
  const address = port === undefined ? undefined : taskAddress(detail, port);
  return address ? { ...event, detail: { ...event.detail, ...address } } : event;
}

/** Counts and returns an ignored change. */
export function ignoreTaskState(
  reason: 'unparseable' | 'foreign-family' | 'stale-or-duplicate',
  ports: Pick<TaskStatePorts, 'instrumentation'>,
): TaskStateResult {
  countMetric(ports.instrumentation.metrics, METRIC.taskStateIgnored);
  return { outcome: 'ignored', reason };
}

/** Turns one parsed ECS task state change into at most one workspace event, in version order. */
export async function onTaskStateChange(
  detail: EcsTaskStateChangeDetail,
  ports: TaskStatePorts,
  budget: { readonly remainingMs: number },
): Promise<TaskStateResult> {
  const { logger, metrics } = ports.instrumentation;
  const family = familyOf(detail);
  if (family !== undefined && !ports.families.has(family)) return ignoreTaskState('foreign-family', ports);
  // A change that can emit nothing (PROVISIONING, PENDING before the boot step exits) only moves
  // the version forward, which the store's conditional write orders by itself: no lease, so it
  // never makes the task's Running wait behind it.
  if (!mayEmit(detail)) return advanceOnly(detail, ports);
  const lease = {
    clock: ports.clock,
    random: ports.random,
    deadline: ports.clock.now() + Math.max(0, budget.remainingMs - SAFETY_MARGIN_MS),
    ttlMs: budget.remainingMs + SAFETY_MARGIN_MS,
    backoff: TASK_LEASE_BACKOFF,
    onWait: () => countMetric(metrics, METRIC.leaseWaited),
    onReleaseFailed: (error: Error) => logger.warn('could not release the task lease', { error }),
  };
  return withWorkspaceLease(ports.workspaceLeases, taskLeaseKey(detail.taskArn), randomUUID(), lease, () =>
    claimAndEmit(detail, ports),
  );
}

/** True when the change could emit a workspace event, whatever version the task is at. */
export function mayEmit(detail: EcsTaskStateChangeDetail): boolean {
  return decideTaskState(detail, undefined).event !== undefined || bootSucceeded(detail);
}

/** A change that emits nothing: the task's version moves to it unless it is stale. */
async function advanceOnly(
  detail: EcsTaskStateChangeDetail,
  ports: TaskStatePorts,
): Promise<TaskStateResult> {
  const { taskVersions } = ports;
  const decision = decideTaskState(detail, await taskVersions.get(detail.taskArn));
  if (decision.version === undefined || !(await taskVersions.advance(detail.taskArn, decision.version)))
    return ignoreTaskState('stale-or-duplicate', ports);
  countMetric(ports.instrumentation.metrics, METRIC.taskStateAdvanced);
  return { outcome: 'advanced', version: decision.version };
}

async function claimAndEmit(
  detail: EcsTaskStateChangeDetail,
  ports: TaskStatePorts,
): Promise<TaskStateResult> {
  const { taskVersions } = ports;
  const { logger, metrics } = ports.instrumentation;
  // Both reads at once: the boot step's evidence is on every change after it exited, Running's too.
  const [lastVersion, bootRecord] = await Promise.all([
    taskVersions.get(detail.taskArn),
    bootEvidenceOf(detail, ports),
  ]);
  const decision = decideTaskState(detail, lastVersion);
  if (decision.version === undefined) {
    logger.debug('stale or duplicate task state change', { lastVersion });
    return ignoreTaskState('stale-or-duplicate', ports);
  }
  // Overlay Applied before this task's Running: the boot step exits before the workspace starts.
  await reportBootEvidence(detail, bootRecord, ports);
  if (!decision.event) {
    if (!(await taskVersions.advance(detail.taskArn, decision.version)))
      return ignoreTaskState('stale-or-duplicate', ports);
    countMetric(metrics, METRIC.taskStateAdvanced);
    return { outcome: 'advanced', version: decision.version };
  }
  // Emit first, then record the version: a crash in between re-emits on the platform's retry (a
  // duplicate consumers dedupe by version) instead of losing the event for good.
  const event = withAddress(decision.event, detail, ports);
  await ports.publisher.publish([event]);
  await followWorkspaceEvent(event, detail, ports);
  // The conditional write still guards against a lease that expired under a stalled invocation.
  await taskVersions.advance(detail.taskArn, decision.version);
  countMetric(metrics, METRIC.taskStateEmitted);
  logger.info('emitted the workspace state', { detailType: decision.event.detailType });
  return { outcome: 'emitted', detailType: decision.event.detailType, version: decision.version };
}
