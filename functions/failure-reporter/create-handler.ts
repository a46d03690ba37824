import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import * as z from 'zod/mini';
import { EcsTaskRunner } from '#adapters/ecs-task-runner.ts';
import { EventBridgePublisher } from '#adapters/event-publisher.ts';
import {
  countByCode,
  countMetric,
  type Instrumentation,
  instrumentedHandler,
} from '#adapters/instrumentation.ts';
import { DETAIL_TYPES, type FailureCode } from '#contracts/names.ts';
import { failedDetailFromAsyncRecord } from '#core/async-failure.ts';
import type { HandlerPorts } from '#functions/handler-ports.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import { CROSS_FUNCTION_ERRORS, METRIC } from '#wiring/names.ts';

/** What the failure reporter is built from. */
export type FailureReporterHandlerPorts = Pick<HandlerPorts, 'ecs' | 'eventBridge' | 'clock' | 'random'> & {
  readonly settings: Pick<HandlerSettings, 'eventBusName' | 'provisionerSource'> & {
    readonly launchTarget: Pick<HandlerSettings['launchTarget'], 'cluster'>;
  };
};

export interface FailureReporterHandlerOptions {
  /** Logger, metrics and (in Lambda) tracer; see adapters/lambda-instrumentation.ts. */
  readonly instrumentation: Instrumentation;
}

export type FailureReporterResult =
  | { readonly outcome: 'reported'; readonly code: FailureCode; readonly stoppedTasks: number }
  | {
      readonly outcome: 'skipped';
      readonly reason: 'in-progress-duplicate' | 'rejection-not-published' | 'unreadable';
    };

/**
 * Lambda's async invocation record, as the on-failure destination receives it. Lenient: Lambda
 * may add fields, and only the ones read here are typed.
 *
 * Written with `zod/mini`, zod's tree-shakable build: this schema is the function's only one, and
 * the full build would add about 75 KB to parse at every cold start for methods it never calls.
 * Only success or failure is read, so mini's terse default messages never show.
 */
export const AsyncFailureRecordSchema = z.looseObject({
  version: z.optional(z.string()),
  timestamp: z.optional(z.string()),
  requestContext: z.optional(
    z.looseObject({
      requestId: z.optional(z.string()),
      functionArn: z.optional(z.string()),
      condition: z.optional(z.string()),
      approximateInvokeCount: z.optional(z.number()),
    }),
  ),
  requestPayload: z.optional(z.unknown()),
  responsePayload: z.optional(
    z.nullable(z.looseObject({ errorType: z.optional(z.string()), errorMessage: z.optional(z.string()) })),
  ),
});
export type AsyncFailureRecordInput = z.infer<typeof AsyncFailureRecordSchema>;

/**
 * The error a duplicate delivery raises while the first delivery of the same request is still
 * running. That first delivery accounts for the request itself, so its duplicate's record is not a
 * failure to report.
 */
const IN_PROGRESS_DUPLICATE = 'IdempotencyAlreadyInProgressError';
/** A bad request whose rejection could not be published: not a failed launch; the DLQ keeps it. */

/**
 * Creates the provision function's on-failure destination. When Lambda has spent its async retries
 * of a provision request (or the event aged out), this emits `Workspace Provision Failed` with the
 * code the provision handler put on its error (`CODE: reason`), so the request still ends in an
 * outcome; the original event also stays in the provision function's DLQ for redrive. A record
 * whose request names no readable workspace is logged and left to the DLQ: there is no one to tell.
 */
export function createFailureReporterHandler(
  ports: FailureReporterHandlerPorts,
  options: FailureReporterHandlerOptions,
) {
  const instrumentation = options.instrumentation;
  const { logger, metrics } = instrumentation;
  const publisher = new EventBridgePublisher(ports.eventBridge, {
    eventBusName: ports.settings.eventBusName,
    source: ports.settings.provisionerSource,
    clock: ports.clock,
    random: ports.random ?? Math.random,
    onRetry: (entries) => countMetric(metrics, METRIC.putEventsEntriesRetried, entries),
  });
  const runner = new EcsTaskRunner(ports.ecs, { cluster: ports.settings.launchTarget.cluster });

  /**
   * A request's retries can be spent after its task did start (RunTask worked, then publishing
   * `Workspace Task Launched` kept failing). Reporting Failed over a running task would orphan it,
   * so the request's own live tasks are stopped first; Failed then tells the truth.
   */
  async function stopTasksOf(workspaceId: string, requestId: string | undefined): Promise<number> {
    if (!requestId) return 0;
    const arns = await runner.listTaskArns({ startedBy: workspaceId });
    if (arns.length === 0) return 0;
    const { tasks } = await runner.describeTasks(arns);
    const own = tasks.filter(
      (task) => task.tags['request-id'] === requestId && task.desiredStatus !== 'STOPPED',
    );
    for (const task of own)
      await runner.stopTask(
        task.taskArn,
        `Provision request ${requestId} failed; its launch could not be reported`,
      );
    return own.length;
  }

  async function report(
    parsed: ParsedResult<unknown, AsyncFailureRecordInput>,
  ): Promise<FailureReporterResult> {
    if (!parsed.success) {
      logger.error('dropped an async failure record that does not parse');
      countMetric(metrics, METRIC.failureRecordUnreadable);
      return { outcome: 'skipped', reason: 'unreadable' };
    }
    const record = parsed.data;
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
    const stoppedTasks = await stopTasksOf(detail.workspaceId, detail.requestId);
    if (stoppedTasks > 0) countMetric(metrics, METRIC.tasksStopped, stoppedTasks);
    await publisher.publish([{ detailType: DETAIL_TYPES.provisionFailed, detail }]);
    countByCode(metrics, METRIC.provisionFailed, detail.code);
    logger.warn('reported a provision request whose retries are spent', {
      ...context,
      code: detail.code,
      stoppedTasks,
    });
    return { outcome: 'reported', code: detail.code, stoppedTasks };
  }

  return instrumentedHandler(instrumentation, { correlationIdPath: 'requestPayload.detail.requestId' })
    .use(parser({ schema: AsyncFailureRecordSchema, safeParse: true }))
    .handler<unknown, FailureReporterResult>(report);
}
