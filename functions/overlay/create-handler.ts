/**
 * The overlay handler's middy wiring: logger, tracer, metrics, the strict parser and idempotency
 * per request and task. The flow itself is `overlay-flow.ts`.
 */
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { EventBridgeDetailEnvelope } from '#adapters/eventbridge-envelope.ts';
import { idempotentOn } from '#adapters/idempotency.ts';
import { countMetric, instrumentedHandler } from '#adapters/instrumentation.ts';
import { meteredPublisher } from '#adapters/metered-publisher.ts';
import { TaskLaunchedDetail } from '#contracts/outbound.ts';
import type { HandlerOptions } from '#functions/handler-options.ts';
import type { HandlerPorts, PublishingSettings } from '#functions/handler-ports.ts';
import { METRIC } from '#wiring/names.ts';
import { applyOverlay, type OverlayPorts, type OverlayResult } from './overlay-flow.ts';

export type { OverlayResult } from './overlay-flow.ts';

/** What the overlay handler is built from. */
export type OverlayHandlerPorts = Pick<
  HandlerPorts,
  'eventBridge' | 'idempotencyStore' | 'catalog' | 'overlays' | 'clock' | 'random'
> & {
  readonly settings: PublishingSettings;
};

/**
 * Creates the `Workspace Task Launched` handler: it emits the kind's overlay as events, idempotent
 * per request and task.
 *
 * The event is our own, so it is parsed strictly and a malformed one throws: the platform retries it
 * and then keeps it in the function's DLQ, where a bug can be looked at and the event redriven.
 */
export function createOverlayHandler(ports: OverlayHandlerPorts, options: HandlerOptions) {
  const { instrumentation } = options;
  const flowPorts: OverlayPorts = {
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
