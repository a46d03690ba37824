/**
 * The timeout sweep's middy wiring: logger, tracer and metrics around a scheduled invocation. The
 * sweep itself is `timeout-sweep-flow.ts`.
 */
import { EcsTaskRunner } from '#adapters/ecs-task-runner.ts';
import { instrumentedHandler } from '#adapters/instrumentation.ts';
import { meteredPublisher } from '#adapters/metered-publisher.ts';
import type { HandlerOptions } from '#functions/handler-options.ts';
import type { ClusterSettings, HandlerPorts } from '#functions/handler-ports.ts';
import { recoverySettingsOf } from '#functions/task-state/workspace-lifecycle.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import { sweepOverdueTasks, type TimeoutSweepPorts, type TimeoutSweepResult } from './timeout-sweep-flow.ts';

export { isOverdue } from './overdue-tasks.ts';
export type { TimeoutSweepResult } from './timeout-sweep-flow.ts';

/** What the timeout sweep is built from. Only the cluster of the launch target is read. */
export type TimeoutSweepHandlerPorts = Pick<
  HandlerPorts,
  'ecs' | 'eventBridge' | 'catalog' | 'provisionRequests' | 'workspaceRecords' | 'clock' | 'random'
> & {
  readonly settings: ClusterSettings &
    Pick<HandlerSettings, 'recoveryAttempts' | 'recoveryWindowSeconds' | 'recoveryBackoffSeconds'>;
};

/** Creates the scheduled timeout sweep. */
export function createTimeoutSweepHandler(ports: TimeoutSweepHandlerPorts, options: HandlerOptions) {
  const { instrumentation } = options;
  const flowPorts: TimeoutSweepPorts = {
    runner: new EcsTaskRunner(ports.ecs, { cluster: ports.settings.launchTarget.cluster }),
    publisher: meteredPublisher(ports, instrumentation.metrics),
    runtimeByFamily: new Map(
      Object.values(ports.catalog.runtimes).map((runtime) => [runtime.family, runtime]),
    ),
    clock: ports.clock,
    instrumentation,
    requests: ports.provisionRequests,
    workspaceRecords: ports.workspaceRecords,
    recovery: recoverySettingsOf(ports.settings),
  };
  return instrumentedHandler(instrumentation).handler<unknown, TimeoutSweepResult>(() =>
    sweepOverdueTasks(flowPorts),
  );
}
