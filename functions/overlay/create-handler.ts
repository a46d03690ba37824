import { parser } from '@aws-lambda-powertools/parser/middleware';
import { EventBridgePublisher } from '#adapters/event-publisher.ts';
import { EventBridgeDetailEnvelope } from '#adapters/eventbridge-envelope.ts';
import { idempotentOn } from '#adapters/idempotency.ts';
import { countMetric, type Instrumentation, instrumentedHandler } from '#adapters/instrumentation.ts';
import { TaskLaunchedDetail } from '#contracts/outbound.ts';
import { overlayEventsFor } from '#core/overlay.ts';
import type { HandlerPorts } from '#functions/handler-ports.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import { METRIC } from '#wiring/names.ts';
import { UnknownRuntimeError } from './errors.ts';

/** What the overlay handler is built from. */
export type OverlayHandlerPorts = Pick<
  HandlerPorts,
  'eventBridge' | 'idempotencyStore' | 'catalog' | 'overlays' | 'clock' | 'random'
> & {
  readonly settings: Pick<HandlerSettings, 'eventBusName' | 'provisionerSource'>;
};

export interface OverlayHandlerOptions {
  /** Logger, metrics and (in Lambda) tracer; see adapters/lambda-instrumentation.ts. */
  readonly instrumentation: Instrumentation;
}

export interface OverlayResult {
  readonly outcome: 'applied';
  readonly taskArn: string;
  readonly events: number;
}

/**
 * Creates the `Workspace Task Launched` handler: it emits the kind's overlay as events (template
 * assets, one plugin install per plugin, then `Workspace Config Overlay Applied` last), idempotent
 * per request and task. `kind=platform` gets the concierge overlay, `kind=workspace` the empty one.
 *
 * The event is our own, so it is parsed strictly and a malformed one throws: the platform retries it
 * and then keeps it in the function's DLQ, where a bug can be looked at and the event redriven.
 */
export function createOverlayHandler(ports: OverlayHandlerPorts, options: OverlayHandlerOptions) {
  const instrumentation = options.instrumentation;
  const { logger, metrics } = instrumentation;
  const publisher = new EventBridgePublisher(ports.eventBridge, {
    eventBusName: ports.settings.eventBusName,
    source: ports.settings.provisionerSource,
    clock: ports.clock,
    random: ports.random ?? Math.random,
    onRetry: (entries) => countMetric(metrics, METRIC.putEventsEntriesRetried, entries),
  });

  async function applyOverlay(launched: TaskLaunchedDetail): Promise<OverlayResult> {
    logger.appendKeys({
      workspaceId: launched.workspaceId,
      kind: launched.kind,
      runtime: launched.runtime,
      taskArn: launched.taskArn,
    });
    const runtime = ports.catalog.runtimes[launched.runtime];
    if (!runtime) throw new UnknownRuntimeError(launched.runtime);
    const events = overlayEventsFor(launched, runtime, ports.overlays);
    await publisher.publish(events);
    countMetric(metrics, METRIC.overlayApplied);
    logger.info('applied the overlay', { events: events.map((event) => event.detailType) });
    return { outcome: 'applied', taskArn: launched.taskArn, events: events.length };
  }

  return instrumentedHandler(instrumentation, { correlationIdPath: 'detail.requestId' })
    .use(parser({ schema: TaskLaunchedDetail, envelope: EventBridgeDetailEnvelope }))
    .use(
      idempotentOn(ports.idempotencyStore, {
        scope: 'overlay',
        eventKeyJmesPath: '[requestId, taskArn]',
        onReplay: () => countMetric(metrics, METRIC.idempotentReplay),
      }),
    )
    .handler<unknown, OverlayResult>(applyOverlay);
}
