/**
 * A provision request that breaks the contract (or that the plan refuses) is answered with
 * `Workspace Provision Rejected`, naming the fields at fault, and never retried.
 */
import type { ParsedResultError } from '@aws-lambda-powertools/parser/types';
import { countMetric, type FlowInstrumentation } from '#adapters/instrumentation.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { ProvisionRejectedDetail } from '#contracts/outbound.ts';
import { rejectionOf } from '#policies/request-rejection.ts';
import type { EventPublisher } from '#ports/event-publisher.ts';
import { METRIC } from '#wiring/names.ts';
import { RejectionNotPublishedError } from './errors.ts';
import type { ProvisionResult } from './provision-flow.ts';

/** What a rejection needs: the publisher, and somewhere to log and count. */
export interface RejectionPorts {
  readonly publisher: EventPublisher;
  readonly instrumentation: FlowInstrumentation;
}

/**
 * Publishes the rejection of a request the parser refused.
 *
 * @throws RejectionNotPublishedError when the rejection could not be published (retryable).
 */
export async function rejectProvisionRequest(
  failure: ParsedResultError<unknown>,
  ports: RejectionPorts,
): Promise<ProvisionResult> {
  const detail = rejectionOf(failure, DETAIL_TYPES.provisionRequested);
  // Field paths only: a message could quote a field the request got wrong, never worth the risk.
  ports.instrumentation.logger.warn('rejected a provision request that breaks the contract', {
    rejectedEventId: detail.rejectedEventId,
    fields: detail.errors.map((error) => error.path),
  });
  return publishRejection(detail, ports);
}

/** The request a reused requestId came with, and the envelope that carried it. */
export interface ReusedRequest {
  readonly requestId: string;
  readonly workspaceId: string;
  /** The raw EventBridge event, for its `id` and `detail-type`. */
  readonly event: unknown;
}

/**
 * Publishes the rejection of a valid request whose requestId was already used for a different
 * request (an exact replay is answered from the idempotency record and never gets here). Upstream
 * can then tell a bug on its side from a replay.
 *
 * @throws RejectionNotPublishedError when the rejection could not be published (retryable).
 */
export async function rejectReusedRequestId(
  reused: ReusedRequest,
  ports: RejectionPorts,
): Promise<ProvisionResult> {
  const raw = (typeof reused.event === 'object' && reused.event !== null ? reused.event : {}) as Record<
    string,
    unknown
  >;
  const detail: ProvisionRejectedDetail = {
    requestId: reused.requestId,
    workspaceId: reused.workspaceId,
    rejectedEventId: typeof raw.id === 'string' && raw.id.length > 0 ? raw.id : 'unknown',
    rejectedDetailType: DETAIL_TYPES.provisionRequested,
    errors: [
      {
        path: 'requestId',
        message:
          `requestId "${reused.requestId}" was already used for a different request: a retry must ` +
          'send the same request again, and a new request needs a new requestId',
      },
    ],
  };
  ports.instrumentation.logger.warn('rejected a provision request that reuses a requestId', {
    rejectedEventId: detail.rejectedEventId,
  });
  return publishRejection(detail, ports);
}

async function publishRejection(
  detail: ProvisionRejectedDetail,
  ports: RejectionPorts,
): Promise<ProvisionResult> {
  const { metrics } = ports.instrumentation;
  try {
    await ports.publisher.publish([{ detailType: DETAIL_TYPES.provisionRejected, detail }]);
  } catch (error) {
    throw new RejectionNotPublishedError({ cause: error });
  }
  countMetric(metrics, METRIC.provisionRejected);
  return { outcome: 'rejected', errors: detail.errors.length };
}
