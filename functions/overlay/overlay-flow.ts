/**
 * The overlay flow over its ports, callable without middy: the launched event is checked against
 * ECS first, then the kind's plugins go out as install requests, one per plugin. Since v1.1 the
 * overlay's files are written by the boot step before the workspace starts, and `Workspace Config
 * Overlay Applied` is emitted by the task-state function when ECS shows that step exited 0. An
 * event ECS does not confirm gets nothing.
 */
import { countMetric, type FlowInstrumentation } from '#adapters/instrumentation.ts';
import type { Catalog } from '#config/catalog.ts';
import type { OverlayTable } from '#config/overlays.ts';
import type { TaskLaunchedDetail } from '#contracts/outbound.ts';
import { pluginInstallEventsFor } from '#core/overlay.ts';
import {
  checkLaunchedTask,
  type ForgeryReason,
  type LaunchedTaskCheckPorts,
  type VisibilityPolicy,
} from '#policies/launched-task-check.ts';
import type { EventPublisher } from '#ports/event-publisher.ts';
import { METRIC } from '#wiring/names.ts';
import { UnknownRuntimeError } from './errors.ts';

/** What the overlay flow runs on. */
export interface OverlayPorts {
  readonly publisher: EventPublisher;
  readonly catalog: Catalog;
  readonly overlays: OverlayTable;
  readonly instrumentation: FlowInstrumentation;
  /** ECS, to check the event against, and the cluster it must be in. */
  readonly launchedTasks: LaunchedTaskCheckPorts;
  /** @default DEFAULT_VISIBILITY_POLICY */
  readonly visibility?: VisibilityPolicy;
}

export type OverlayResult =
  | { readonly outcome: 'applied'; readonly taskArn: string; readonly events: number }
  | { readonly outcome: 'ignored'; readonly reason: ForgeryReason };

/**
 * Publishes the plugin install requests of a launched task's kind: `kind=platform` gets the
 * platform MCP, `kind=workspace` none.
 *
 * @throws LaunchedTaskNotVisibleError when ECS never shows the task (the platform retries).
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
  const check = await checkLaunchedTask(launched, ports.launchedTasks, ports.visibility);
  if (check.verdict === 'forged') {
    countMetric(metrics, METRIC.forgedEventIgnored);
    // Ids only: the rest of a forged event is whatever its sender chose.
    logger.warn('ignored a Workspace Task Launched that ECS does not confirm', {
      reason: check.reason,
      requestId: launched.requestId,
    });
    return { outcome: 'ignored', reason: check.reason };
  }
  const runtime = ports.catalog.runtimes[launched.runtime];
  if (!runtime) throw new UnknownRuntimeError(launched.runtime);
  const events = pluginInstallEventsFor(launched, ports.overlays);
  if (events.length > 0) await ports.publisher.publish(events);
  countMetric(metrics, METRIC.overlayApplied);
  logger.info('applied the overlay', { events: events.map((event) => event.detailType) });
  return { outcome: 'applied', taskArn: launched.taskArn, events: events.length };
}
