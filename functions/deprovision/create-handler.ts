import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import type { Context } from 'aws-lambda';
import { EcsTaskRunner } from '#adapters/ecs-task-runner.ts';
import { EventBridgePublisher } from '#adapters/event-publisher.ts';
import { EventBridgeDetailEnvelope } from '#adapters/eventbridge-envelope.ts';
import { idempotentOn } from '#adapters/idempotency.ts';
import { countMetric, type Instrumentation, instrumentedHandler } from '#adapters/instrumentation.ts';
import { DeprovisionRequestedDetail } from '#contracts/inbound.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { DeprovisionedDetail } from '#contracts/outbound.ts';
import type { LaunchTarget } from '#core/plan-launch.ts';
import type { HandlerPorts } from '#functions/handler-ports.ts';
import { rejectionOf } from '#policies/request-rejection.ts';
import { acquireWorkspaceLease } from '#policies/workspace-lease.ts';
import { WorkspaceTasks } from '#policies/workspace-tasks.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import { METRIC } from '#wiring/names.ts';

/** What the deprovision handler is built from. Only the cluster of the launch target is read. */
export type DeprovisionHandlerPorts = Pick<
  HandlerPorts,
  'ecs' | 'eventBridge' | 'idempotencyStore' | 'workspaceLeases' | 'clock' | 'random'
> & {
  readonly settings: Pick<HandlerSettings, 'eventBusName' | 'provisionerSource'> & {
    readonly launchTarget: Pick<LaunchTarget, 'cluster'>;
  };
};

export interface DeprovisionHandlerOptions {
  /** Logger, metrics and (in Lambda) tracer; see adapters/lambda-instrumentation.ts. */
  readonly instrumentation: Instrumentation;
  /** Time kept back from the remaining time when waiting for the workspace lease. @default 10000 */
  readonly safetyMarginMs?: number;
}

export type DeprovisionResult =
  | { readonly outcome: 'rejected'; readonly errors: number }
  | { readonly outcome: 'deprovisioned'; readonly taskArns: readonly string[] };

const LEASE_GRACE_MS = 5_000;

/**
 * Creates the `Workspace Deprovision Requested` handler: it stops every live task of the workspace
 * and emits `Workspace Deprovisioned` with their ARNs (an empty list when nothing was running).
 * Idempotent on `requestId`. It takes the workspace's lease like a launch does, so a launch in
 * flight finishes first and its task is stopped too, instead of starting after the deprovision.
 * A request that breaks the contract is answered with `Workspace Provision Rejected`
 * (`rejectedDetailType` says which request) and never retried.
 */
export function createDeprovisionHandler(ports: DeprovisionHandlerPorts, options: DeprovisionHandlerOptions) {
  const instrumentation = options.instrumentation;
  const { logger, metrics } = instrumentation;
  const { clock, workspaceLeases } = ports;
  const random = ports.random ?? Math.random;
  const safetyMarginMs = options.safetyMarginMs ?? 10_000;
  const runner = new EcsTaskRunner(ports.ecs, { cluster: ports.settings.launchTarget.cluster });
  const workspaceTasks = new WorkspaceTasks(runner, workspaceLeases, clock);
  const publisher = new EventBridgePublisher(ports.eventBridge, {
    eventBusName: ports.settings.eventBusName,
    source: ports.settings.provisionerSource,
    clock,
    random,
    onRetry: (entries) => countMetric(metrics, METRIC.putEventsEntriesRetried, entries),
  });

  async function deprovision(
    parsed: ParsedResult<unknown, DeprovisionRequestedDetail>,
    context: Context,
  ): Promise<DeprovisionResult> {
    if (!parsed.success) {
      const detail = rejectionOf(parsed, DETAIL_TYPES.deprovisionRequested);
      logger.warn('rejected a deprovision request that breaks the contract', {
        rejectedEventId: detail.rejectedEventId,
        fields: detail.errors.map((error) => error.path),
      });
      await publisher.publish([{ detailType: DETAIL_TYPES.provisionRejected, detail }]);
      countMetric(metrics, METRIC.deprovisionRejected);
      return { outcome: 'rejected', errors: detail.errors.length };
    }
    const request = parsed.data;
    logger.appendKeys({ workspaceId: request.workspaceId });
    const remainingMs = context.getRemainingTimeInMillis();
    const owner = `deprovision:${request.requestId}`;
    await acquireWorkspaceLease(workspaceLeases, request.workspaceId, owner, {
      clock,
      random,
      deadline: clock.now() + remainingMs - safetyMarginMs,
      ttlMs: remainingMs + LEASE_GRACE_MS,
      onWait: () => countMetric(metrics, METRIC.leaseWaited),
    });
    try {
      const live = await workspaceTasks.live(request.workspaceId);
      const taskArns: string[] = [];
      for (const task of live) {
        await runner.stopTask(task.taskArn, `Workspace deprovisioned (request ${request.requestId})`);
        taskArns.push(task.taskArn);
      }
      const detail: DeprovisionedDetail = {
        requestId: request.requestId,
        workspaceId: request.workspaceId,
        taskArns,
      };
      await publisher.publish([{ detailType: DETAIL_TYPES.deprovisioned, detail }]);
      countMetric(metrics, METRIC.tasksStopped, taskArns.length);
      countMetric(metrics, METRIC.deprovisioned);
      logger.info('deprovisioned the workspace', { taskArns });
      return { outcome: 'deprovisioned', taskArns };
    } finally {
      await workspaceLeases.release(request.workspaceId, owner).catch((error: unknown) => {
        logger.warn('could not release the workspace lease', { error: error as Error });
      });
    }
  }

  return instrumentedHandler(instrumentation, { correlationIdPath: 'detail.requestId' })
    .use(parser({ schema: DeprovisionRequestedDetail, envelope: EventBridgeDetailEnvelope, safeParse: true }))
    .use(
      idempotentOn(ports.idempotencyStore, {
        scope: 'deprovision',
        eventKeyJmesPath: 'data.requestId',
        onReplay: () => countMetric(metrics, METRIC.idempotentReplay),
      }),
    )
    .handler<unknown, DeprovisionResult>(deprovision);
}
