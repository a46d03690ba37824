/**
 * v1.1: what the provision function does with a valid request. It records the request (every later
 * step acts on this record, never on a follow-up event's word). A request whose template is set (by
 * the request, or forced by its kind's overlay) is answered with `Workspace Template Assets
 * Requested` and launches only once its assets are staged; any other launches at once.
 */
import { countMetric } from '#adapters/instrumentation.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { TemplateAssetsRequestedDetail } from '#contracts/outbound.ts';
import { requiredPathsFor, templateFor } from '#core/overlay.ts';
import { s3Uri, stagedPrefix } from '#core/workspace-files.ts';
import {
  launchRecordedRequest,
  type RecordedLaunchPorts,
} from '#functions/launch/launch-recorded-request.ts';
import type { ProvisionRequestRecord } from '#ports/provision-request-store.ts';
import { METRIC } from '#wiring/names.ts';
import type { InvocationBudget, ProvisionResult } from './provision-flow.ts';
import type { PlannedRequest } from './request-schema.ts';

/** The provision function's ports since v1.1. */
export interface AcceptPorts extends RecordedLaunchPorts {
  /** How long a request waits for its template assets. */
  readonly templateAssetsTimeoutMs: number;
}

/** Records a valid request, then asks for its template assets or launches it. */
export async function acceptProvisionRequest(
  planned: PlannedRequest,
  ports: AcceptPorts,
  budget: InvocationBudget,
): Promise<ProvisionResult> {
  const { request, plan } = planned;
  const template = templateFor(request.kind, request.template, ports.overlays);
  const now = ports.clock.now();
  const destination = template
    ? s3Uri(plan.workspaceFilesBucket, stagedPrefix(request.orgId, request.workspaceId, request.requestId))
    : undefined;
  const fresh: ProvisionRequestRecord = {
    request,
    status: template ? 'awaiting-assets' : 'launching',
    recordedAt: now,
    secrets: plan.secrets,
    ...(template && destination
      ? { template, destination, assetsDeadline: now + ports.templateAssetsTimeoutMs }
      : {}),
  };
  // A redelivery after a crash finds its own record and carries on from where it stands.
  const record = (await ports.requests.create(fresh))
    ? fresh
    : ((await ports.requests.get(request.requestId)) ?? fresh);
  if (record.status === 'failed') return { outcome: 'already-failed' };
  // Past its assets, a templated request belongs to the assets-staged step, which launches it.
  if (record.template && record.destination && record.status !== 'awaiting-assets') {
    return { outcome: 'awaiting-assets', destination: record.destination };
  }
  if (record.status === 'awaiting-assets' && record.template && record.destination) {
    const detail: TemplateAssetsRequestedDetail = {
      requestId: request.requestId,
      workspaceId: request.workspaceId,
      orgId: request.orgId,
      kind: request.kind,
      template: record.template,
      paths: requiredPathsFor(request.kind, ports.overlays),
      destination: record.destination,
    };
    await ports.publisher.publish([
      { detailType: DETAIL_TYPES.templateAssetsRequested, detail: { ...detail } },
    ]);
    countMetric(ports.instrumentation.metrics, METRIC.templateAssetsRequested);
    ports.instrumentation.logger.info('asked for the template assets; the launch waits for them', {
      template: record.template,
    });
    return { outcome: 'awaiting-assets', destination: record.destination };
  }
  return launchRecordedRequest(record, plan, undefined, ports, budget);
}
