import type { FailureCode } from '#contracts/names.ts';
import { NEVER_RAN_REASON } from './start-failure.ts';
import { neverRan } from './stop-cause.ts';

/**
 * What a RunTask call came to. ECS reports capacity and placement problems as HTTP 200 with
 * `failures[]`, and throttling both as `ThrottlingException` and as `InvalidParameterException`
 * whose message says "Rate exceeded", so the outcome is classified here, from the response or
 * the error, never by exception type alone.
 */
export type RunTaskOutcome =
  | {
      readonly kind: 'launched';
      readonly taskArn: string;
      readonly clusterArn?: string;
      readonly reused: boolean;
    }
  | {
      readonly kind: 'retryable';
      readonly code: FailureCode;
      readonly reason: string;
      /** ECS certainly started no task (capacity `failures[]`, throttling), so a new token is safe. */
      readonly startedNoTask: boolean;
    }
  | {
      readonly kind: 'final';
      readonly code: FailureCode;
      readonly reason: string;
      /** The task the failure is about, when RunTask named one (a replayed token's stopped task). */
      readonly taskArn?: string;
    };

/** The parts of a RunTask response the classification reads. */
export interface RunTaskResponseShape {
  readonly tasks?: ReadonlyArray<{
    readonly taskArn?: string;
    readonly clusterArn?: string;
    readonly lastStatus?: string;
    readonly stopCode?: string;
    readonly startedAt?: unknown;
  }>;
  readonly failures?: ReadonlyArray<{
    readonly arn?: string;
    readonly reason?: string;
    readonly detail?: string;
  }>;
}

/**
 * Generic reasons: an event's `reason` never carries a raw AWS error body, which can hold account
 * ids and resource names.
 */
export const REASONS = {
  capacity: 'ECS had no Fargate capacity for the task; the launch will be retried',
  capacitySpent: 'ECS had no Fargate capacity for the task within the retry window',
  throttled: 'ECS throttled the launch (rate exceeded); the launch will be retried',
  throttledSpent: 'ECS kept throttling the launch within the retry window',
  server: 'ECS returned a server error; the launch will be retried',
  refused: 'ECS refused the launch request',
  placement: 'ECS could not place the task',
  unknown: 'the launch failed for an unexpected reason',
  noTask: 'ECS accepted the call but reported no task',
  neverRan: NEVER_RAN_REASON,
} as const;

const CAPACITY_FAILURE =
  /capacity is unavailable|^RESOURCE:|insufficient|reached the limit on the number of tasks/i;
const RATE_EXCEEDED = /rate exceeded|throttl/i;
/**
 * EC2's throttling error code ("If you exceed an API throttling limit, you get the
 * RequestLimitExceeded error code": https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html).
 * ECS makes EC2 calls for a Fargate task's network interface and can hand this code back inside a
 * RunTask error of another name, so it is matched in the message, as the code is spelled.
 */
const EC2_REQUEST_LIMIT = /RequestLimitExceeded/;
/** A ClientException can mean the PROVISIONING-tasks-per-cluster quota was hit: retry it. */
const CLIENT_CAPACITY = /provisioning|capacity|too many|limit/i;

/**
 * Classifies a RunTask response that came back without an exception. A retry with the same client
 * token answers the task that token started, in its current state: when that task already stopped
 * without ever running, the launch failed (TASK_FAILED_TO_START, as the task's own STOPPED event
 * says), and it is never reported launched.
 */
export function classifyRunTaskResponse(response: RunTaskResponseShape): RunTaskOutcome {
  const task = response.tasks?.find((candidate) => candidate.taskArn);
  if (task?.taskArn && task.lastStatus === 'STOPPED' && neverRan(task)) {
    return { kind: 'final', code: 'TASK_FAILED_TO_START', reason: REASONS.neverRan, taskArn: task.taskArn };
  }
  if (task?.taskArn) {
    return {
      kind: 'launched',
      taskArn: task.taskArn,
      ...(task.clusterArn ? { clusterArn: task.clusterArn } : {}),
      reused: false,
    };
  }
  const failures = response.failures ?? [];
  const reasons = failures.map((failure) => `${failure.reason ?? ''} ${failure.detail ?? ''}`);
  if (reasons.some((reason) => RATE_EXCEEDED.test(reason))) {
    return { kind: 'retryable', code: 'THROTTLED', reason: REASONS.throttled, startedNoTask: true };
  }
  if (reasons.some((reason) => CAPACITY_FAILURE.test(reason.trim()))) {
    return { kind: 'retryable', code: 'CAPACITY_UNAVAILABLE', reason: REASONS.capacity, startedNoTask: true };
  }
  if (failures.length > 0) return { kind: 'final', code: 'LAUNCH_FAILED', reason: REASONS.placement };
  return { kind: 'final', code: 'LAUNCH_FAILED', reason: REASONS.noTask };
}

