/**
 * v1.2: the reconciliation, on the sweep's schedule (decision 019). What the provisioner recorded
 * is compared with what ECS runs (`core/reconcile.ts` decides): a task running for a workspace that
 * is deprovisioned, or that the provisioner never launched, is reported (`Workspace Orphan Task
 * Stopped`, first, so the report is never lost) and stopped; a workspace that should be running
 * but has no task (a lost event, an invocation that died mid-relaunch) is recovered as a crash is,
 * with cause `lost`, or left `stopped` when its request says `recovery: "never"`. Each finding
 * counts a metric.
 */
import { countMetric } from '#adapters/instrumentation.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { OrphanTaskStoppedDetail } from '#contracts/outbound.ts';
import { reconcile, stopStillInFlight } from '#core/reconcile.ts';
import { decideRecovery } from '#core/recovery-policy.ts';
import { RECONCILE_STOP_REASON } from '#core/stop-reasons.ts';
import { type RecoverySettings, recoveringEvent } from '#functions/task-state/workspace-lifecycle.ts';
import type { ProvisionRequestStore } from '#ports/provision-request-store.ts';
import type { TaskRunner, TaskSummary } from '#ports/task-runner.ts';
import type { WorkspaceRecord, WorkspaceRecordStore } from '#ports/workspace-record-store.ts';
import { METRIC } from '#wiring/names.ts';
import type { TimeoutSweepPorts } from './timeout-sweep-flow.ts';

/** What the reconciliation runs on besides the sweep's ports. */
export interface ReconcilePorts
  extends Pick<TimeoutSweepPorts, 'publisher' | 'clock' | 'instrumentation' | 'reconcileGraceMs'> {
  readonly runner: Pick<TaskRunner, 'stopTask' | 'describeTasks'>;
  readonly requests: Pick<ProvisionRequestStore, 'findByTask'>;
  readonly workspaceRecords: WorkspaceRecordStore;
  readonly recovery: RecoverySettings;
}

/** What one reconciliation found and did. */
export interface ReconcileResult {
  readonly orphansStopped: readonly string[];
  readonly lostRecovered: readonly string[];
}

/** How long a task or a record must be settled before it counts as a finding. */
export const RECONCILE_GRACE_MS = 2 * 60_000;
/** Live records read per sweep. */
const LIVE_RECORDS_LIMIT = 1_000;

/** Reconciles the described live tasks of our families with the workspace records. */
export async function reconcileWorkspaces(
  tasks: readonly TaskSummary[],
  ports: ReconcilePorts,
): Promise<ReconcileResult> {
  const { logger, metrics } = ports.instrumentation;
  const now = ports.clock.now();
  const records = new Map<string, WorkspaceRecord>();
  for (const record of await ports.workspaceRecords.live(LIVE_RECORDS_LIMIT))
    records.set(record.workspaceId, record);
  const liveTasks = [];
  for (const task of tasks) {
    const workspaceId = task.startedBy;
    if (workspaceId && !records.has(workspaceId)) {
      const record = await ports.workspaceRecords.get(workspaceId);
      if (record) records.set(workspaceId, record);
    }
    const recorded = workspaceId ? records.get(workspaceId)?.taskArn === task.taskArn : false;
    liveTasks.push({
      taskArn: task.taskArn,
      ...(workspaceId ? { workspaceId } : {}),
      createdAt: task.createdAt?.getTime() ?? now,
      launchedByProvisioner: recorded || (await ports.requests.findByTask(task.taskArn)) !== undefined,
    });
  }
  const graceMs = ports.reconcileGraceMs ?? RECONCILE_GRACE_MS;
  const findings = reconcile({ liveTasks, records, now, graceMs });

  const orphansStopped: string[] = [];
  for (const orphan of findings.orphans) {
    const detail: OrphanTaskStoppedDetail = {
      workspaceId: orphan.workspaceId ?? 'unknown',
      taskArn: orphan.taskArn,
      reason: orphan.reason,
    };
    await ports.publisher.publish([{ detailType: DETAIL_TYPES.orphanTaskStopped, detail: { ...detail } }]);
    await ports.runner.stopTask(orphan.taskArn, RECONCILE_STOP_REASON);
    countMetric(metrics, METRIC.reconcileOrphanStopped);
    orphansStopped.push(orphan.taskArn);
    logger.warn('stopped a task no workspace of the provisioner owns', { ...detail });
  }

  const lostRecovered: string[] = [];
  for (const record of await withoutStopsInFlight(findings.lost, ports, now, graceMs)) {
    const decision = decideRecovery({
      // A lost task is recovered as the platform's own failure would be.
      cause: 'infrastructure',
      mode: record.request.recovery ?? 'on-failure',
      recoveries: record.recoveries,
      now,
      maxAttempts: ports.recovery.maxAttempts,
      windowMs: ports.recovery.windowMs,
      backoffBaseMs: 0,
    });
    const { pendingRecovery: _stale, taskArn: _gone, url: _unreachable, ...rest } = record;
    const next: WorkspaceRecord =
      decision.action === 'recover'
        ? {
            ...rest,
            state: 'recovering',
            since: now,
            recoveries: decision.recoveries,
            pendingRecovery: {
              attempt: decision.attempt,
              cause: 'lost',
              ...(record.taskArn ? { previousTaskArn: record.taskArn } : {}),
              dueAt: now,
            },
            generation: record.generation + 1,
          }
        : {
            ...rest,
            state: decision.action === 'abandon' ? 'failed' : 'stopped',
            since: now,
            generation: record.generation + 1,
          };
    if (!(await ports.workspaceRecords.put(next, record.generation))) continue;
    countMetric(metrics, METRIC.reconcileLostRecovered);
    logger.warn('a workspace that should run has no task', {
      workspaceId: record.workspaceId,
      action: decision.action,
    });
    if (decision.action === 'recover') {
      await ports.publisher.publish([recoveringEvent(next)]);
      countMetric(metrics, METRIC.workspaceRecovering);
      lostRecovered.push(record.workspaceId);
    }
  }
  return { orphansStopped, lostRecovered };
}

/**
 * The lost workspaces less those whose recorded task is still on its way out (`stopStillInFlight`):
 * one DescribeTasks of those tasks, only when there are any.
 */
async function withoutStopsInFlight(
  lost: readonly WorkspaceRecord[],
  ports: ReconcilePorts,
  now: number,
  graceMs: number,
): Promise<WorkspaceRecord[]> {
  const arns = lost.flatMap((record) => (record.taskArn ? [record.taskArn] : []));
  if (arns.length === 0) return [...lost];
  const { tasks } = await ports.runner.describeTasks(arns);
  const described = new Map(tasks.map((task) => [task.taskArn, task]));
  return lost.filter((record) => {
    const task = record.taskArn ? described.get(record.taskArn) : undefined;
    const inFlight = stopStillInFlight(
      task && {
        ...(task.lastStatus ? { lastStatus: task.lastStatus } : {}),
        ...(task.stoppedAt ? { stoppedAt: task.stoppedAt.getTime() } : {}),
      },
      now,
      graceMs,
    );
    if (inFlight) {
      ports.instrumentation.logger.info('the task of a workspace is still stopping; not lost yet', {
        workspaceId: record.workspaceId,
      });
    }
    return !inFlight;
  });
}
