/**
 * The timeout sweep's middy wiring: logger, tracer and metrics around a scheduled invocation. The
 * sweep itself is `timeout-sweep-flow.ts`.
 */
import { dataTagOf, workspaceVolumesOf } from '#adapters/ec2-workspace-volumes.ts';
import { EcsTaskRunner } from '#adapters/ecs-task-runner.ts';
import { instrumentedHandler } from '#adapters/instrumentation.ts';
import { meteredPublisher } from '#adapters/metered-publisher.ts';
import type { HandlerOptions } from '#functions/handler-options.ts';
import type { ClusterSettings, HandlerPorts } from '#functions/handler-ports.ts';
import { recoverySettingsOf } from '#functions/task-state/workspace-lifecycle.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import type { WorkspaceVolumes } from '#ports/workspace-volumes.ts';
import { sweepOverdueTasks, type TimeoutSweepPorts, type TimeoutSweepResult } from './timeout-sweep-flow.ts';

export { isOverdue } from './overdue-tasks.ts';
export type { TimeoutSweepResult } from './timeout-sweep-flow.ts';

/** What the timeout sweep is built from. Only the cluster of the launch target is read. */
export type TimeoutSweepHandlerPorts = Pick<
  HandlerPorts,
  'ecs' | 'ec2' | 'eventBridge' | 'catalog' | 'provisionRequests' | 'workspaceRecords' | 'clock' | 'random'
> & {
  readonly settings: ClusterSettings &
    Pick<
      HandlerSettings,
      | 'recoveryAttempts'
      | 'recoveryWindowSeconds'
      | 'recoveryBackoffSeconds'
      | 'dataVolumes'
      | 'dataSnapshotRetention'
      | 'reconcileGraceSeconds'
    >;
};

export interface TimeoutSweepHandlerOptions extends HandlerOptions {
  /** v1.3: the data volumes and snapshots. @default Ec2WorkspaceVolumes over `ports.ec2` */
  readonly workspaceVolumes?: WorkspaceVolumes;
}

/** Creates the scheduled timeout sweep. */
export function createTimeoutSweepHandler(
  ports: TimeoutSweepHandlerPorts,
  options: TimeoutSweepHandlerOptions,
) {
  const { instrumentation } = options;
  const publisher = meteredPublisher(ports, instrumentation.metrics);
  const dataTag = dataTagOf(ports.settings);
  const flowPorts: TimeoutSweepPorts = {
    runner: new EcsTaskRunner(ports.ecs, { cluster: ports.settings.launchTarget.cluster }),
    publisher,
    runtimeByFamily: new Map(
      Object.values(ports.catalog.runtimes).map((runtime) => [runtime.family, runtime]),
    ),
    clock: ports.clock,
    instrumentation,
    requests: ports.provisionRequests,
    workspaceRecords: ports.workspaceRecords,
    recovery: recoverySettingsOf(ports.settings),
    ...(ports.settings.reconcileGraceSeconds !== undefined
      ? { reconcileGraceMs: ports.settings.reconcileGraceSeconds * 1000 }
      : {}),
    dataSaves: {
      volumes: options.workspaceVolumes ?? workspaceVolumesOf(ports),
      workspaceRecords: ports.workspaceRecords,
      dataTag,
      instrumentation,
      publisher,
      clock: ports.clock,
      ...(ports.settings.dataSnapshotRetention !== undefined
        ? { retention: ports.settings.dataSnapshotRetention }
        : {}),
    },
  };
  return instrumentedHandler(instrumentation).handler<unknown, TimeoutSweepResult>(() =>
    sweepOverdueTasks(flowPorts),
  );
}
