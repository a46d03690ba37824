/**
 * The names a tool can find the deployed stack by: each function's physical name and each
 * dead-letter queue's, with the function that should have handled the messages a queue holds. The
 * CDK stack sets exactly these names, the local stack serves its dead-letter tables under them, and
 * `workspaces dead-letters` reads this table to list and redrive. Imports nothing CDK- or local-.
 */
import { FLOW_TARGETS, type FlowId, TIMEOUT_SWEEP_SCHEDULE } from './flows.ts';
import { FUNCTIONS, type FunctionName } from './functions.ts';
import { STACK_ID } from './names.ts';

/**
 * Lambda function names: 1 to 64 letters, digits, hyphens and underscores ("If you specify only the
 * function name, it is limited to 64 characters in length"; pattern `[a-zA-Z0-9-_]+`:
 * https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html).
 */
export const LAMBDA_FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * SQS queue names: "up to 80 characters. Valid values: alphanumeric characters, hyphens (-), and
 * underscores (_)" (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html).
 */
export const SQS_QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** `WorkspaceProvisioner-provision`: the deployed name of a function. */
export const functionPhysicalName = (name: FunctionName): string => `${STACK_ID}-${name}`;

/** `WorkspaceProvisioner-ProvisionRequested-target-dlq`: the DLQ of an EventBridge rule's target. */
export const targetDeadLetterQueueName = (flowId: string): string => `${STACK_ID}-${flowId}-target-dlq`;

/** `WorkspaceProvisioner-deprovision-dlq`: a function's Lambda asynchronous-invocation DLQ. */
export const functionDeadLetterQueueName = (name: FunctionName): string => `${STACK_ID}-${name}-dlq`;

/**
 * Who writes a queue:
 * - `rule-target`: EventBridge, for an event it could not hand to the rule's target (permissions,
 *   a missing function, throttling past the retry policy); the body is the event envelope;
 * - `lambda-async`: Lambda, for an asynchronous invocation whose function failed on every retry or
 *   whose event grew too old; the body is the event the function was invoked with.
 */
export type DeadLetterSource = 'rule-target' | 'lambda-async';

/** One dead-letter queue of the stack. */
export interface DeadLetterQueueSpec {
  readonly queueName: string;
  readonly source: DeadLetterSource;
  /** The function that should have handled the messages: redrive invokes it with each body. */
  readonly handledBy: FunctionName;
  /** The rule (flow or schedule id) whose target dead-letters here; only for `rule-target`. */
  readonly flowId?: string;
}

/**
 * Every dead-letter queue of the stack: one per rule target (the event-pattern flows and the
 * timeout sweep's schedule) and one per function whose spec keeps a DLQ, in a stable order.
 */
export const DEAD_LETTER_QUEUES: readonly DeadLetterQueueSpec[] = [
  ...(Object.entries(FLOW_TARGETS) as Array<[FlowId, FunctionName]>).map(
    ([flowId, target]): DeadLetterQueueSpec => ({
      queueName: targetDeadLetterQueueName(flowId),
      source: 'rule-target',
      handledBy: target,
      flowId,
    }),
  ),
  {
    queueName: targetDeadLetterQueueName(TIMEOUT_SWEEP_SCHEDULE.id),
    source: 'rule-target',
    handledBy: TIMEOUT_SWEEP_SCHEDULE.target,
    flowId: TIMEOUT_SWEEP_SCHEDULE.id,
  },
  ...Object.values(FUNCTIONS)
    .filter((spec) => spec.deadLetterQueue)
    .map(
      (spec): DeadLetterQueueSpec => ({
        queueName: functionDeadLetterQueueName(spec.name),
        source: 'lambda-async',
        handledBy: spec.name,
      }),
    ),
];

/** The queue of that name, or undefined when the stack has none. */
export const deadLetterQueueNamed = (queueName: string): DeadLetterQueueSpec | undefined =>
  DEAD_LETTER_QUEUES.find((queue) => queue.queueName === queueName);
