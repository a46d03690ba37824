/**
 * A provision request that breaks the contract (or that the plan refuses) is answered with
 * `Workspace Provision Rejected`, naming the fields at fault, and never retried.
 */
import type { ParsedResultError } from '@aws-lambda-powertools/parser/types';
import { countMetric, type FlowInstrumentation } from '#adapters/instrumentation.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
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
  const { logger, metrics } = ports.instrumentation;
  const detail = rejectionOf(failure, DETAIL_TYPES.provisionRequested);
  // Field paths only: a message could quote a field the request got wrong, never worth the risk.
  logger.warn('rejected a provision request that breaks the contract', {
    rejectedEventId: detail.rejectedEventId,
    fields: detail.errors.map((error) => error.path),
  });
  try {
    await ports.publisher.publish([{ detailType: DETAIL_TYPES.provisionRejected, detail }]);
  } catch (error) {
    throw new RejectionNotPublishedError({ cause: error });
  }
  countMetric(metrics, METRIC.provisionRejected);
  return { outcome: 'rejected', errors: detail.errors.length };
}
