import {
  ConflictException,
  DescribeTasksCommand,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { EcsTaskRunner, summarizeTask } from '#adapters/ecs-task-runner.ts';
import { planLaunch, withDataVolume } from '#core/plan-launch.ts';
import { volumeConfigurationFor } from '#core/workspace-data.ts';
import {
  CLUSTER_ARN,
  ecsWithMock,
  SETTINGS,
  serviceError,
  taskArnOf,
  taskDefinitionArnOf,
  testCatalog,
} from '../handlers/harness.ts';

const plan = planLaunch(
  {
    requestId: 'req-1',
    workspaceId: 'ws-1',
    orgId: 'org-1',
    runtime: 'codex',
    kind: 'workspace',
    tier: 2,
    recovery: 'on-failure',
  },
  testCatalog(),
  SETTINGS.launchTarget,
);

function setup() {
  const { ecs, ecsMock } = ecsWithMock();
  return { ecsMock, runner: new EcsTaskRunner(ecs, { cluster: CLUSTER_ARN }) };
}

describe('EcsTaskRunner.runTask', () => {
  it('sends the planned input and reports the launched task', async () => {
    const { runner, ecsMock } = setup();
    ecsMock
      .on(RunTaskCommand)
      .resolves({ tasks: [{ taskArn: taskArnOf('t-1'), clusterArn: CLUSTER_ARN }], failures: [] });

    await expect(runner.runTask(plan.runTaskInput)).resolves.toEqual({
      kind: 'launched',
      taskArn: taskArnOf('t-1'),
      clusterArn: CLUSTER_ARN,
      reused: false,
    });
    expect(ecsMock).toHaveReceivedCommandWith(RunTaskCommand, {
      clientToken: plan.runTaskInput.clientToken,
      startedBy: 'ws-1',
      taskDefinition: 'workspace-codex',
    });
  });

  const outcomes: ReadonlyArray<[string, () => unknown, { kind: string; code?: string }]> = [
    [
      'capacity failures[] in an HTTP 200',
      () => ({
        tasks: [],
        failures: [{ reason: 'Capacity is unavailable at this time. Please try again later.' }],
      }),
      { kind: 'retryable', code: 'CAPACITY_UNAVAILABLE' },
    ],
    [
      'a placement failure in failures[]',
      () => ({ tasks: [], failures: [{ reason: 'MISSING', arn: 'x' }] }),
      { kind: 'final', code: 'LAUNCH_FAILED' },
    ],
  ];
  it.each(outcomes)('classifies %s through the core', async (_name, response, expected) => {
    const { runner, ecsMock } = setup();
    ecsMock.on(RunTaskCommand).resolves(response() as never);
    await expect(runner.runTask(plan.runTaskInput)).resolves.toMatchObject(expected);
  });

  const errors: ReadonlyArray<[string, Error, { kind: string; code?: string }]> = [
    [
      'ThrottlingException',
      serviceError('ThrottlingException', 'Rate exceeded'),
      { kind: 'retryable', code: 'THROTTLED' },
    ],
    [
      'InvalidParameterException saying Rate exceeded',
      serviceError(
        'InvalidParameterException',
        'Error retrieving subnet information: Rate exceeded (ErrorCode: Throttling)',
      ),
      { kind: 'retryable', code: 'THROTTLED' },
    ],
    // EC2's throttling code (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html)
    // passed on inside a RunTask error; the text around it is a placeholder.
    [
      'ClientException carrying EC2 RequestLimitExceeded',
      serviceError('ClientException', '<ECS text>: RequestLimitExceeded'),
      { kind: 'retryable', code: 'THROTTLED' },
    ],
    [
      'a server error',
      serviceError('ServerException', 'internal', 500),
      { kind: 'retryable', code: 'LAUNCH_FAILED' },
    ],
    [
      'an access error',
      serviceError('AccessDeniedException', 'no'),
      { kind: 'final', code: 'LAUNCH_FAILED' },
    ],
  ];
  it.each(errors)('classifies %s through the core', async (_name, error, expected) => {
    const { runner, ecsMock } = setup();
    ecsMock.on(RunTaskCommand).rejects(error);
    await expect(runner.runTask(plan.runTaskInput)).resolves.toMatchObject(expected);
  });

  it("v1.3: sends a persistent workspace's data volume as RunTask's volumeConfigurations", async () => {
    const { ecsMock, runner } = setup();
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: taskArnOf('t-9'), clusterArn: CLUSTER_ARN }] });
    const configuration = volumeConfigurationFor(
      { sizeGiB: 20, path: '/workspace' },
      { snapshotId: 'snap-1', state: 'completed', sizeGiB: 25, startedAt: 1, tags: {} },
      { workspaceId: 'ws-1', orgId: 'org-1', kind: 'workspace', runtime: 'codex' },
      { roleArn: 'arn:aws:iam::123456789012:role/infra', dataTag: 'wp' },
    );
    await runner.runTask(withDataVolume(plan, configuration).runTaskInput);
    expect(ecsMock).toHaveReceivedCommandWith(RunTaskCommand, {
      volumeConfigurations: [
        {
          name: 'workspace-data',
          managedEBSVolume: expect.objectContaining({
            snapshotId: 'snap-1',
            sizeInGiB: 25,
            roleArn: 'arn:aws:iam::123456789012:role/infra',
            terminationPolicy: { deleteOnTermination: false },
            filesystemType: 'ext4',
          }),
        },
      ],
    });
    // An ephemeral workspace's RunTask names no volume at all.
    await runner.runTask(plan.runTaskInput);
    expect(ecsMock.commandCalls(RunTaskCommand)[1]?.args[0].input.volumeConfigurations).toBeUndefined();
  });

  it('treats a ConflictException naming the token task as that task, launched', async () => {
    const { runner, ecsMock } = setup();
    ecsMock
      .on(RunTaskCommand)
      .rejects(
        new ConflictException({ message: 'conflict', $metadata: {}, resourceIds: [taskArnOf('t-existing')] }),
      );
    await expect(runner.runTask(plan.runTaskInput)).resolves.toEqual({
      kind: 'launched',
      taskArn: taskArnOf('t-existing'),
      reused: true,
    });
  });
});

