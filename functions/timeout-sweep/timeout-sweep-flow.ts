/**
 * The timeout sweep over its ports, callable without middy. ECS is the state store: for each
 * runtime's family it pages through ListTasks (desired RUNNING), describes the tasks in batches of
 * 100, emits `Workspace Provision Failed` (PROVISION_TIMEOUT) for each task that has not reached
 * RUNNING within its runtime's provision timeout, and then stops those tasks. The report goes first
 * so that it can never be lost: if it cannot be published the sweep throws having stopped nothing.
 * A StopTask that fails is logged and left to the next sweep, which sees the task again and reports
 * it again, so a consumer may see PROVISION_TIMEOUT twice for a task (at least once, never zero).
 * v1.1: first, requests whose template assets did not arrive in time end in TEMPLATE_ASSETS_TIMEOUT,
 * exactly once each (`overdue-requests.ts`).
 * v1.3: before the reconciliation, persistent-data saves whose events were lost are resumed
 * (`unfinished-saves.ts`), so a lost workspace's relaunch finds its data being saved.
 */
import { countByCode, countMetric, type FlowInstrumentation } from '#adapters/instrumentation.ts';
import type { RuntimeSpec } from '#config/catalog.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { DomainEvent } from '#core/overlay.ts';
import { PROVISION_TIMEOUT_STOP_REASON } from '#core/stop-reasons.ts';
import type { RecoverySettings } from '#functions/task-state/workspace-lifecycle.ts';
import type { Clock } from '#ports/clock.ts';
import type { EventPublisher } from '#ports/event-publisher.ts';
import type { ProvisionRequestStore } from '#ports/provision-request-store.ts';
import type { TaskRunner, TaskSummary } from '#ports/task-runner.ts';
import type { WorkspaceRecordStore } from '#ports/workspace-record-store.ts';
import { METRIC } from '#wiring/names.ts';
import { failOverdueRequests } from './overdue-requests.ts';
import { isOverdue, timeoutReportOf, workspaceOf } from './overdue-tasks.ts';
import { RECONCILE_GRACE_MS, type ReconcileResult, reconcileWorkspaces } from './reconcile-workspaces.ts';
import {
  resumeUnfinishedSaves,
  type UnfinishedSavesPorts,
  type UnfinishedSavesResult,
} from './unfinished-saves.ts';

/** What the sweep runs on. */
export interface TimeoutSweepPorts {
  readonly runner: Pick<TaskRunner, 'listTaskArns' | 'describeTasks' | 'stopTask'>;
  readonly publisher: EventPublisher;
  /** The catalog's runtimes by task definition family. */
  readonly runtimeByFamily: ReadonlyMap<string, RuntimeSpec>;
  readonly clock: Clock;
  readonly instrumentation: FlowInstrumentation;
  /** v1.1: the recorded requests, some awaiting their template assets. */
  readonly requests: ProvisionRequestStore;
  /** v1.2: the workspace records the reconciliation compares with what ECS runs. */
  readonly workspaceRecords: WorkspaceRecordStore;
  readonly recovery: RecoverySettings;
  /** v1.3: the data volumes, for the saves the sweep resumes. */
  readonly dataSaves: UnfinishedSavesPorts;
  /** How long a task, a record or a volume is left alone before it counts. @default RECONCILE_GRACE_MS */
  readonly reconcileGraceMs?: number;
}

export interface TimeoutSweepResult {
  readonly outcome: 'swept';
  /** Tasks of our families that ECS listed as wanted RUNNING. */
  readonly checked: number;
  /** Overdue tasks reported (when their workspace is known) and stopped. */
  readonly timedOut: readonly string[];
  /** Overdue tasks reported but whose StopTask failed; the next sweep reports and tries again. */
  readonly stopFailed: readonly string[];
  /** v1.1: requests failed with TEMPLATE_ASSETS_TIMEOUT. */
  readonly assetsTimedOut: readonly string[];
  /** v1.2: what the reconciliation found and did. */
  readonly reconciled: ReconcileResult;
  /** v1.3: the data saves it resumed; undefined when EC2 could not be listed this time. */
  readonly dataSaves?: UnfinishedSavesResult;
}

/** One sweep: report then stop every overdue task of our families. */
export async function sweepOverdueTasks(ports: TimeoutSweepPorts): Promise<TimeoutSweepResult> {
  const { runner, runtimeByFamily } = ports;
  const { logger, metrics } = ports.instrumentation;
  const assetsTimedOut = await failOverdueRequests(ports.clock.now(), ports);
  const arns: string[] = [];
  for (const family of runtimeByFamily.keys()) {
    arns.push(...(await runner.listTaskArns({ family, desiredStatus: 'RUNNING' })));
  }
  const { tasks } = arns.length > 0 ? await runner.describeTasks(arns) : { tasks: [] };
  const now = ports.clock.now();
  const events: DomainEvent[] = [];
  const overdue: TaskSummary[] = [];
  for (const task of tasks) {
    const runtime = task.family ? runtimeByFamily.get(task.family) : undefined;
    if (!runtime || !isOverdue(task, runtime, now)) continue;
    overdue.push(task);
    const workspaceId = workspaceOf(task);
    if (!workspaceId) {
      logger.warn('an overdue task names no workspace; it is stopped with nothing to report', {
        taskArn: task.taskArn,
      });
      continue;
    }
    events.push({
      detailType: DETAIL_TYPES.provisionFailed,
      detail: { ...timeoutReportOf(task, runtime, workspaceId) },
    });
  }

  // Report first, then stop. Once stopped, a task no longer looks overdue, so a report that
  // failed after the stop would be lost for good; a failed report here throws before anything is
  // stopped, and the next sweep finds the same tasks again.
  if (events.length > 0) await ports.publisher.publish(events);

  const timedOut: string[] = [];
  const stopFailed: string[] = [];
  for (const task of overdue) {
    countByCode(metrics, METRIC.provisionFailed, 'PROVISION_TIMEOUT');
    try {
      await runner.stopTask(task.taskArn, PROVISION_TIMEOUT_STOP_REASON);
      timedOut.push(task.taskArn);
    } catch (error) {
      stopFailed.push(task.taskArn);
      logger.error('could not stop an overdue task; the next sweep reports it again and retries', {
        taskArn: task.taskArn,
        error: error as Error,
      });
    }
  }

  countMetric(metrics, METRIC.tasksSwept, tasks.length);
  if (timedOut.length > 0 || stopFailed.length > 0)
    logger.info('swept overdue tasks', { checked: tasks.length, timedOut, stopFailed });
  const graceMs = ports.reconcileGraceMs ?? RECONCILE_GRACE_MS;
  const dataSaves = await resumeUnfinishedSaves(ports.dataSaves, graceMs).catch((error: unknown) => {
    // EC2 unreachable or throttled: the reconciliation still runs, and the next sweep looks again.
    logger.error('could not look for unfinished data saves; the next sweep looks again', {
      error: error as Error,
    });
    return undefined;
  });
  const reconciled = await reconcileWorkspaces(
    tasks.filter((task) => !overdue.includes(task)),
    ports,
  );
  return {
    outcome: 'swept',
    checked: tasks.length,
    timedOut,
    stopFailed,
    assetsTimedOut,
    reconciled,
    ...(dataSaves ? { dataSaves } : {}),
  };
}
