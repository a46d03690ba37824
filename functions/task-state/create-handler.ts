import { randomUUID } from 'node:crypto';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import type { Context } from 'aws-lambda';
import { EventBridgePublisher } from '#adapters/event-publisher.ts';
import { EventBridgeDetailEnvelope } from '#adapters/eventbridge-envelope.ts';
import { countMetric, type Instrumentation, instrumentedHandler } from '#adapters/instrumentation.ts';
import { EcsTaskStateChangeDetail } from '#contracts/ecs.ts';
import { decideTaskState } from '#core/task-state.ts';
import type { HandlerPorts } from '#functions/handler-ports.ts';
import { fieldErrorsOf } from '#policies/request-rejection.ts';
import { acquireWorkspaceLease } from '#policies/workspace-lease.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import { METRIC } from '#wiring/names.ts';

/** What the task-state handler is built from. */
export type TaskStateHandlerPorts = Pick<
  HandlerPorts,
  'eventBridge' | 'taskVersions' | 'workspaceLeases' | 'catalog' | 'clock' | 'random'
> & {
  readonly settings: Pick<HandlerSettings, 'eventBusName' | 'provisionerSource'>;
};

export interface TaskStateHandlerOptions {
  /** Logger, metrics and (in Lambda) tracer; see adapters/lambda-instrumentation.ts. */
  readonly instrumentation: Instrumentation;
}

export type TaskStateResult =
  | { readonly outcome: 'emitted'; readonly detailType: string; readonly version: number }
  | { readonly outcome: 'advanced'; readonly version: number }
  | { readonly outcome: 'ignored'; readonly reason: 'unparseable' | 'foreign-family' | 'stale-or-duplicate' };

/** Time kept back from the invocation's budget when waiting for a task's lease. */
const SAFETY_MARGIN_MS = 2_000;
/** Emitting takes milliseconds, so a held task lease is polled quickly. */
const TASK_LEASE_BACKOFF = { baseDelayMs: 10, maxDelayMs: 250 } as const;

/** Lease key of one task, apart from the workspace leases provision and deprovision take. */
const taskLeaseKey = (taskArn: string): string => `task:${taskArn}`;

const familyOf = (detail: EcsTaskStateChangeDetail): string | undefined =>
  /:task-definition\/([^:]+)/.exec(detail.taskDefinitionArn ?? '')?.[1] ??
  (detail.group?.startsWith('family:') ? detail.group.slice('family:'.length) : undefined);

/**
 * Creates the `ECS Task State Change` handler. ECS delivers these at least once and out of order,
 * so each task's last version is kept: an event at or below it is stale or a duplicate and emits
 * nothing. A newer one emits `Workspace Running`, `Workspace Stopped` or `Workspace Provision
 * Failed` (TASK_FAILED_TO_START) and then records its version, so a failure in between repeats the
 * event rather than losing it.
 *
 * Deciding, emitting and recording happen under a short per-task lease: two deliveries of
 * different versions in flight at once would otherwise both emit and race their PutEvents, so a
 * consumer could see Stopped before Running. Under the lease the later version waits for the
 * earlier emit, so the bus carries a task's workspace events in version order.
 *
 * AWS's event is parsed leniently (AWS adds fields); one that still does not parse can never
 * succeed, so it is logged and dropped rather than retried.
 */
export function createTaskStateHandler(ports: TaskStateHandlerPorts, options: TaskStateHandlerOptions) {
  const instrumentation = options.instrumentation;
  const { logger, metrics } = instrumentation;
  const { taskVersions } = ports;
  const families = new Set(Object.values(ports.catalog.runtimes).map((runtime) => runtime.family));
  const publisher = new EventBridgePublisher(ports.eventBridge, {
    eventBusName: ports.settings.eventBusName,
    source: ports.settings.provisionerSource,
    clock: ports.clock,
    random: ports.random ?? Math.random,
    onRetry: (entries) => countMetric(metrics, METRIC.putEventsEntriesRetried, entries),
  });

  const ignore = (reason: 'unparseable' | 'foreign-family' | 'stale-or-duplicate'): TaskStateResult => {
    countMetric(metrics, METRIC.taskStateIgnored);
    return { outcome: 'ignored', reason };
  };

  async function onTaskStateChange(
    parsed: ParsedResult<unknown, EcsTaskStateChangeDetail>,
    context: Context,
  ): Promise<TaskStateResult> {
    if (!parsed.success) {
      logger.error('dropped an ECS task state change that does not parse', {
        fields: fieldErrorsOf(parsed.error).map((error) => error.path),
      });
      return ignore('unparseable');
    }
    const detail = parsed.data;
    logger.appendKeys({ taskArn: detail.taskArn, lastStatus: detail.lastStatus, version: detail.version });
    const family = familyOf(detail);
    if (family !== undefined && !families.has(family)) return ignore('foreign-family');

    const leaseKey = taskLeaseKey(detail.taskArn);
    const owner = randomUUID();
    const remainingMs = context.getRemainingTimeInMillis();
    await acquireWorkspaceLease(ports.workspaceLeases, leaseKey, owner, {
      clock: ports.clock,
      random: ports.random ?? Math.random,
      deadline: ports.clock.now() + Math.max(0, remainingMs - SAFETY_MARGIN_MS),
      ttlMs: remainingMs + SAFETY_MARGIN_MS,
      backoff: TASK_LEASE_BACKOFF,
      onWait: () => countMetric(metrics, METRIC.leaseWaited),
    });
    try {
      return await claimAndEmit(detail);
    } finally {
      await ports.workspaceLeases.release(leaseKey, owner).catch((error: unknown) => {
        // The lease expires on its own; a failed release must not hide the invocation's outcome.
        logger.warn('could not release the task lease', { error: error as Error });
      });
    }
  }

  async function claimAndEmit(detail: EcsTaskStateChangeDetail): Promise<TaskStateResult> {
    const lastVersion = await taskVersions.get(detail.taskArn);
    const decision = decideTaskState(detail, lastVersion);
    if (decision.version === undefined) {
      logger.debug('stale or duplicate task state change', { lastVersion });
      return ignore('stale-or-duplicate');
    }
    if (!decision.event) {
      if (!(await taskVersions.advance(detail.taskArn, decision.version)))
        return ignore('stale-or-duplicate');
      countMetric(metrics, METRIC.taskStateAdvanced);
      return { outcome: 'advanced', version: decision.version };
    }
    // Emit first, then record the version: a crash in between re-emits on the platform's retry (a
    // duplicate consumers dedupe by version) instead of losing the event for good.
    await publisher.publish([decision.event]);
    // The conditional write still guards against a lease that expired under a stalled invocation.
    await taskVersions.advance(detail.taskArn, decision.version);
    countMetric(metrics, METRIC.taskStateEmitted);
    logger.info('emitted the workspace state', { detailType: decision.event.detailType });
    return { outcome: 'emitted', detailType: decision.event.detailType, version: decision.version };
  }

  return instrumentedHandler(instrumentation)
    .use(parser({ schema: EcsTaskStateChangeDetail, envelope: EventBridgeDetailEnvelope, safeParse: true }))
    .handler<unknown, TaskStateResult>(onTaskStateChange);
}