describe('EcsTaskRunner listing, describing and stopping', () => {
  it('lists by startedBy as the only filter and follows nextToken', async () => {
    const { runner, ecsMock } = setup();
    ecsMock
      .on(ListTasksCommand)
      .resolvesOnce({ taskArns: [taskArnOf('a')], nextToken: 'next' })
      .resolvesOnce({ taskArns: [taskArnOf('b')] });

    await expect(runner.listTaskArns({ startedBy: 'ws-1' })).resolves.toEqual([
      taskArnOf('a'),
      taskArnOf('b'),
    ]);
    expect(ecsMock).toHaveReceivedNthCommandWith(ListTasksCommand, 1, {
      cluster: CLUSTER_ARN,
      startedBy: 'ws-1',
    });
    expect(ecsMock).toHaveReceivedNthCommandWith(ListTasksCommand, 2, {
      cluster: CLUSTER_ARN,
      startedBy: 'ws-1',
      nextToken: 'next',
    });
    const [first] = ecsMock.commandCalls(ListTasksCommand);
    expect(Object.keys(first?.args[0].input ?? {}).sort()).toEqual(['cluster', 'startedBy']);
  });

  it('describes in batches of 100 with tags and reports the ARNs ECS did not return', async () => {
    const { runner, ecsMock } = setup();
    const arns = Array.from({ length: 205 }, (_, index) => taskArnOf(`t${index}`));
    ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.filter((arn) => arn !== taskArnOf('t7')).map((taskArn) => ({ taskArn })),
    }));

    const described = await runner.describeTasks(arns);

    expect(
      ecsMock.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input.tasks?.length),
    ).toEqual([100, 100, 5]);
    expect(ecsMock).toHaveReceivedCommandWith(DescribeTasksCommand, {
      cluster: CLUSTER_ARN,
      include: ['TAGS'],
    });
    expect(described.tasks).toHaveLength(204);
    expect(described.missing).toEqual([taskArnOf('t7')]);
  });

  it('stops a task with a reason cut to ECS limit', async () => {
    const { runner, ecsMock } = setup();
    ecsMock.on(StopTaskCommand).resolves({});
    await runner.stopTask(taskArnOf('a'), 'r'.repeat(300));
    expect(ecsMock).toHaveReceivedCommandWith(StopTaskCommand, {
      cluster: CLUSTER_ARN,
      task: taskArnOf('a'),
      reason: 'r'.repeat(255),
    });
  });

  it('summarizes a task with its family, sizing, tags and only the system environment', () => {
    const summary = summarizeTask({
      taskArn: taskArnOf('a'),
      taskDefinitionArn: taskDefinitionArnOf('codex', 4),
      cpu: '512',
      memory: '1024',
      startedBy: 'ws-1',
      containers: [{ name: 'workspace', image: 'img:1' }],
      tags: [{ key: 'request-id', value: 'req-1' }],
      overrides: {
        containerOverrides: [
          {
            name: 'workspace',
            environment: [
              { name: 'WORKSPACE_KIND', value: 'platform' },
              { name: 'TIER', value: '2' },
              { name: 'API_HINT', value: 'a request value' },
            ],
          },
        ],
      },
    });
    expect(summary).toMatchObject({
      family: 'workspace-codex',
      cpu: 512,
      memory: 1024,
      image: 'img:1',
      tags: { 'request-id': 'req-1' },
      systemEnvironment: { WORKSPACE_KIND: 'platform', TIER: '2' },
    });
    expect(JSON.stringify(summary)).not.toContain('a request value');
  });
});
