/**
 * The overlay flow over its ports, callable without middy: the kind's overlay as events (template
 * assets, one plugin install per plugin, then `Workspace Config Overlay Applied` last).
 */
import { countMetric, type FlowInstrumentation } from '#adapters/instrumentation.ts';
import type { Catalog } from '#config/catalog.ts';
import type { OverlayTable } from '#config/overlays.ts';
import type { TaskLaunchedDetail } from '#contracts/outbound.ts';
import { overlayEventsFor } from '#core/overlay.ts';
import type { EventPublisher } from '#ports/event-publisher.ts';
import { METRIC } from '#wiring/names.ts';
import { UnknownRuntimeError } from './errors.ts';

/** What the overlay flow runs on. */
export interface OverlayPorts {
  readonly publisher: EventPublisher;
  readonly catalog: Catalog;
  readonly overlays: OverlayTable;
  readonly instrumentation: FlowInstrumentation;
}

export interface OverlayResult {
  readonly outcome: 'applied';
  readonly taskArn: string;
  readonly events: number;
}

/**
 * Publishes the overlay of a launched task's kind: `kind=platform` gets the concierge overlay,
 * `kind=workspace` the empty one.
 *
 * @throws UnknownRuntimeError when the catalog has no such runtime (a bug: the platform retries).
 */
export async function applyOverlay(
  launched: TaskLaunchedDetail,
  ports: OverlayPorts,
): Promise<OverlayResult> {
  const { logger, metrics } = ports.instrumentation;
  logger.appendKeys({
    workspaceId: launched.workspaceId,
    kind: launched.kind,
    runtime: launched.runtime,
    taskArn: launched.taskArn,
  });
  const runtime = ports.catalog.runtimes[launched.runtime];
  if (!runtime) throw new UnknownRuntimeError(launched.runtime);
  const events = overlayEventsFor(launched, runtime, ports.overlays);
  await ports.publisher.publish(events);
  countMetric(metrics, METRIC.overlayApplied);
  logger.info('applied the overlay', { events: events.map((event) => event.detailType) });
  return { outcome: 'applied', taskArn: launched.taskArn, events: events.length };
}
