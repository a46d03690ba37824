import { EcsTaskRunner } from '#adapters/ecs-task-runner.ts';
import { EventBridgePublisher } from '#adapters/event-publisher.ts';
import {
  countByCode,
  countMetric,
  type Instrumentation,
  instrumentedHandler,
} from '#adapters/instrumentation.ts';
import type { RuntimeSpec } from '#config/catalog.ts';
import { workspaceIdField } from '#contracts/fields.ts';
import { DETAIL_TYPES, KINDS, type Kind, TAG_KEYS } from '#contracts/names.ts';
import type { ProvisionFailedDetail } from '#contracts/outbound.ts';
import type { DomainEvent } from '#core/overlay.ts';
import type { LaunchTarget } from '#core/plan-launch.ts';
import type { HandlerPorts } from '#functions/handler-ports.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import { PRE_RUNNING_STATUSES, type TaskSummary } from '#ports/task-runner.ts';
import { METRIC } from '#wiring/names.ts';

/** What the timeout sweep is built from. Only the cluster of the launch target is read. */
export type TimeoutSweepHandlerPorts = Pick<
  HandlerPorts,
  'ecs' | 'eventBridge' | 'catalog' | 'clock' | 'random'
> & {
  readonly settings: Pick<HandlerSettings, 'eventBusName' | 'provisionerSource'> & {
    readonly launchTarget: Pick<LaunchTarget, 'cluster'>;
  };
};

export interface TimeoutSweepHandlerOptions {
  /** Logger, metrics and (in Lambda) tracer; see adapters/lambda-instrumentation.ts. */
  readonly instrumentation: Instrumentation;
}

export interface TimeoutSweepResult {
  readonly outcome: 'swept';
  /** Tasks of our families that ECS listed as wanted RUNNING. */
  readonly checked: number;
  /** Overdue tasks reported (when their workspace is known) and stopped. */
  readonly timedOut: readonly string[];
  /** Overdue tasks reported but whose StopTask failed; the next sweep reports and tries again. */
  readonly stopFailed: readonly string[];
}

const STOP_REASON = 'Workspace did not reach RUNNING within its provision timeout';

/** Overdue: still before RUNNING, never started, and older than the runtime's provision timeout. */
export function isOverdue(task: TaskSummary, runtime: RuntimeSpec, now: number): boolean {
  if (!PRE_RUNNING_STATUSES.has(task.lastStatus ?? '') || task.startedAt || task.desiredStatus === 'STOPPED')
    return false;
  if (!task.createdAt) return false;
  return now - task.createdAt.getTime() > runtime.provisionTimeoutSeconds * 1000;
}

const kindOf = (task: TaskSummary): Kind | undefined => {
  const raw = task.tags[TAG_KEYS.kind] ?? task.systemEnvironment.WORKSPACE_KIND;
  return (KINDS as readonly string[]).includes(raw ?? '') ? (raw as Kind) : undefined;
};

const workspaceOf = (task: TaskSummary): string | undefined => {
  for (const candidate of [
    task.startedBy,
    task.tags[TAG_KEYS.workspaceId],
    task.systemEnvironment.WORKSPACE_ID,
  ]) {
    const parsed = workspaceIdField.safeParse(candidate);
    if (parsed.success) return parsed.data;
  }
  return undefined;
};

/**
 * Creates the scheduled timeout sweep. ECS is the state store: for each runtime's family it pages
 * through ListTasks (desired RUNNING), describes the tasks in batches of 100, emits `Workspace
 * Provision Failed` (PROVISION_TIMEOUT) for each task that has not reached RUNNING within its
 * runtime's provision timeout, and then stops those tasks. The report goes first so that it can
 * never be lost: if it cannot be published the sweep throws having stopped nothing. A StopTask that
 * fails is logged and left to the next sweep, which sees the task again and reports it again, so a
 * consumer may see PROVISION_TIMEOUT twice for a task (at least once, never zero times).
 */
export function createTimeoutSweepHandler(
  ports: TimeoutSweepHandlerPorts,
  options: TimeoutSweepHandlerOptions,
) {
  const instrumentation = options.instrumentation;
  const { logger, metrics } = instrumentation;
  const { catalog, clock } = ports;
  const runner = new EcsTaskRunner(ports.ecs, { cluster: ports.settings.launchTarget.cluster });
  const publisher = new EventBridgePublisher(ports.eventBridge, {
    eventBusName: ports.settings.eventBusName,
    source: ports.settings.provisionerSource,
    clock,
    random: ports.random ?? Math.random,
    onRetry: (entries) => countMetric(metrics, METRIC.putEventsEntriesRetried, entries),
  });
  const runtimeByFamily = new Map(
    Object.values(catalog.runtimes).map((runtime) => [runtime.family, runtime]),
  );

  async function sweep(): Promise<TimeoutSweepResult> {
    const arns: string[] = [];
    for (const family of runtimeByFamily.keys()) {
      arns.push(...(await runner.listTaskArns({ family, desiredStatus: 'RUNNING' })));
    }
    const { tasks } = arns.length > 0 ? await runner.describeTasks(arns) : { tasks: [] };
    const now = clock.now();
    const events: DomainEvent[] = [];
    const timedOut: string[] = [];
    const stopFailed: string[] = [];

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
      const kind = kindOf(task);
      const requestId = task.tags[TAG_KEYS.requestId];
      const detail: ProvisionFailedDetail = {
        workspaceId,
        code: 'PROVISION_TIMEOUT',
        reason: `the task did not reach RUNNING within ${runtime.provisionTimeoutSeconds} seconds`,
        retryable: true,
        runtime: runtime.name,
        taskArn: task.taskArn,
        ...(kind ? { kind } : {}),
        ...(requestId ? { requestId } : {}),
      };
      events.push({ detailType: DETAIL_TYPES.provisionFailed, detail: { ...detail } });
    }

    // Report first, then stop. Once stopped, a task no longer looks overdue, so a report that
    // failed after the stop would be lost for good; a failed report here throws before anything is
    // stopped, and the next sweep finds the same tasks again.
    if (events.length > 0) await publisher.publish(events);

    for (const task of overdue) {
      countByCode(metrics, METRIC.provisionFailed, 'PROVISION_TIMEOUT');
      try {
        await runner.stopTask(task.taskArn, STOP_REASON);
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
    return { outcome: 'swept', checked: tasks.length, timedOut, stopFailed };
  }

  return instrumentedHandler(instrumentation).handler<unknown, TimeoutSweepResult>(sweep);
}
