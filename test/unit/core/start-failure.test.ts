import { describe, expect, it } from 'vitest';
import type { FailureCode } from '#contracts/names.ts';
import { START_FAILURE_REASONS, startFailureOf } from '#core/start-failure.ts';
import type { StoppedTaskShape } from '#core/stop-cause.ts';

// Each row: a task that never ran, what ECS said, the code and whether a new request may succeed.
// AWS documents error prefixes with "<reason>" placeholders; where only a prefix is documented the
// rest of the text here is a placeholder too, never a sentence AWS does not write.
const cases: ReadonlyArray<[string, StoppedTaskShape, FailureCode, boolean]> = [
  // "CannotPullContainerError … occurs when the agent is unable to pull the container image
  // specified in the task definition" (stopped-task-error-codes.html); example texts from
  // "CannotPullContainer task errors" (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html).
  [
    'CannotPullContainerError as the stopped reason',
    {
      stopCode: 'TaskFailedToStart',
      stoppedReason:
        'CannotPullContainerError: API error (404): repository 111122223333.dkr.ecr.us-east-1.amazonaws.com/<repo>/<image> not found',
    },
    'IMAGE_PULL_FAILED',
    false,
  ],
  [
    'CannotPullContainerError on the container only',
    {
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'Task failed to start',
      containers: [
        {
          name: 'workspace',
          reason:
            'CannotPullContainerError: API error (500): Get https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/: net/http: request canceled while waiting for connection',
        },
      ],
    },
    'IMAGE_PULL_FAILED',
    false,
  ],
  // Both texts are listed in https://repost.aws/knowledge-center/ecs-unable-to-pull-secrets.
  [
    'secrets that could not be pulled (signal: killed)',
    {
      stopCode: 'TaskFailedToStart',
      stoppedReason:
        'ResourceInitializationError: unable to pull secrets or registry auth: pull command failed: : signal: killed',
    },
    'SECRETS_UNAVAILABLE',
    false,
  ],
  [
    'a secret Secrets Manager would not give',
    {
      stopCode: 'TaskFailedToStart',
      stoppedReason:
        'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried',
    },
    'SECRETS_UNAVAILABLE',
    false,
  ],
  // Environment files are fetched before the task starts (Fargate 1.4.0+); AWS documents the
  // ResourceInitializationError prefix ("fails to create or bootstrap the resources required to
  // start the container", stopped-task-error-codes.html) but not the wording for the files, so the
  // rest is a placeholder that names them.
  [
    'environment files that could not be fetched',
    {
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'ResourceInitializationError: <text about the env files>',
    },
    'SECRETS_UNAVAILABLE',
    false,
  ],
  // The documented example of a ResourceInitializationError that is neither (stopped-task-error-codes.html).
  [
    'a logging driver that could not start',
    {
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'ResourceInitializationError: failed to initialize logging driver: <reason>',
    },
    'TASK_FAILED_TO_START',
    true,
  ],
  // "InsufficientFreeAddressesInSubnet: The specified subnet does not contain enough free private
  // IP addresses to fulfill your request" ("Error codes for the Amazon EC2 API",
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). ECS's text around
  // the code is not documented, so it is a placeholder.
  [
    'a subnet out of addresses',
    { stopCode: 'TaskFailedToStart', stoppedReason: '<ECS text>: InsufficientFreeAddressesInSubnet' },
    'CAPACITY_UNAVAILABLE',
    true,
  ],
  [
    'a subnet out of addresses inside a ResourceInitializationError',
    {
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'ResourceInitializationError: <text> InsufficientFreeAddressesInSubnet <text>',
    },
    'CAPACITY_UNAVAILABLE',
    true,
  ],
  // The other documented prefixes (stopped-task-error-codes.html) keep the generic code.
  [
    'a container that could not be started',
    {
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'CannotStartContainerError: failed to get container status: <reason>',
    },
    'TASK_FAILED_TO_START',
    true,
  ],
  [
    'a runtime timeout',
    {
      stopCode: 'TaskFailedToStart',
      stoppedReason:
        'ContainerRuntimeTimeoutError: Could not transition to running; timed out after waiting 1m: <reason>',
    },
    'TASK_FAILED_TO_START',
    true,
  ],
  [
    'a task that stopped unasked with nothing said',
    { stopCode: 'EssentialContainerExited' },
    'TASK_FAILED_TO_START',
    true,
  ],
];

describe('startFailureOf', () => {
  it.each(cases)('classifies %s', (_name, task, code, retryable) => {
    expect(startFailureOf(task)).toMatchObject({ code, retryable });
  });

  it('gives a generic reason of its own, never ECS text', () => {
    const generic = new Set<string>(Object.values(START_FAILURE_REASONS));
    for (const [, task] of cases) {
      const { reason } = startFailureOf(task);
      expect(generic.has(reason)).toBe(true);
      expect(reason).not.toMatch(/111122223333|amazonaws\.com|Error:/);
    }
  });
});
