/**
 * The failure reporter's flow over its ports, callable without middy. It is the on-failure
 * destination of three functions and tells their records apart by the original event's
 * detail-type. When Lambda has spent its async retries of a provision request (or the event aged
 * out), this emits `Workspace Provision Failed` with the code the provision handler put on its
 * error (`CODE: reason`); of a deprovision request, `Workspace Deprovision Failed`; of a launched
 * task's overlay, `Workspace Config Overlay Failed`. So every request still ends in an outcome;
 * the original event also stays in the function's DLQ for redrive. A record whose event names no
 * readable workspace is logged and left to the DLQ.
 */
import { countByCode, countMetric, type FlowInstrumentation } from '#adapters/instrumentation.ts';
import {
  DETAIL_TYPES,
  type DeprovisionFailureCode,
  type FailureCode,
  type OverlayFailureCode,
} from '#contracts/names.ts';
import {
  deprovisionFailedDetailFromAsyncRecord,
  failedDetailFromAsyncRecord,
  overlayFailedDetailFromAsyncRecord,
  spentEventKindOf,
} from '#core/async-failure.ts';
import { failedLaunchCleanUpStopReason } from '#core/stop-reasons.ts';
import type { EventPublisher } from '#ports/event-publisher.ts';
import type { TaskRunner } from '#ports/task-runner.ts';
import { CROSS_FUNCTION_ERRORS, METRIC } from '#wiring/names.ts';
import type { AsyncFailureRecordInput } from './failure-record-schema.ts';

/** What the failure reporter runs on. */
export interface FailureReporterPorts {
  readonly runner: Pick<TaskRunner, 'listTaskArns' | 'describeTasks' | 'stopTask'>;
  readonly publisher: EventPublisher;
  readonly instrumentation: FlowInstrumentation;
}

export type FailureReporterResult =
  | { readonly outcome: 'reported'; readonly code: FailureCode; readonly stoppedTasks: number }
  | { readonly outcome: 'reported'; readonly code: DeprovisionFailureCode | OverlayFailureCode }
  | {
      readonly outcome: 'skipped';
      readonly reason: 'in-progress-duplicate' | 'rejection-not-published' | 'unreadable';
    };

/**
 * The error a duplicate delivery raises while the first delivery of the same request is still
 * running. That first delivery accounts for the request itself, so its duplicate's record is not a
 * failure to report.
 */
const IN_PROGRESS_DUPLICATE = 'IdempotencyAlreadyInProgressError';

/** A record that cannot be read at all: logged, counted, left to the DLQ. */
export function skipUnreadable(ports: Pick<FailureReporterPorts, 'instrumentation'>): FailureReporterResult {
  ports.instrumentation.logger.error('dropped an async failure record that does not parse');
  countMetric(ports.instrumentation.metrics, METRIC.failureRecordUnreadable);
  return { outcome: 'skipped', reason: 'unreadable' };
}

