/**
 * The overlay handler's middy wiring: logger, tracer, metrics, the strict parser and idempotency
 * per request and task. The flow itself is `overlay-flow.ts`.
 */
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { EcsTaskRunner } from '#adapters/ecs-task-runner.ts';
import { EventBridgeDetailEnvelope } from '#adapters/eventbridge-envelope.ts';
import { idempotentOn } from '#adapters/idempotency.ts';
import { countMetric, instrumentedHandler } from '#adapters/instrumentation.ts';
import { meteredPublisher } from '#adapters/metered-publisher.ts';
import { TaskLaunchedDetail } from '#contracts/outbound.ts';
import type { HandlerOptions } from '#functions/handler-options.ts';
import type { ClusterSettings, HandlerPorts } from '#functions/handler-ports.ts';
import type { VisibilityPolicy } from '#policies/launched-task-check.ts';
import { METRIC } from '#wiring/names.ts';
import { applyOverlay, type OverlayPorts, type OverlayResult } from './overlay-flow.ts';

export type { OverlayResult } from './overlay-flow.ts';

/** What the overlay handler is built from. */
export type OverlayHandlerPorts = Pick<
  HandlerPorts,
  'ecs' | 'eventBridge' | 'idempotencyStore' | 'catalog' | 'overlays' | 'clock' | 'random'
> & {
  readonly settings: ClusterSettings;
};

/** The overlay's options: how long it waits for a just-launched task to show in ECS. */
export interface OverlayHandlerOptions extends HandlerOptions {
  /** @default DEFAULT_VISIBILITY_POLICY */
  readonly visibility?: VisibilityPolicy;
}

/**
 * Creates the `Workspace Task Launched` handler: it checks the event against ECS, then emits the
 * kind's overlay as events, idempotent per request and task.
 *
 * The event is our own, so it is parsed strictly and a malformed one throws: the platform retries it
 * and then keeps it in the function's DLQ, where a bug can be looked at and the event redriven.
 */
export function createOverlayHandler(ports: OverlayHandlerPorts, options: OverlayHandlerOptions) {
  const { instrumentation } = options;
  const cluster = ports.settings.launchTarget.cluster;
  const flowPorts: OverlayPorts = {
    launchedTasks: {
      runner: new EcsTaskRunner(ports.ecs, { cluster }),
      clock: ports.clock,
      clusterArn: cluster,
    },
    ...(options.visibility ? { visibility: options.visibility } : {}),
    publisher: meteredPublisher(ports, instrumentation.metrics),
    catalog: ports.catalog,
    overlays: ports.overlays,
    instrumentation,
  };

  return instrumentedHandler(instrumentation, { correlationIdPath: 'detail.requestId' })
    .use(parser({ schema: TaskLaunchedDetail, envelope: EventBridgeDetailEnvelope }))
    .use(
      idempotentOn(ports.idempotencyStore, {
        scope: 'overlay',
        eventKeyJmesPath: '[requestId, taskArn]',
        onReplay: () => countMetric(instrumentation.metrics, METRIC.idempotentReplay),
      }),
    )
    .handler<unknown, OverlayResult>((launched: TaskLaunchedDetail) => applyOverlay(launched, flowPorts));
}
