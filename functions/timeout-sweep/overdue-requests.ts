/**
 * v1.1: the requests whose template assets never came. Each is moved from `awaiting-assets` to
 * `failed` with a conditional write before its `Workspace Provision Failed`
 * (TEMPLATE_ASSETS_TIMEOUT) goes out, so a request times out exactly once, and a Staged event that
 * arrives after cannot launch it. An event that cannot be published hands the request back to the
 * next sweep.
 */
import { countByCode, type FlowInstrumentation } from '#adapters/instrumentation.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { ProvisionFailedDetail } from '#contracts/outbound.ts';
import type { EventPublisher } from '#ports/event-publisher.ts';
import type { ProvisionRequestRecord, ProvisionRequestStore } from '#ports/provision-request-store.ts';
import { METRIC } from '#wiring/names.ts';

/** Requests failed per sweep at most; the next sweep takes the rest. */
export const OVERDUE_REQUESTS_PER_SWEEP = 100;

export const TEMPLATE_ASSETS_TIMEOUT_REASON =
  'no Workspace Template Assets Staged arrived within the template assets timeout';

/** The Failed detail of a request whose assets timed out. */
export function assetsTimeoutReportOf(record: ProvisionRequestRecord): ProvisionFailedDetail {
  const { request } = record;
  return {
    requestId: request.requestId,
    workspaceId: request.workspaceId,
    code: 'TEMPLATE_ASSETS_TIMEOUT',
    reason: TEMPLATE_ASSETS_TIMEOUT_REASON,
    retryable: true,
    runtime: request.runtime,
    kind: request.kind,
  };
}

/** What failing overdue requests runs on. */
export interface OverdueRequestPorts {
  readonly requests: ProvisionRequestStore;
  readonly publisher: EventPublisher;
  readonly instrumentation: FlowInstrumentation;
}

/** Fails every request past its template assets deadline; answers their requestIds. */
export async function failOverdueRequests(now: number, ports: OverdueRequestPorts): Promise<string[]> {
  const { requests, publisher } = ports;
  const { logger, metrics } = ports.instrumentation;
  const failed: string[] = [];
  for (const record of await requests.overdueAwaitingAssets(now, OVERDUE_REQUESTS_PER_SWEEP)) {
    const { requestId } = record.request;
    if (!(await requests.transition(requestId, ['awaiting-assets'], 'failed'))) continue;
    try {
      await publisher.publish([
        { detailType: DETAIL_TYPES.provisionFailed, detail: { ...assetsTimeoutReportOf(record) } },
      ]);
    } catch (error) {
      await requests.transition(requestId, ['failed'], 'awaiting-assets');
      logger.error('could not report a template assets timeout; the next sweep tries again', {
        requestId,
        error: error as Error,
      });
      continue;
    }
    countByCode(metrics, METRIC.provisionFailed, 'TEMPLATE_ASSETS_TIMEOUT');
    failed.push(requestId);
  }
  if (failed.length > 0) logger.info('template assets timed out', { requestIds: failed });
  return failed;
}
