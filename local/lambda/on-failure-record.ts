/**
 * The record Lambda sends to an asynchronous invocation's on-failure destination.
 *
 * Source: AWS Lambda Developer Guide, "Capturing records of Lambda asynchronous invocations"
 * (invocation record: version, timestamp, requestContext with requestId, functionArn, condition and
 * approximateInvokeCount, requestPayload, responseContext and responsePayload).
 */

import type { FunctionSpec } from '#wiring/functions.ts';
import { localFunctionArn } from './context.ts';
import type { FailureCondition, Invocation } from './invocation.ts';

/** Where the function runs, for its ARN in the record. */
export interface RecordScope {
  readonly region: string;
  readonly account: string;
}

/** Lambda's standard on-failure record of `invocation`, given up for `condition` at `at`. */
export function onFailureRecord(
  invocation: Invocation,
  spec: FunctionSpec,
  condition: FailureCondition,
  at: number,
  scope: RecordScope,
): Record<string, unknown> {
  return {
    version: '1.0',
    timestamp: new Date(at).toISOString(),
    requestContext: {
      requestId: invocation.requestId,
      functionArn: `${localFunctionArn(scope.region, scope.account, spec.name)}:$LATEST`,
      condition,
      approximateInvokeCount: invocation.attempts,
    },
    requestPayload: JSON.parse(invocation.payload),
    ...(invocation.lastError
      ? {
          responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
          responsePayload: { ...invocation.lastError, trace: [...invocation.lastError.trace] },
        }
      : {}),
  };
}
