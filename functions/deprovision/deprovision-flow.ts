/**
 * The deprovision flow over its ports, callable without middy: under the workspace's lease (so a
 * launch in flight finishes first and its task is stopped too), stop every live task of the
 * workspace and emit `Workspace Deprovisioned` with their ARNs (an empty list when none ran).
 * v1.3: with `erase: true`, the record says the data is being erased before any task stops (so no
 * save starts for them), and after `Workspace Deprovisioned` the data is erased
 * (`data-erase.ts`) and `Workspace Data Erased` says what went. Without it, the data stays: each
 * stopped task's save keeps it for a later provision.
 */
import type { ParsedResultError } from '@aws-lambda-powertools/parser/types';
import { countMetric, type FlowInstrumentation } from '#adapters/instrumentation.ts';
import type { DeprovisionRequestedDetail } from '#contracts/inbound.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { DataErasedDetail, DeprovisionedDetail } from '#contracts/outbound.ts';
import { deprovisionStopReason } from '#core/stop-reasons.ts';
import { workspaceLeaseOptions } from '#functions/launch/lease-options.ts';
import { recordDeprovisioned } from '#functions/launch/workspace-record-writes.ts';
import { rejectionOf } from '#policies/request-rejection.ts';
import { withWorkspaceLease } from '#policies/workspace-lease.ts';
import type { WorkspaceTasks } from '#policies/workspace-tasks.ts';
import type { Clock } from '#ports/clock.ts';
import type { EventPublisher } from '#ports/event-publisher.ts';
import type { TaskRunner } from '#ports/task-runner.ts';
import type { WorkspaceLeaseStore } from '#ports/workspace-lease-store.ts';
import type { WorkspaceRecordStore } from '#ports/workspace-record-store.ts';
import type { WorkspaceVolumes } from '#ports/workspace-volumes.ts';
import { METRIC } from '#wiring/names.ts';
import { type ErasedData, eraseWorkspaceData } from './data-erase.ts';

/** What the deprovision flow runs on. */
export interface DeprovisionPorts {
  readonly runner: Pick<TaskRunner, 'stopTask' | 'describeTasks'>;
  readonly workspaceTasks: Pick<WorkspaceTasks, 'live'>;
  readonly workspaceLeases: WorkspaceLeaseStore;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly random: () => number;
  /** Time kept back from the remaining time when waiting for the workspace lease. */
  readonly safetyMarginMs: number;
  readonly instrumentation: FlowInstrumentation;
  /** v1.2: the workspace records; a deprovision ends the workspace's (and any recovery under way). */
  readonly workspaceRecords: WorkspaceRecordStore;
  /** v1.3: the workspace's data volumes and snapshots, for an erase. */
  readonly volumes: WorkspaceVolumes;
}

export type DeprovisionResult =
  | { readonly outcome: 'rejected'; readonly errors: number }
  | {
      readonly outcome: 'deprovisioned';
      readonly taskArns: readonly string[];
      /** v1.3: what an erase deleted. */
      readonly erased?: ErasedData;
    };

/** Stops the workspace's live tasks and says which. */
export async function deprovisionWorkspace(
  request: DeprovisionRequestedDetail,
  ports: DeprovisionPorts,
  budget: { readonly remainingMs: number },
): Promise<DeprovisionResult> {
  const { clock, runner } = ports;
  const { logger, metrics } = ports.instrumentation;
  const deadline = clock.now() + budget.remainingMs - ports.safetyMarginMs;
  const lease = workspaceLeaseOptions(ports, deadline, budget);
  const owner = `deprovision:${request.requestId}`;
  return withWorkspaceLease(ports.workspaceLeases, request.workspaceId, owner, lease, async () => {
    // First: a recovery waiting out its backoff then finds the workspace gone and launches nothing;
    // v1.3: and a stopping task's save finds its data being erased and starts nothing.
    const erase = request.erase ? { requestId: request.requestId, requestedAt: clock.now() } : undefined;
    await recordDeprovisioned(request.workspaceId, ports, erase);
    const live = await ports.workspaceTasks.live(request.workspaceId);
    const taskArns: string[] = [];
    for (const task of live) {
      await runner.stopTask(task.taskArn, deprovisionStopReason(request.requestId));
      taskArns.push(task.taskArn);
    }
    const detail: DeprovisionedDetail = {
      requestId: request.requestId,
      workspaceId: request.workspaceId,
      taskArns,
    };
    await ports.publisher.publish([{ detailType: DETAIL_TYPES.deprovisioned, detail }]);
    countMetric(metrics, METRIC.tasksStopped, taskArns.length);
    countMetric(metrics, METRIC.deprovisioned);
    logger.info('deprovisioned the workspace', { taskArns });
    if (!request.erase) return { outcome: 'deprovisioned', taskArns };
    const erased = await eraseWorkspaceData(request.workspaceId, taskArns, ports, deadline);
    await publishDataErased(request, erased, ports);
    return { outcome: 'deprovisioned', taskArns, erased };
  });
}

/** `Workspace Data Erased`: what the erase deleted, under the deprovision's requestId. */
async function publishDataErased(
  request: DeprovisionRequestedDetail,
  erased: ErasedData,
  ports: Pick<DeprovisionPorts, 'publisher' | 'instrumentation' | 'workspaceRecords'>,
): Promise<void> {
  const kind = (await ports.workspaceRecords.get(request.workspaceId))?.kind;
  const detail: DataErasedDetail = {
    workspaceId: request.workspaceId,
    snapshotIds: [...erased.snapshotIds],
    volumeIds: [...erased.volumeIds],
    requestId: request.requestId,
    ...(kind ? { kind } : {}),
  };
  await ports.publisher.publish([{ detailType: DETAIL_TYPES.dataErased, detail: { ...detail } }]);
  countMetric(ports.instrumentation.metrics, METRIC.dataErased);
  ports.instrumentation.logger.info('erased the workspace data', {
    snapshots: erased.snapshotIds.length,
    volumes: erased.volumeIds.length,
  });
}

/** Answers a deprovision request that breaks the contract with `Workspace Provision Rejected`. */
export async function rejectDeprovisionRequest(
  failure: ParsedResultError<unknown>,
  ports: Pick<DeprovisionPorts, 'publisher' | 'instrumentation'>,
): Promise<DeprovisionResult> {
  const detail = rejectionOf(failure, DETAIL_TYPES.deprovisionRequested);
  ports.instrumentation.logger.warn('rejected a deprovision request that breaks the contract', {
    rejectedEventId: detail.rejectedEventId,
    fields: detail.errors.map((error) => error.path),
  });
  await ports.publisher.publish([{ detailType: DETAIL_TYPES.provisionRejected, detail }]);
  countMetric(ports.instrumentation.metrics, METRIC.deprovisionRejected);
  return { outcome: 'rejected', errors: detail.errors.length };
}
