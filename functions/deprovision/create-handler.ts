/**
 * The deprovision handler's middy wiring: logger (correlation id `detail.requestId`), tracer,
 * metrics, the safe parser (a bad request becomes a rejection, never a retry) and idempotency on
 * `requestId`. The flow itself is `deprovision-flow.ts`.
 */
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import type { Context } from 'aws-lambda';
import { workspaceVolumesOf } from '#adapters/ec2-workspace-volumes.ts';
import { EcsTaskRunner } from '#adapters/ecs-task-runner.ts';
import { EventBridgeDetailEnvelope } from '#adapters/eventbridge-envelope.ts';
import { idempotentOn } from '#adapters/idempotency.ts';
import { countMetric, instrumentedHandler } from '#adapters/instrumentation.ts';
import { meteredPublisher } from '#adapters/metered-publisher.ts';
import { DeprovisionRequestedDetail } from '#contracts/inbound.ts';
import type { HandlerOptions } from '#functions/handler-options.ts';
import type { ClusterSettings, HandlerPorts } from '#functions/handler-ports.ts';
import { WorkspaceTasks } from '#policies/workspace-tasks.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import type { WorkspaceVolumes } from '#ports/workspace-volumes.ts';
import { METRIC } from '#wiring/names.ts';
import {
  type DeprovisionPorts,
  type DeprovisionResult,
  deprovisionWorkspace,
  rejectDeprovisionRequest,
} from './deprovision-flow.ts';

export type { DeprovisionResult } from './deprovision-flow.ts';

/** What the deprovision handler is built from. Only the cluster of the launch target is read. */
export type DeprovisionHandlerPorts = Pick<
  HandlerPorts,
  | 'ecs'
  | 'ec2'
  | 'eventBridge'
  | 'idempotencyStore'
  | 'workspaceLeases'
  | 'workspaceRecords'
  | 'clock'
  | 'random'
> & {
  /** v1.3: with the data-volume settings, so an `erase` can find the workspace's volumes and snapshots. */
  readonly settings: ClusterSettings & Pick<HandlerSettings, 'dataVolumes'>;
};

export interface DeprovisionHandlerOptions extends HandlerOptions {
  /** Time kept back from the remaining time when waiting for the workspace lease. @default 10000 */
  readonly safetyMarginMs?: number;
  /** v1.3: the data volumes and snapshots an erase deletes. @default Ec2WorkspaceVolumes over `ports.ec2` */
  readonly workspaceVolumes?: WorkspaceVolumes;
}

/**
 * Creates the `Workspace Deprovision Requested` handler. Idempotent on `requestId`. A request that
 * breaks the contract is answered with `Workspace Provision Rejected` (`rejectedDetailType` says
 * which request) and never retried.
 */
export function createDeprovisionHandler(ports: DeprovisionHandlerPorts, options: DeprovisionHandlerOptions) {
  const { instrumentation } = options;
  const { logger, metrics } = instrumentation;
  const runner = new EcsTaskRunner(ports.ecs, { cluster: ports.settings.launchTarget.cluster });
  const flowPorts: DeprovisionPorts = {
    runner,
    workspaceTasks: new WorkspaceTasks(runner, ports.workspaceLeases, ports.clock),
    workspaceLeases: ports.workspaceLeases,
    publisher: meteredPublisher(ports, metrics),
    clock: ports.clock,
    random: ports.random ?? Math.random,
    safetyMarginMs: options.safetyMarginMs ?? 10_000,
    instrumentation,
    workspaceRecords: ports.workspaceRecords,
    volumes: options.workspaceVolumes ?? workspaceVolumesOf(ports),
  };

  async function deprovision(parsed: ParsedResult<unknown, DeprovisionRequestedDetail>, context: Context) {
    if (!parsed.success) return rejectDeprovisionRequest(parsed, flowPorts);
    logger.appendKeys({ workspaceId: parsed.data.workspaceId });
    return deprovisionWorkspace(parsed.data, flowPorts, { remainingMs: context.getRemainingTimeInMillis() });
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
