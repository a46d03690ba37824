import type { Context } from 'aws-lambda';
import type { FunctionSpec } from '#wiring/functions.ts';

/** `arn:aws:lambda:<region>:<account>:function:<name>`. */
export const localFunctionArn = (region: string, account: string, functionName: string): string =>
  `arn:aws:lambda:${region}:${account}:function:${functionName}`;

/**
 * A Lambda-like context for one attempt: the remaining time counts down from the function's
 * timeout in wiring/flows.ts, which Powertools idempotency uses for its in-progress expiry and the
 * provision handler for its in-invocation retry budget.
 */
export function lambdaContext(options: {
  readonly spec: FunctionSpec;
  readonly region: string;
  readonly account: string;
  readonly awsRequestId: string;
  readonly deadline: number;
}): Context {
  const { spec, deadline } = options;
  const unsupported = () => {
    throw new Error('context.done/fail/succeed are not supported: return or throw from the async handler');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: spec.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArn(options.region, options.account, spec.name),
    memoryLimitInMB: String(spec.memoryMb),
    awsRequestId: options.awsRequestId,
    logGroupName: `/aws/lambda/${spec.name}`,
    logStreamName: `local/[$LATEST]${options.awsRequestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
