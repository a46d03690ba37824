/**
 * The deprovision flow over its ports, callable without middy: under the workspace's lease (so a
 * launch in flight finishes first and its task is stopped too), stop every live task of the
 * workspace and emit `Workspace Deprovisioned` with their ARNs (an empty list when none ran).
 */
import type { ParsedResultError } from '@aws-lambda-powertools/parser/types';
import { countMetric, type FlowInstrumentation } from '#adapters/instrumentation.ts';
import type { DeprovisionRequestedDetail } from '#contracts/inbound.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { DeprovisionedDetail } from '#contracts/outbound.ts';
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
import { METRIC } from '#wiring/names.ts';

/** What the deprovision flow runs on. */
export interface DeprovisionPorts {
  readonly runner: Pick<TaskRunner, 'stopTask'>;
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
}

export type DeprovisionResult =
  | { readonly outcome: 'rejected'; readonly errors: number }
  | { readonly outcome: 'deprovisioned'; readonly taskArns: readonly string[] };

/** Stops the workspace's live tasks and says which. */
export async function deprovisionWorkspace(
  request: DeprovisionRequestedDetail,
  ports: DeprovisionPorts,
  budget: { readonly remainingMs: number },
): Promise<DeprovisionResult> {
  const { clock, runner } = ports;
  const { logger, metrics } = ports.instrumentation;
  const lease = workspaceLeaseOptions(ports, clock.now() + budget.remainingMs - ports.safetyMarginMs, budget);
  const owner = `deprovision:${request.requestId}`;
  return withWorkspaceLease(ports.workspaceLeases, request.workspaceId, owner, lease, async () => {
    // First: a recovery waiting out its backoff then finds the workspace gone and launches nothing.
    await recordDeprovisioned(request.workspaceId, ports);
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
    return { outcome: 'deprovisioned', taskArns };
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
