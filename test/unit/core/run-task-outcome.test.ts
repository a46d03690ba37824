import { describe, expect, it } from 'vitest';
import {
  classifyRunTaskError,
  classifyRunTaskResponse,
  type RunTaskOutcome,
} from '#core/run-task-outcome.ts';

const awsError = (name: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 }, ...extra });

type Expected = Pick<RunTaskOutcome, 'kind'> & { code?: string };

describe('classifyRunTaskResponse', () => {
  const cases: ReadonlyArray<[string, Parameters<typeof classifyRunTaskResponse>[0], Expected]> = [
    [
      'a started task',
      { tasks: [{ taskArn: 'arn:task/1', clusterArn: 'arn:cluster' }], failures: [] },
      { kind: 'launched' },
    ],
    [
      'Fargate capacity in failures[] of an HTTP 200',
      {
        tasks: [],
        failures: [
          {
            reason:
              'Capacity is unavailable at this time. Please try again later or in a different availability zone.',
          },
        ],
      },
      { kind: 'retryable', code: 'CAPACITY_UNAVAILABLE' },
    ],
    [
      'EC2 resource shortage in failures[]',
      { failures: [{ reason: 'RESOURCE:MEMORY' }] },
      { kind: 'retryable', code: 'CAPACITY_UNAVAILABLE' },
    ],
    [
      'a rate limit in failures[]',
      { failures: [{ reason: 'Rate exceeded' }] },
      { kind: 'retryable', code: 'THROTTLED' },
    ],
    [
      'the concurrent task limit',
      { failures: [{ reason: "You've reached the limit on the number of tasks you can run concurrently" }] },
      { kind: 'retryable', code: 'CAPACITY_UNAVAILABLE' },
    ],
    [
      'a missing attribute in failures[]',
      { failures: [{ reason: 'ATTRIBUTE', detail: 'requires attribute x' }] },
      { kind: 'final', code: 'LAUNCH_FAILED' },
    ],
    ['an empty answer', {}, { kind: 'final', code: 'LAUNCH_FAILED' }],
    // A retry with the same client token and parameters "returns the result of the original request"
    // (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/ECS_Idempotency.html): the task it
    // started, in its current state. Stop codes: API_Task `stopCode`
    // (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html).
    [
      'a replayed token whose task failed to start',
      {
        tasks: [{ taskArn: 'arn:task/1', lastStatus: 'STOPPED', stopCode: 'TaskFailedToStart' }],
        failures: [],
      },
      { kind: 'final', code: 'TASK_FAILED_TO_START' },
    ],
    [
      'a replayed token whose task stopped without ever being started, unasked',
      { tasks: [{ taskArn: 'arn:task/1', lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited' }] },
      { kind: 'final', code: 'TASK_FAILED_TO_START' },
    ],
    [
      'a replayed token whose task ran, then stopped',
      {
        tasks: [
          {
            taskArn: 'arn:task/1',
            lastStatus: 'STOPPED',
            stopCode: 'EssentialContainerExited',
            startedAt: new Date(0),
          },
        ],
      },
      { kind: 'launched' },
    ],
    [
      'a replayed token whose task was stopped on request before it ran',
      { tasks: [{ taskArn: 'arn:task/1', lastStatus: 'STOPPED', stopCode: 'UserInitiated' }] },
      { kind: 'launched' },
    ],
    [
      'a replayed token whose task is still starting',
      { tasks: [{ taskArn: 'arn:task/1', lastStatus: 'PENDING' }] },
      { kind: 'launched' },
    ],
  ];
  it.each(cases)('classifies %s', (_name, response, expected) => {
    expect(classifyRunTaskResponse(response)).toMatchObject(expected);
  });

  it('names the task a replayed token started when it never ran', () => {
    expect(
      classifyRunTaskResponse({
        tasks: [{ taskArn: 'arn:task/1', lastStatus: 'STOPPED', stopCode: 'TaskFailedToStart' }],
      }),
    ).toEqual({
      kind: 'final',
      code: 'TASK_FAILED_TO_START',
      reason: 'the task stopped before it ever ran',
      taskArn: 'arn:task/1',
    });
  });

  it('knows capacity failures[] started no task', () => {
    expect(classifyRunTaskResponse({ failures: [{ reason: 'RESOURCE:CPU' }] })).toMatchObject({
      startedNoTask: true,
    });
  });

  it('never puts the raw failure text in the reason', () => {
    const outcome = classifyRunTaskResponse({
      failures: [{ arn: 'arn:aws:ecs:us-east-1:123456789012:x', reason: 'MISSING' }],
    });
    expect(outcome.kind === 'launched' ? '' : outcome.reason).not.toMatch(/123456789012|MISSING/);
  });
});

describe('classifyRunTaskError', () => {
  const cases: ReadonlyArray<[string, unknown, Expected]> = [
    [
      'ThrottlingException',
      awsError('ThrottlingException', 'Rate exceeded'),
      { kind: 'retryable', code: 'THROTTLED' },
    ],
    [
      'InvalidParameterException carrying "Rate exceeded"',
      awsError(
        'InvalidParameterException',
        'Error retrieving subnet information for [subnet-1]: Rate exceeded (ErrorCode: Throttling)',
      ),
      { kind: 'retryable', code: 'THROTTLED' },
    ],
    // EC2 answers a throttled call with the error code RequestLimitExceeded
    // (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html; "Server error codes"
    // in https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). ECS's calls
    // to EC2 for the task's network interface can fail that way and RunTask passes the code on
    // inside an InvalidParameterException or a ClientException. AWS documents the code, not the
    // text around it, so the messages here are the code alone and the code inside placeholder words.
    [
      'InvalidParameterException carrying EC2 RequestLimitExceeded',
      awsError('InvalidParameterException', 'RequestLimitExceeded'),
      { kind: 'retryable', code: 'THROTTLED' },
    ],
    [
      'InvalidParameterException with RequestLimitExceeded inside a longer message',
      awsError('InvalidParameterException', '<ECS text> (RequestLimitExceeded) <more text>'),
      { kind: 'retryable', code: 'THROTTLED' },
    ],
    [
      'ClientException carrying EC2 RequestLimitExceeded (not the capacity limit it also mentions)',
      awsError('ClientException', '<ECS text>: RequestLimitExceeded'),
      { kind: 'retryable', code: 'THROTTLED' },
    ],
    [
      'an HTTP 429',
      Object.assign(new Error('slow down'), { name: 'SomethingNew', $metadata: { httpStatusCode: 429 } }),
      { kind: 'retryable', code: 'THROTTLED' },
    ],
    [
      'a ClientException about provisioning capacity',
      awsError('ClientException', 'Cluster has too many tasks in PROVISIONING'),
      { kind: 'retryable', code: 'CAPACITY_UNAVAILABLE' },
    ],
    [
      'any other ClientException',
      awsError('ClientException', 'Unable to find task definition'),
      { kind: 'final', code: 'LAUNCH_FAILED' },
    ],
    [
      'an InvalidParameterException',
      awsError('InvalidParameterException', 'subnets can not be empty'),
      { kind: 'final', code: 'LAUNCH_FAILED' },
    ],
    [
      'AccessDeniedException',
      awsError('AccessDeniedException', 'not authorized'),
      { kind: 'final', code: 'LAUNCH_FAILED' },
    ],
    [
      'ClusterNotFoundException',
      awsError('ClusterNotFoundException', 'Cluster not found'),
      { kind: 'final', code: 'LAUNCH_FAILED' },
    ],
    [
      'ServerException',
      Object.assign(awsError('ServerException', 'boom'), { $metadata: { httpStatusCode: 500 } }),
      { kind: 'retryable', code: 'LAUNCH_FAILED' },
    ],
    [
      'a network reset',
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      { kind: 'retryable', code: 'LAUNCH_FAILED' },
    ],
    [
      'a ConflictException naming the task the token started',
      awsError('ConflictException', 'conflict', { resourceIds: ['arn:task/9'] }),
      { kind: 'launched' },
    ],
    [
      'a ConflictException with no task',
      awsError('ConflictException', 'conflict'),
      { kind: 'final', code: 'LAUNCH_FAILED' },
    ],
    ['anything unknown', new Error('what'), { kind: 'final', code: 'LAUNCH_FAILED' }],
    ['a thrown string', 'nope', { kind: 'final', code: 'LAUNCH_FAILED' }],
  ];
  it.each(cases)('classifies %s', (_name, error, expected) => {
    expect(classifyRunTaskError(error)).toMatchObject(expected);
  });

  it.each([
    ['a throttle', awsError('ThrottlingException', 'Rate exceeded'), true],
    ['a provisioning ClientException', awsError('ClientException', 'too many tasks in PROVISIONING'), true],
    [
      'a server error',
      Object.assign(awsError('ServerException', 'boom'), { $metadata: { httpStatusCode: 500 } }),
      false,
    ],
    ['a network reset', Object.assign(new Error('reset'), { code: 'ECONNRESET' }), false],
    ['an EC2 RequestLimitExceeded', awsError('ClientException', 'RequestLimitExceeded'), true],
  ])('knows whether %s certainly started no task', (_name, error, startedNoTask) => {
    expect(classifyRunTaskError(error)).toMatchObject({ kind: 'retryable', startedNoTask });
  });

  it('reports the existing task of a ConflictException as reused', () => {
    expect(classifyRunTaskError(awsError('ConflictException', 'c', { resourceIds: ['arn:task/9'] }))).toEqual(
      {
        kind: 'launched',
        taskArn: 'arn:task/9',
        reused: true,
      },
    );
  });

  it('never copies the AWS error body into the reason', () => {
    const outcome = classifyRunTaskError(
      awsError('AccessDeniedException', 'User arn:aws:iam::123456789012:role/x is not authorized'),
    );
    expect(outcome.kind === 'launched' ? '' : outcome.reason).not.toContain('123456789012');
  });
});
