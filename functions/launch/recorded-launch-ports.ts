/**
 * The ports of a recorded request's launch, built once from a handler's ports and options: the
 * provision handler and the assets-staged handler launch the same way, so they build the same
 * runner, task lookup, metered publisher and retry policy.
 */
import { workspaceVolumesOf } from '#adapters/ec2-workspace-volumes.ts';
import { EcsTaskRunner } from '#adapters/ecs-task-runner.ts';
import type { FlowInstrumentation } from '#adapters/instrumentation.ts';
import { meteredPublisher } from '#adapters/metered-publisher.ts';
import type { HandlerPorts } from '#functions/handler-ports.ts';
import type { LaunchRetryPolicy } from '#functions/provision/launch-with-retries.ts';
import { WorkspaceTasks } from '#policies/workspace-tasks.ts';
import type { RecordedLaunchPorts } from './launch-recorded-request.ts';

/** What a handler that launches recorded requests is built from. */
export type LaunchingHandlerPorts = Pick<
  HandlerPorts,
  | 'ecs'
  | 'ec2'
  | 'eventBridge'
  | 'idempotencyStore'
  | 'workspaceLeases'
  | 'provisionRequests'
  | 'workspaceRecords'
  | 'workspaceFiles'
  | 'catalog'
  | 'overlays'
  | 'settings'
  | 'clock'
  | 'random'
>;

/** Options of {@link recordedLaunchPorts}. */
export interface RecordedLaunchOptions {
  readonly instrumentation: FlowInstrumentation;
  /** @default { baseDelayMs: 250, maxDelayMs: 8000, safetyMarginMs: 10000 } */
  readonly retry?: Partial<LaunchRetryPolicy>;
  /** How long a launch record stands in for a task ListTasks does not show yet. @default 300000 */
  readonly consistencyWindowMs?: number;
  /** PutEvents entry size limit. @default 262144 */
  readonly maxEntryBytes?: number;
}

export const DEFAULT_LAUNCH_RETRY: LaunchRetryPolicy = {
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  safetyMarginMs: 10_000,
};

/** Builds the launch's ports over the ECS, EventBridge and store ports of a handler. */
export function recordedLaunchPorts(
  ports: LaunchingHandlerPorts,
  options: RecordedLaunchOptions,
): RecordedLaunchPorts {
  const { instrumentation } = options;
  const runner = new EcsTaskRunner(ports.ecs, { cluster: ports.settings.launchTarget.cluster });
  return {
    runner,
    workspaceTasks: new WorkspaceTasks(runner, ports.workspaceLeases, ports.clock, {
      ...(options.consistencyWindowMs !== undefined
        ? { consistencyWindowMs: options.consistencyWindowMs }
        : {}),
    }),
    workspaceLeases: ports.workspaceLeases,
    publisher: meteredPublisher(ports, instrumentation.metrics, { maxEntryBytes: options.maxEntryBytes }),
    catalog: ports.catalog,
    settings: ports.settings,
    clock: ports.clock,
    random: ports.random ?? Math.random,
    retry: { ...DEFAULT_LAUNCH_RETRY, ...options.retry },
    instrumentation,
    overlays: ports.overlays,
    files: ports.workspaceFiles,
    requests: ports.provisionRequests,
    workspaceRecords: ports.workspaceRecords,
    workspaceVolumes: workspaceVolumesOf(ports),
  };
}
