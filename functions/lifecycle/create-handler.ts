/**
 * The lifecycle handler's middy wiring (v1.2; v1.3 adds the data saves): logger, tracer, metrics; the event parsed by the
 * contract of its detail-type (`lifecycle-event.ts`); idempotency on the key that event names;
 * then the flow (`lifecycle-flow.ts`). A restart or status request that breaks the contract is
 * answered with `Workspace Provision Rejected` and never retried; any other event that does not
 * parse is logged and dropped (no request of upstream's is behind it).
 */
import type { ParsedResultError } from '@aws-lambda-powertools/parser/types';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { dataTagOf, workspaceVolumesOf } from '#adapters/ec2-workspace-volumes.ts';
import { idempotentOn } from '#adapters/idempotency.ts';
import { countMetric, instrumentedHandler } from '#adapters/instrumentation.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { HandlerOptions } from '#functions/handler-options.ts';
import {
  DEFAULT_LAUNCH_RETRY,
  type LaunchingHandlerPorts,
  recordedLaunchPorts,
} from '#functions/launch/recorded-launch-ports.ts';
import { fieldErrorsOf, rejectionOf } from '#policies/request-rejection.ts';
import type { WorkspaceVolumes } from '#ports/workspace-volumes.ts';
import { METRIC } from '#wiring/names.ts';
import { type LifecycleEvent, parseLifecycleEvent } from './lifecycle-event.ts';
import {
  type DataSavedPorts,
  onDataTaskStopped,
  onRecovering,
  onRestartRequested,
  onSnapshotNotification,
  onStatusRequested,
  onTasksRetiring,
} from './lifecycle-flow.ts';
import type { RelaunchPorts } from './relaunch.ts';

/** What the lifecycle handler is built from: what a launch needs, and the workspace records. */
export type LifecycleHandlerPorts = LaunchingHandlerPorts;

type Parsed = ReturnType<typeof parseLifecycleEvent> & { readonly originalEvent?: unknown };

/** The parse step: the event becomes `{ success, data }` (or `{ success: false, error }`), as Powertools' parser leaves it. */
const parseStep: MiddlewareObj<unknown, unknown, Error, Context> = {
  before(request) {
    const original = request.event;
    request.event = { ...parseLifecycleEvent(original), originalEvent: original };
  },
};

export interface LifecycleHandlerOptions extends HandlerOptions {
  /** v1.3: the data volumes and snapshots. @default Ec2WorkspaceVolumes over `ports.ec2` */
  readonly workspaceVolumes?: WorkspaceVolumes;
}

/** Creates the lifecycle handler (restart, status, recovery, retirement; v1.3: the data saves). */
export function createLifecycleHandler(ports: LifecycleHandlerPorts, options: LifecycleHandlerOptions) {
  const { instrumentation } = options;
  const { logger, metrics } = instrumentation;
  const flowPorts: RelaunchPorts = recordedLaunchPorts(ports, {
    instrumentation,
    retry: DEFAULT_LAUNCH_RETRY,
  });
  const dataTag = dataTagOf(ports.settings);
  const dataPorts: DataSavedPorts = {
    volumes: options.workspaceVolumes ?? workspaceVolumesOf(ports),
    workspaceRecords: ports.workspaceRecords,
    dataTag,
    instrumentation,
    publisher: flowPorts.publisher,
    ...(ports.settings.dataSnapshotRetention !== undefined
      ? { retention: ports.settings.dataSnapshotRetention }
      : {}),
  };

  async function handle(parsed: Parsed, context: Context): Promise<unknown> {
    const budget = { remainingMs: context.getRemainingTimeInMillis() };
    if (!parsed.success) return refuse(parsed);
    const event: LifecycleEvent = parsed.data;
    switch (event.kind) {
      case 'restart':
        logger.appendKeys({ workspaceId: event.detail.workspaceId });
        return onRestartRequested(event.detail, flowPorts, budget);
      case 'status':
        return onStatusRequested(event.detail, flowPorts);
      case 'recovering':
        logger.appendKeys({ workspaceId: event.detail.workspaceId });
        return onRecovering(event.detail, flowPorts, budget);
      case 'retirement':
        return onTasksRetiring(event.taskArns, flowPorts, budget);
      case 'data-task-stopped':
        if (event.detail.startedBy) logger.appendKeys({ workspaceId: event.detail.startedBy });
        return onDataTaskStopped(event.detail, dataPorts);
      case 'data-snapshot':
        return onSnapshotNotification(event.detail, dataPorts);
    }
  }

  async function refuse(parsed: Extract<Parsed, { success: false }>) {
    const original = parsed.originalEvent as { 'detail-type'?: unknown } | undefined;
    const detailType = original?.['detail-type'];
    if (detailType !== DETAIL_TYPES.restartRequested && detailType !== DETAIL_TYPES.statusRequested) {
      countMetric(metrics, METRIC.forgedEventIgnored);
      logger.warn('dropped a lifecycle event that breaks its contract', { detailType: String(detailType) });
      return { outcome: 'ignored' };
    }
    const detail = rejectionOf(
      {
        success: false,
        error: parsed.error,
        originalEvent: original,
      } as unknown as ParsedResultError<unknown>,
      detailType,
    );
    logger.warn('rejected a lifecycle request that breaks the contract', {
      fields: fieldErrorsOf(parsed.error).map((error) => error.path),
    });
    await flowPorts.publisher.publish([
      { detailType: DETAIL_TYPES.provisionRejected, detail: { ...detail } },
    ]);
    return { outcome: 'rejected', errors: detail.errors.length };
  }

  return instrumentedHandler(instrumentation, { correlationIdPath: 'detail.requestId' })
    .use(parseStep)
    .use(
      idempotentOn(ports.idempotencyStore, {
        scope: 'lifecycle',
        eventKeyJmesPath: 'data.idempotencyKey',
        onReplay: () => countMetric(metrics, METRIC.idempotentReplay),
      }),
    )
    .handler<unknown, unknown>(handle as (event: unknown, context: Context) => Promise<unknown>);
}
