/**
 * The provision handler's middy wiring: logger (correlation id `detail.requestId`), tracer,
 * metrics, then the parser (the EventBridge envelope, the contract and the launch plan, as a safe
 * parse so a bad request becomes a rejection and never a retry), then Powertools idempotency keyed
 * on the parsed `requestId`. The flow itself is `provision-flow.ts`.
 */

import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import type { Context } from 'aws-lambda';
import { EventBridgeDetailEnvelope } from '#adapters/eventbridge-envelope.ts';
import { type IdempotentRequest, idempotentOn } from '#adapters/idempotency.ts';
import { countMetric, instrumentedHandler } from '#adapters/instrumentation.ts';
import type { HandlerOptions } from '#functions/handler-options.ts';
import { type LaunchingHandlerPorts, recordedLaunchPorts } from '#functions/launch/recorded-launch-ports.ts';
import { DEFAULT_TEMPLATE_ASSETS_TIMEOUT_SECONDS, METRIC } from '#wiring/names.ts';
import { type AcceptPorts, acceptProvisionRequest } from './accept-request.ts';
import type { LaunchRetryPolicy } from './launch-with-retries.ts';
import type { ProvisionResult } from './provision-flow.ts';
import { rejectProvisionRequest, rejectReusedRequestId } from './reject-request.ts';
import { type PlanLaunch, type PlannedRequest, provisionRequestSchema } from './request-schema.ts';

export type { LaunchRetryPolicy } from './launch-with-retries.ts';
export type { ProvisionResult } from './provision-flow.ts';
export { provisionRequestSchema } from './request-schema.ts';

/** What the provision handler is built from. */
export type ProvisionHandlerPorts = LaunchingHandlerPorts;

export interface ProvisionHandlerOptions extends HandlerOptions {
  /** @default { baseDelayMs: 250, maxDelayMs: 8000, safetyMarginMs: 10000 } */
  readonly retry?: Partial<LaunchRetryPolicy>;
  /** How long a launch record stands in for a task ListTasks does not show yet. @default 300000 */
  readonly consistencyWindowMs?: number;
  /** PutEvents entry size limit. @default 262144 */
  readonly maxEntryBytes?: number;
  /** The planning function, run once per request by the parser. @default planLaunch */
  readonly planLaunch?: PlanLaunch;
}

/** Where the raw event waits for a rejection that needs its envelope id after the parser ran. */
const RAW_EVENT = 'provisioner.rawEvent';
const keepRawEvent = (request: IdempotentRequest): void => {
  request.internal[RAW_EVENT] = request.event;
};

/**
 * Creates the `Workspace Provision Requested` handler.
 *
 * @example
 * export const handler = createProvisionHandler({ ecs, eventBridge, idempotencyStore, workspaceLeases, provisionRequests, workspaceFiles, catalog, overlays, settings, clock }, { instrumentation });
 */
export function createProvisionHandler(ports: ProvisionHandlerPorts, options: ProvisionHandlerOptions) {
  const { instrumentation } = options;
  const { logger, metrics } = instrumentation;
  const { catalog, settings } = ports;
  const flowPorts: AcceptPorts = {
    ...recordedLaunchPorts(ports, options),
    templateAssetsTimeoutMs:
      (settings.templateAssetsTimeoutSeconds ?? DEFAULT_TEMPLATE_ASSETS_TIMEOUT_SECONDS) * 1000,
  };

  async function provision(parsed: ParsedResult<unknown, PlannedRequest>, context: Context) {
    if (!parsed.success) return rejectProvisionRequest(parsed, flowPorts);
    const { request } = parsed.data;
    logger.appendKeys({
      workspaceId: request.workspaceId,
      runtime: request.runtime,
      kind: request.kind,
      tier: request.tier,
      envCount: Object.keys(request.env ?? {}).length,
    });
    return acceptProvisionRequest(parsed.data, flowPorts, {
      remainingMs: context.getRemainingTimeInMillis(),
    });
  }

  /** A valid request under a requestId that came before with other content. */
  function rejectReused(request: IdempotentRequest) {
    const parsed = request.event as ParsedResult<unknown, PlannedRequest>;
    if (!parsed.success) throw new Error('a reused requestId is only detected on a parsed request');
    return rejectReusedRequestId(
      {
        requestId: parsed.data.request.requestId,
        workspaceId: parsed.data.request.workspaceId,
        event: request.internal[RAW_EVENT],
      },
      flowPorts,
    );
  }

  return instrumentedHandler(instrumentation, { correlationIdPath: 'detail.requestId' })
    .use({ before: keepRawEvent })
    .use(
      parser({
        schema: provisionRequestSchema(catalog, settings.launchTarget, options.planLaunch),
        envelope: EventBridgeDetailEnvelope,
        safeParse: true,
      }),
    )
    .use(
      idempotentOn(ports.idempotencyStore, {
        scope: 'provision',
        // The parsed event is `{ success, data: { request, plan } }`: the key is the request's id.
        eventKeyJmesPath: 'data.request.requestId',
        // The parsed request (defaults applied): a replay is the same request, however spelled.
        payloadValidationJmesPath: 'data.request',
        onPayloadMismatch: rejectReused,
        onReplay: () => countMetric(metrics, METRIC.idempotentReplay),
      }),
    )
    .handler<unknown, ProvisionResult>(provision);
}
