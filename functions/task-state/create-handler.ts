/**
 * The task-state handler's middy wiring: logger, tracer, metrics and the lenient safe parser (AWS
 * adds fields; an event that still does not parse can never succeed, so it is logged and dropped
 * rather than retried). The flow itself is `task-state-flow.ts`.
 */
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import type { Context } from 'aws-lambda';
import { EventBridgeDetailEnvelope } from '#adapters/eventbridge-envelope.ts';
import { instrumentedHandler } from '#adapters/instrumentation.ts';
import { meteredPublisher } from '#adapters/metered-publisher.ts';
import { EcsTaskStateChangeDetail } from '#contracts/ecs.ts';
import type { HandlerOptions } from '#functions/handler-options.ts';
import type { HandlerPorts, PublishingSettings } from '#functions/handler-ports.ts';
import { fieldErrorsOf } from '#policies/request-rejection.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import {
  ignoreTaskState,
  onTaskStateChange,
  type TaskStatePorts,
  type TaskStateResult,
} from './task-state-flow.ts';
import { recoverySettingsOf } from './workspace-lifecycle.ts';

export type { TaskStateResult } from './task-state-flow.ts';

/** What the task-state handler is built from. */
export type TaskStateHandlerPorts = Pick<
  HandlerPorts,
  | 'eventBridge'
  | 'taskVersions'
  | 'workspaceLeases'
  | 'provisionRequests'
  | 'workspaceRecords'
  | 'catalog'
  | 'overlays'
  | 'clock'
  | 'random'
> & {
  readonly settings: PublishingSettings &
    Pick<HandlerSettings, 'recoveryAttempts' | 'recoveryWindowSeconds' | 'recoveryBackoffSeconds'>;
};

/** Creates the `ECS Task State Change` handler. */
export function createTaskStateHandler(ports: TaskStateHandlerPorts, options: HandlerOptions) {
  const { instrumentation } = options;
  const { logger } = instrumentation;
  const flowPorts: TaskStatePorts = {
    publisher: meteredPublisher(ports, instrumentation.metrics),
    taskVersions: ports.taskVersions,
    workspaceLeases: ports.workspaceLeases,
    families: new Set(Object.values(ports.catalog.runtimes).map((runtime) => runtime.family)),
    clock: ports.clock,
    random: ports.random ?? Math.random,
    instrumentation,
    requests: ports.provisionRequests,
    overlays: ports.overlays,
    workspaceRecords: ports.workspaceRecords,
    recovery: recoverySettingsOf(ports.settings),
    containerPorts: new Map(
      Object.values(ports.catalog.runtimes).map((runtime) => [runtime.name, runtime.containerPort]),
    ),
  };

  async function handle(parsed: ParsedResult<unknown, EcsTaskStateChangeDetail>, context: Context) {
    if (!parsed.success) {
      logger.error('dropped an ECS task state change that does not parse', {
        fields: fieldErrorsOf(parsed.error).map((error) => error.path),
      });
      return ignoreTaskState('unparseable', flowPorts);
    }
    const detail = parsed.data;
    logger.appendKeys({ taskArn: detail.taskArn, lastStatus: detail.lastStatus, version: detail.version });
    return onTaskStateChange(detail, flowPorts, { remainingMs: context.getRemainingTimeInMillis() });
  }

  return instrumentedHandler(instrumentation)
    .use(parser({ schema: EcsTaskStateChangeDetail, envelope: EventBridgeDetailEnvelope, safeParse: true }))
    .handler<unknown, TaskStateResult>(handle);
}