/** Reports the outcome of a provision or deprovision request, or an overlay, whose retries are spent. */
export async function reportSpentRequest(
  record: AsyncFailureRecordInput,
  ports: FailureReporterPorts,
): Promise<FailureReporterResult> {
  const { logger, metrics } = ports.instrumentation;
  const context = {
    condition: record.requestContext?.condition,
    approximateInvokeCount: record.requestContext?.approximateInvokeCount,
    errorType: record.responsePayload?.errorType,
  };
  if (record.responsePayload?.errorType === IN_PROGRESS_DUPLICATE) {
    logger.info(
      'a duplicate delivery failed while the first was in progress; the first reports the outcome',
      context,
    );
    return { outcome: 'skipped', reason: 'in-progress-duplicate' };
  }
  const kind = spentEventKindOf(record);
  if (kind === 'deprovision' || kind === 'overlay') return reportSpent(kind, record, ports, context);
  // A bad request whose rejection could not be published: not a failed launch; the DLQ keeps it.
  if (record.responsePayload?.errorType === CROSS_FUNCTION_ERRORS.rejectionNotPublished) {
    logger.error('a request that breaks the contract could not be rejected; it stays in the DLQ', context);
    countMetric(metrics, METRIC.failureRecordSkipped);
    return { outcome: 'skipped', reason: 'rejection-not-published' };
  }
  const detail = failedDetailFromAsyncRecord(record);
  if (!detail) {
    logger.error('the failed request names no readable workspace; it stays in the DLQ only', context);
    countMetric(metrics, METRIC.failureRecordUnreadable);
    return { outcome: 'skipped', reason: 'unreadable' };
  }
  logger.appendKeys({ workspaceId: detail.workspaceId });
  const stoppedTasks = await stopTasksOf(detail.workspaceId, detail.requestId, ports);
  if (stoppedTasks > 0) countMetric(metrics, METRIC.tasksStopped, stoppedTasks);
  await ports.publisher.publish([{ detailType: DETAIL_TYPES.provisionFailed, detail }]);
  countByCode(metrics, METRIC.provisionFailed, detail.code);
  logger.warn('reported a provision request whose retries are spent', {
    ...context,
    code: detail.code,
    stoppedTasks,
  });
  return { outcome: 'reported', code: detail.code, stoppedTasks };
}

type RecordContext = Readonly<Record<string, unknown>>;

/**
 * How each non-provision request whose retries are spent is reported: the detail built from the
 * record, its detail-type and metric, and the words of the log lines.
 */
const SPENT_REPORTS = {
  /** A deprovision request: its tasks may still run, so say so. */
  deprovision: {
    detailOf: deprovisionFailedDetailFromAsyncRecord,
    detailType: DETAIL_TYPES.deprovisionFailed,
    metric: METRIC.deprovisionFailed,
    failed: 'deprovision',
    reported: 'a deprovision request',
  },
  /** A launched task's overlay: the workspace runs without its overlay. */
  overlay: {
    detailOf: overlayFailedDetailFromAsyncRecord,
    detailType: DETAIL_TYPES.configOverlayFailed,
    metric: METRIC.overlayFailed,
    failed: 'overlay',
    reported: 'an overlay',
  },
} as const;

/** Reports a deprovision or overlay whose retries are spent, or leaves an unreadable one to the DLQ. */
async function reportSpent(
  kind: keyof typeof SPENT_REPORTS,
  record: AsyncFailureRecordInput,
  ports: FailureReporterPorts,
  context: RecordContext,
): Promise<FailureReporterResult> {
  const { logger, metrics } = ports.instrumentation;
  const report = SPENT_REPORTS[kind];
  const detail = report.detailOf(record);
  if (!detail) {
    logger.error(`the failed ${report.failed} names no readable request; it stays in the DLQ only`, context);
    countMetric(metrics, METRIC.failureRecordUnreadable);
    return { outcome: 'skipped', reason: 'unreadable' };
  }
  logger.appendKeys({ workspaceId: detail.workspaceId });
  await ports.publisher.publish([{ detailType: report.detailType, detail }]);
  countMetric(metrics, report.metric);
  logger.warn(`reported ${report.reported} whose retries are spent`, { ...context, code: detail.code });
  return { outcome: 'reported', code: detail.code };
}

/**
 * A request's retries can be spent after its task did start (RunTask worked, then publishing
 * `Workspace Task Launched` kept failing). Reporting Failed over a running task would orphan it,
 * so the request's own live tasks are stopped first; Failed then tells the truth.
 */
async function stopTasksOf(
  workspaceId: string,
  requestId: string | undefined,
  { runner }: FailureReporterPorts,
): Promise<number> {
  if (!requestId) return 0;
  const arns = await runner.listTaskArns({ startedBy: workspaceId });
  if (arns.length === 0) return 0;
  const { tasks } = await runner.describeTasks(arns);
  const own = tasks.filter(
    (task) => task.tags['request-id'] === requestId && task.desiredStatus !== 'STOPPED',
  );
  for (const task of own) await runner.stopTask(task.taskArn, failedLaunchCleanUpStopReason(requestId));
  return own.length;
}