const errorName = (error: unknown): string => {
  if (typeof error !== 'object' || error === null) return '';
  const { name, code, __type } = error as { name?: unknown; code?: unknown; __type?: unknown };
  const raw = [name, code, __type].find((value) => typeof value === 'string' && value !== 'Error') as
    | string
    | undefined;
  return raw ? raw.replace(/^.*#/, '') : '';
};

const errorMessage = (error: unknown): string =>
  typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string'
    ? (error as { message: string }).message
    : String(error);

const httpStatus = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;

const TRANSIENT_NAMES = new Set([
  'ServerException',
  'ServiceUnavailableException',
  'InternalFailure',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/**
 * Classifies an error thrown by RunTask.
 * - `ThrottlingException`, and `InvalidParameterException` saying "Rate exceeded": retryable, THROTTLED.
 * - `InvalidParameterException` or `ClientException` carrying EC2's `RequestLimitExceeded`: retryable,
 *   THROTTLED (EC2 throttled the calls ECS made for the task, not a bad request).
 * - `ClientException` about provisioning capacity or limits: retryable, CAPACITY_UNAVAILABLE.
 * - Server errors, 5xx and network errors: retryable, LAUNCH_FAILED.
 * - `ConflictException` naming the task this request's token already started: launched (reused).
 * - Any other `ClientException`, invalid parameter, access or cluster error, and anything unknown: final.
 */
export function classifyRunTaskError(error: unknown): RunTaskOutcome {
  const name = errorName(error);
  const message = errorMessage(error);
  if (name === 'ThrottlingException' || name === 'TooManyRequestsException' || httpStatus(error) === 429) {
    return { kind: 'retryable', code: 'THROTTLED', reason: REASONS.throttled, startedNoTask: true };
  }
  const wrapsThrottling = name === 'InvalidParameterException' || name === 'ClientException';
  if (wrapsThrottling && EC2_REQUEST_LIMIT.test(message)) {
    return { kind: 'retryable', code: 'THROTTLED', reason: REASONS.throttled, startedNoTask: true };
  }
  if (name === 'InvalidParameterException' && RATE_EXCEEDED.test(message)) {
    return { kind: 'retryable', code: 'THROTTLED', reason: REASONS.throttled, startedNoTask: true };
  }
  if (name === 'ConflictException') {
    const existing = (error as { resourceIds?: unknown }).resourceIds;
    const taskArn = Array.isArray(existing) ? existing.find((id) => typeof id === 'string') : undefined;
    if (typeof taskArn === 'string') return { kind: 'launched', taskArn, reused: true };
    return { kind: 'final', code: 'LAUNCH_FAILED', reason: REASONS.refused };
  }
  if (name === 'ClientException') {
    return CLIENT_CAPACITY.test(message)
      ? { kind: 'retryable', code: 'CAPACITY_UNAVAILABLE', reason: REASONS.capacity, startedNoTask: true }
      : { kind: 'final', code: 'LAUNCH_FAILED', reason: REASONS.refused };
  }
  const status = httpStatus(error);
  if (TRANSIENT_NAMES.has(name) || (status !== undefined && status >= 500)) {
    return { kind: 'retryable', code: 'LAUNCH_FAILED', reason: REASONS.server, startedNoTask: false };
  }
  if (name.endsWith('Exception')) return { kind: 'final', code: 'LAUNCH_FAILED', reason: REASONS.refused };
  return { kind: 'final', code: 'LAUNCH_FAILED', reason: REASONS.unknown };
}

/** The final reason for a retryable code once every retry is spent. */
export function spentReasonFor(code: FailureCode): string {
  if (code === 'CAPACITY_UNAVAILABLE') return REASONS.capacitySpent;
  if (code === 'THROTTLED') return REASONS.throttledSpent;
  return 'the launch kept failing within the retry window';
}
