import {
  AccessDeniedException,
  DescribeTasksCommand,
  InvalidParameterException,
  ListTasksCommand,
  RunTaskCommand,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Instrumentation } from '#adapters/instrumentation.ts';
import { createInstrumentation } from '#adapters/lambda-instrumentation.ts';
import { loadOverlays, type OverlayTable } from '#config/overlays.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { clientTokenFor } from '#core/plan-launch.ts';
import { createProvisionHandler } from '#functions/provision/create-handler.ts';
import { LaunchRetriesSpentError } from '#functions/provision/errors.ts';
import { WorkspaceBusyError } from '#policies/errors.ts';
import {
  CLUSTER_ARN,
  ec2WithMock,
  ecsWithMock,
  envelope,
  eventBridgeWithMock,
  FakeClock,
  InMemoryPersistenceLayer,
  InMemoryProvisionRequestStore,
  InMemoryWorkspaceFiles,
  InMemoryWorkspaceLeaseStore,
  InMemoryWorkspaceRecordStore,
  lambdaContext,
  metricTotal,
  quietInstrumentation,
  rejectedPaths,
  SETTINGS,
  sentEvents,
  serviceError,
  taskArnOf,
  taskDefinitionArnOf,
  testCatalog,
  untemplatedOverlays,
} from './harness.ts';

const WORKSPACE = '3f1c2a9e-7a4d-4c1e-9b1a-0d2c5e6f7a8b';
const IMAGE_REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

const request = (overrides: Record<string, unknown> = {}) => ({
  requestId: 'req-1',
  workspaceId: WORKSPACE,
  orgId: 'org_42',
  runtime: 'codex',
  ...overrides,
});

const launchedTask = (id: string) => ({
  tasks: [{ taskArn: taskArnOf(id), clusterArn: CLUSTER_ARN, lastStatus: 'PROVISIONING' }],
  failures: [],
});

const capacityFailure = {
  tasks: [],
  failures: [
    {
      arn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/x',
      reason:
        'Capacity is unavailable at this time. Please try again later or in a different availability zone.',
    },
  ],
};

function setup(
  options: { timeoutMs?: number; instrumentation?: Instrumentation; overlays?: OverlayTable } = {},
) {
  const clock = new FakeClock();
  const { ecs, ecsMock } = ecsWithMock();
  const { eventBridge, eventBridgeMock } = eventBridgeWithMock();
  ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
  ecsMock.on(DescribeTasksCommand).resolves({ tasks: [], failures: [] });
  ecsMock.on(RunTaskCommand).resolves(launchedTask('t-1'));
  const workspaceLeases = new InMemoryWorkspaceLeaseStore(clock);
  const idempotencyStore = new InMemoryPersistenceLayer();
  const instrumentation = quietInstrumentation();
  const catalog = testCatalog();
  const workspaceRecords = new InMemoryWorkspaceRecordStore();
  const handler = createProvisionHandler(
    {
      ecs,
      ec2: ec2WithMock().ec2,
      eventBridge,
      idempotencyStore,
      provisionRequests: new InMemoryProvisionRequestStore(),
      workspaceRecords,
      workspaceFiles: new InMemoryWorkspaceFiles(),
      overlays: options.overlays ?? loadOverlays(),
      workspaceLeases,
      catalog,
      settings: SETTINGS,
      clock,
      random: () => 0.5,
    },
    { instrumentation: options.instrumentation ?? instrumentation },
  );
  const invoke = (detail: unknown, overrides: Record<string, unknown> = {}) =>
    handler(
      envelope(DETAIL_TYPES.provisionRequested, detail, overrides),
      lambdaContext(clock, options.timeoutMs ?? 60_000),
    );
  return {
    clock,
    ecsMock,
    eventBridgeMock,
    workspaceLeases,
    idempotencyStore,
    instrumentation,
    catalog,
    handler,
    invoke,
    workspaceRecords,
  };
}

const runTaskInputs = (ecsMock: ReturnType<typeof setup>['ecsMock']): RunTaskCommandInput[] =>
  ecsMock.commandCalls(RunTaskCommand).map((call) => call.args[0].input);

beforeEach(() => {
  vi.unstubAllEnvs();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('provision: launching', () => {
  it('launches both kinds from the same per-runtime image', async () => {
    // Both kinds launch at once here; the platform template's round trip is the assets-staged tests'.
    const { invoke, ecsMock, eventBridgeMock } = setup({ overlays: untemplatedOverlays() });
    ecsMock.on(RunTaskCommand).resolvesOnce(launchedTask('t-ws')).resolvesOnce(launchedTask('t-platform'));

    await invoke(request({ requestId: 'req-ws', workspaceId: 'ws-a', kind: 'workspace' }));
    await invoke(request({ requestId: 'req-platform', workspaceId: 'ws-b', kind: 'platform' }));

    const inputs = runTaskInputs(ecsMock);
    expect(inputs).toHaveLength(2);
    expect(inputs.map((input) => input.taskDefinition)).toEqual(['workspace-codex', 'workspace-codex']);
    for (const input of inputs) {
      // The image comes from the task definition; no override can swap it per kind.
      expect(JSON.stringify(input.overrides)).not.toContain('image');
    }
    const launched = sentEvents(eventBridgeMock).filter(
      (event) => event.detailType === DETAIL_TYPES.taskLaunched,
    );
    expect(launched.map((event) => event.detail.kind)).toEqual(['workspace', 'platform']);
    expect(new Set(launched.map((event) => event.detail.image))).toEqual(
      new Set([`${IMAGE_REGISTRY}/workspace-template-codex:v42`]),
    );
  });

  it('runs RunTask with the plan: client token, startedBy, tags, networking and tier sizing', async () => {
    const { invoke, ecsMock } = setup({ overlays: untemplatedOverlays() });

    await invoke(request({ tier: 3, kind: 'platform', env: { LOG_LEVEL: 'debug' } }));

    expect(ecsMock).toHaveReceivedCommandWith(RunTaskCommand, {
      cluster: CLUSTER_ARN,
      taskDefinition: 'workspace-codex',
      launchType: 'FARGATE',
      count: 1,
      clientToken: clientTokenFor(WORKSPACE, 'req-1'),
      startedBy: WORKSPACE,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-a', 'subnet-b'],
          securityGroups: ['sg-1'],
          assignPublicIp: 'DISABLED',
        },
      },
    });
    const [input] = runTaskInputs(ecsMock);
    expect(input?.tags).toEqual([
      { key: 'workspace-id', value: WORKSPACE },
      { key: 'org-id', value: 'org_42' },
      { key: 'kind', value: 'platform' },
      { key: 'runtime', value: 'codex' },
      { key: 'request-id', value: 'req-1' },
    ]);
    expect(input?.overrides).toMatchObject({ cpu: '1024', memory: '2048' });
    expect(input?.overrides?.containerOverrides?.[0]?.environment).toContainEqual({
      name: 'LOG_LEVEL',
      value: 'debug',
    });
  });

  it('emits Workspace Task Launched with the image, sizing, cluster, tier and kind', async () => {
    // v1.1: a request with a template waits for its assets; the launched event's `template` is
    // asserted where that request launches (test/unit/handlers/assets-staged.test.ts).
    const { invoke, eventBridgeMock } = setup();

    const result = await invoke(request({ tier: 1 }));

    expect(result).toEqual({ outcome: 'launched', taskArn: taskArnOf('t-1'), alreadyRunning: false });
    const [event] = sentEvents(eventBridgeMock);
    expect(event).toEqual({
      detailType: DETAIL_TYPES.taskLaunched,
      source: 'platform.provisioner',
      eventBusName: 'workspaces',
      resources: [taskArnOf('t-1')],
      detail: {
        requestId: 'req-1',
        workspaceId: WORKSPACE,
        orgId: 'org_42',
        runtime: 'codex',
        kind: 'workspace',
        tier: 1,
        image: `${IMAGE_REGISTRY}/workspace-template-codex:v42`,
        taskArn: taskArnOf('t-1'),
        clusterArn: CLUSTER_ARN,
        cpu: 256,
        memory: 512,
      },
    });
  });

  it('records the workspace provisioning its request, then names the task it launched (v1.2)', async () => {
    const { invoke, workspaceRecords } = setup();

    await invoke(request({ tier: 1 }));

    expect(await workspaceRecords.get(WORKSPACE)).toMatchObject({
      workspaceId: WORKSPACE,
      state: 'provisioning',
      taskArn: taskArnOf('t-1'),
      request: { requestId: 'req-1', recovery: 'on-failure' },
      recoveries: [],
      generation: 2,
    });
  });

  it('counts the launch in metrics', async () => {
    const { invoke, instrumentation } = setup();
    await invoke(request());
    expect(metricTotal(instrumentation.emittedMetrics(), 'TaskLaunched')).toBe(1);
  });
});

describe('provision: duplicates and one live task per workspace', () => {
  it('makes exactly one RunTask call for a repeated requestId', async () => {
    const { invoke, ecsMock, eventBridgeMock, instrumentation } = setup();

    const first = await invoke(request());
    // A producer's re-send: a new envelope id, the same requestId.
    const second = await invoke(request());

    expect(ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 1);
    expect(second).toEqual(first);
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(metricTotal(instrumentation.emittedMetrics(), 'IdempotentReplay')).toBe(1);
  });

  it('reports Provision Failed, not Launched, when its client token replays a task that never ran', async () => {
    const { invoke, ecsMock, eventBridgeMock } = setup();
    // An invocation cut short after RunTask, retried after that task failed to start: ECS answers
    // the token's task in its current state.
    ecsMock.on(RunTaskCommand).resolves({
      tasks: [
        {
          taskArn: taskArnOf('t-1'),
          clusterArn: CLUSTER_ARN,
          lastStatus: 'STOPPED',
          desiredStatus: 'STOPPED',
          stopCode: 'TaskFailedToStart',
          stoppedReason: 'Task failed to start',
        },
      ],
      failures: [],
    });

    await invoke(request());

    expect(sentEvents(eventBridgeMock).map(({ detailType, detail }) => [detailType, detail.taskArn])).toEqual(
      [[DETAIL_TYPES.provisionFailed, taskArnOf('t-1')]],
    );
    expect(ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 1);
  });

  it('blocks a second launch while the workspace has a live task from another request', async () => {
    const { invoke, ecsMock, eventBridgeMock } = setup();
    ecsMock.on(ListTasksCommand, { startedBy: WORKSPACE }).resolves({ taskArns: [taskArnOf('t-live')] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: taskArnOf('t-live'),
          clusterArn: CLUSTER_ARN,
          lastStatus: 'RUNNING',
          desiredStatus: 'RUNNING',
          startedBy: WORKSPACE,
          taskDefinitionArn: taskDefinitionArnOf('codex', 3),
          cpu: '512',
          memory: '1024',
          containers: [{ name: 'workspace', image: `${IMAGE_REGISTRY}/workspace-template-codex:v41` }],
          tags: [
            { key: 'request-id', value: 'req-older' },
            { key: 'kind', value: 'workspace' },
            { key: 'org-id', value: 'org_42' },
          ],
        },
      ],
    });

    const result = await invoke(request({ requestId: 'req-2', tier: 4 }));

    expect(ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 0);
    expect(ecsMock).toHaveReceivedCommandWith(ListTasksCommand, {
      cluster: CLUSTER_ARN,
      startedBy: WORKSPACE,
    });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeTasksCommand, { include: ['TAGS'] });
    expect(result).toEqual({ outcome: 'launched', taskArn: taskArnOf('t-live'), alreadyRunning: true });
    const [event] = sentEvents(eventBridgeMock);
    expect(event?.detailType).toBe(DETAIL_TYPES.taskLaunched);
    expect(event?.detail).toMatchObject({
      requestId: 'req-2',
      taskArn: taskArnOf('t-live'),
      alreadyRunning: true,
      // The running task's own facts, not the new request's.
      image: `${IMAGE_REGISTRY}/workspace-template-codex:v41`,
      cpu: 512,
      memory: 1024,
    });
  });

  it('reports again the live task of the same request, without alreadyRunning', async () => {
    const { invoke, ecsMock, eventBridgeMock } = setup();
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [taskArnOf('t-mine')] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: taskArnOf('t-mine'),
          lastStatus: 'PENDING',
          desiredStatus: 'RUNNING',
          startedBy: WORKSPACE,
          tags: [{ key: 'request-id', value: 'req-1' }],
        },
      ],
    });

    const result = await invoke(request());

    expect(ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 0);
    expect(result).toEqual({ outcome: 'launched', taskArn: taskArnOf('t-mine'), alreadyRunning: false });
    expect(sentEvents(eventBridgeMock)[0]?.detail).not.toHaveProperty('alreadyRunning');
  });

  it('ignores stopped tasks and other workspaces when looking for a live task', async () => {
    const { invoke, ecsMock } = setup();
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [taskArnOf('t-stopping'), taskArnOf('t-other')] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: taskArnOf('t-stopping'),
          lastStatus: 'DEPROVISIONING',
          desiredStatus: 'STOPPED',
          startedBy: WORKSPACE,
          tags: [],
        },
        {
          taskArn: taskArnOf('t-other'),
          lastStatus: 'RUNNING',
          desiredStatus: 'RUNNING',
          startedBy: 'another-workspace',
          tags: [],
        },
      ],
    });

    await invoke(request());

    expect(ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 1);
  });

  it('treats a task launched moments ago that ListTasks does not show yet as live', async () => {
    const { invoke, ecsMock, workspaceLeases, clock } = setup();
    await workspaceLeases.recordLaunch({
      workspaceId: WORKSPACE,
      requestId: 'req-earlier',
      taskArn: taskArnOf('t-new'),
      launchedAt: clock.now() - 2_000,
    });
    // Eventually consistent: neither ListTasks nor DescribeTasks knows the task yet.
    ecsMock
      .on(DescribeTasksCommand)
      .resolves({ tasks: [], failures: [{ arn: taskArnOf('t-new'), reason: 'MISSING' }] });

    const result = await invoke(request({ requestId: 'req-later' }));

    expect(ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 0);
    expect(result).toEqual({ outcome: 'launched', taskArn: taskArnOf('t-new'), alreadyRunning: true });
  });

  it('waits for a racing request to release the workspace, then sees its task', async () => {
    const { invoke, ecsMock, workspaceLeases, clock } = setup();
    await workspaceLeases.acquire(WORKSPACE, 'req-racing', 3_000);
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [taskArnOf('t-racing')] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: taskArnOf('t-racing'),
          lastStatus: 'PROVISIONING',
          desiredStatus: 'RUNNING',
          startedBy: WORKSPACE,
          tags: [{ key: 'request-id', value: 'req-racing' }],
        },
      ],
    });

    const result = await invoke(request({ requestId: 'req-mine' }));

    expect(clock.sleeps.length).toBeGreaterThan(0);
    expect(ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 0);
    expect(result).toMatchObject({ alreadyRunning: true, taskArn: taskArnOf('t-racing') });
    expect(workspaceLeases.leases.has(WORKSPACE)).toBe(false);
  });

  it('throws a retryable error when the workspace stays busy past the time budget', async () => {
    const { invoke, ecsMock, workspaceLeases } = setup({ timeoutMs: 15_000 });
    await workspaceLeases.acquire(WORKSPACE, 'req-racing', 600_000);

    await expect(invoke(request({ requestId: 'req-mine' }))).rejects.toBeInstanceOf(WorkspaceBusyError);
    expect(ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 0);
  });

  it('releases the lease and keeps the idempotency record open for a retry when the launch throws', async () => {
    const { invoke, ecsMock, workspaceLeases, idempotencyStore } = setup();
    ecsMock.on(RunTaskCommand).resolves(capacityFailure);

    await expect(invoke(request())).rejects.toBeInstanceOf(LaunchRetriesSpentError);

    expect(workspaceLeases.leases.size).toBe(0);
    expect(idempotencyStore.records.size).toBe(0);
  });
});

describe('provision: retries', () => {
  it('retries capacity failures[] with jittered backoff, then throws CAPACITY_UNAVAILABLE for the platform', async () => {
    const { invoke, ecsMock, clock, eventBridgeMock, instrumentation } = setup({ timeoutMs: 60_000 });
    ecsMock.on(RunTaskCommand).resolves(capacityFailure);

    const outcome = invoke(request());

    await expect(outcome).rejects.toThrow(/^CAPACITY_UNAVAILABLE: /);
    const calls = ecsMock.commandCalls(RunTaskCommand).length;
    expect(calls).toBeGreaterThan(3);
    // Full jitter with random() = 0.5: half of each capped exponential ceiling.
    expect(clock.sleeps.slice(0, 4)).toEqual([125, 250, 500, 1000]);
    expect(clock.sleeps.every((ms) => ms <= 4_000)).toBe(true);
    // failures[] certainly started no task, so each retry moves to the request's next deterministic
    // token: a replayed failure cannot pin the retries, and a re-run of the invocation walks the same tokens.
    const detail = request();
    expect(runTaskInputs(ecsMock).map((input) => input.clientToken)).toEqual(
      Array.from({ length: calls }, (_, generation) =>
        clientTokenFor(detail.workspaceId, detail.requestId, generation),
      ),
    );
    // Nothing is emitted yet: the platform retries, and the failure reporter emits at the end.
    expect(sentEvents(eventBridgeMock)).toEqual([]);
    const metrics = instrumentation.emittedMetrics();
    expect(metricTotal(metrics, 'RunTaskRetried', { code: 'CAPACITY_UNAVAILABLE' })).toBe(calls - 1);
    expect(metricTotal(metrics, 'LaunchRetriesSpent', { code: 'CAPACITY_UNAVAILABLE' })).toBe(1);
  });

  it('stops retrying with the safety margin of the remaining time left', async () => {
    const { invoke, ecsMock, clock } = setup({ timeoutMs: 20_000 });
    ecsMock.on(RunTaskCommand).resolves(capacityFailure);
    const start = clock.now();

    await expect(invoke(request())).rejects.toBeInstanceOf(LaunchRetriesSpentError);

    expect(clock.now() - start).toBeLessThanOrEqual(20_000 - 10_000);
  });

  it('launches once capacity comes back', async () => {
    const { invoke, ecsMock } = setup();
    ecsMock
      .on(RunTaskCommand)
      .resolvesOnce(capacityFailure)
      .resolvesOnce(capacityFailure)
      .resolves(launchedTask('t-late'));

    const result = await invoke(request());

    expect(ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 3);
    expect(result).toMatchObject({ outcome: 'launched', taskArn: taskArnOf('t-late') });
  });

  it('retries both forms of throttling', async () => {
    const { invoke, ecsMock, instrumentation } = setup();
    ecsMock
      .on(RunTaskCommand)
      .rejectsOnce(serviceError('ThrottlingException', 'Rate exceeded'))
      .rejectsOnce(
        new InvalidParameterException({
          message:
            'Error retrieving subnet information for [subnet-a]: Rate exceeded (ErrorCode: Throttling)',
          $metadata: { httpStatusCode: 400 },
        }),
      )
      .resolves(launchedTask('t-after-throttle'));

    const result = await invoke(request());

    expect(ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 3);
    expect(result).toMatchObject({ outcome: 'launched', taskArn: taskArnOf('t-after-throttle') });
    expect(metricTotal(instrumentation.emittedMetrics(), 'RunTaskRetried', { code: 'THROTTLED' })).toBe(2);
  });

  // EC2's RequestLimitExceeded (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html)
  // inside RunTask's error is throttling too; AWS documents the code, not ECS's words around it.
  it('retries EC2 RequestLimitExceeded inside an InvalidParameterException or a ClientException', async () => {
    const { invoke, ecsMock, instrumentation } = setup();
    ecsMock
      .on(RunTaskCommand)
      .rejectsOnce(
        new InvalidParameterException({
          message: '<ECS text>: RequestLimitExceeded',
          $metadata: { httpStatusCode: 400 },
        }),
      )
      .rejectsOnce(serviceError('ClientException', '<ECS text>: RequestLimitExceeded'))
      .resolves(launchedTask('t-after-ec2-throttle'));

    const result = await invoke(request());

    expect(ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 3);
    expect(result).toMatchObject({ outcome: 'launched', taskArn: taskArnOf('t-after-ec2-throttle') });
    expect(metricTotal(instrumentation.emittedMetrics(), 'RunTaskRetried', { code: 'THROTTLED' })).toBe(2);
  });

  it('throws THROTTLED when throttling outlasts the invocation', async () => {
    const { invoke, ecsMock } = setup({ timeoutMs: 15_000 });
    ecsMock.on(RunTaskCommand).rejects(serviceError('ThrottlingException', 'Rate exceeded'));

    await expect(invoke(request())).rejects.toThrow(/^THROTTLED: /);
  });

  it('emits Provision Failed and returns normally for a final failure, without retrying', async () => {
    const { invoke, ecsMock, eventBridgeMock, instrumentation } = setup();
    ecsMock.on(RunTaskCommand).rejects(
      new AccessDeniedException({
        message: 'User: arn:aws:sts::123456789012:assumed-role/x is not authorized',
        $metadata: {},
      }),
    );

    const result = await invoke(request());

    expect(result).toEqual({ outcome: 'failed', code: 'LAUNCH_FAILED' });
    expect(ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 1);
    const [event] = sentEvents(eventBridgeMock);
    expect(event?.detailType).toBe(DETAIL_TYPES.provisionFailed);
    expect(event?.detail).toMatchObject({
      requestId: 'req-1',
      workspaceId: WORKSPACE,
      code: 'LAUNCH_FAILED',
      retryable: false,
    });
    // Never the raw AWS error body (account ids, role names).
    expect(JSON.stringify(event?.detail)).not.toContain('123456789012');
    expect(metricTotal(instrumentation.emittedMetrics(), 'ProvisionFailed', { code: 'LAUNCH_FAILED' })).toBe(
      1,
    );
  });
});

describe('provision: bad requests', () => {
  const rejections: ReadonlyArray<[string, unknown, string[]]> = [
    ['an unknown runtime', request({ runtime: 'cobol' }), ['runtime']],
    [
      'a missing workspaceId and a bad tier',
      request({ workspaceId: undefined, tier: 9 }),
      ['workspaceId', 'tier'],
    ],
    ['an unknown field', request({ runtme: 'codex' }), ['runtme']],
    ['a reserved env name', request({ env: { AWS_REGION: 'eu-west-1' } }), ['env.AWS_REGION']],
    ['a detail that is not an object', 'codex please', ['(root)']],
    // Within the contract's 4 KiB, but JSON escaping takes the overrides past ECS's 8,192 characters.
    ['overrides over ECS budget', request({ env: { NOTES: '\u0001'.repeat(1500) } }), ['env']],
  ];

  it.each(rejections)('rejects %s without throwing', async (_name, detail, paths) => {
    const { invoke, ecsMock, eventBridgeMock, instrumentation } = setup();
    const event = envelope(DETAIL_TYPES.provisionRequested, detail);

    const result = await invoke(detail, { id: event.id });

    expect(result).toMatchObject({ outcome: 'rejected' });
    expect(ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 0);
    const [rejected] = sentEvents(eventBridgeMock);
    expect(rejected?.detailType).toBe(DETAIL_TYPES.provisionRejected);
    expect(rejected?.detail).toMatchObject({
      rejectedEventId: event.id,
      rejectedDetailType: DETAIL_TYPES.provisionRequested,
    });
    const errors = rejected?.detail.errors as Array<{ path: string; message: string }>;
    expect(errors.map((error) => error.path).sort()).toEqual([...paths].sort());
    expect(errors.every((error) => error.message.length > 0)).toBe(true);
    expect(metricTotal(instrumentation.emittedMetrics(), 'ProvisionRejected')).toBe(1);
  });

  it('throws RejectionNotPublishedError when the rejection cannot be published, so the DLQ keeps the request', async () => {
    const { invoke, ecsMock, eventBridgeMock } = setup();
    eventBridgeMock.on(PutEventsCommand).rejects(serviceError('InternalException', 'boom', 500));

    await expect(invoke(request({ runtime: 'cobol' }))).rejects.toMatchObject({
      name: 'RejectionNotPublishedError',
    });
    expect(ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 0);
  });

  it('names the requestId and workspaceId of a rejected request where they are readable', async () => {
    const { invoke, eventBridgeMock } = setup();
    await invoke(request({ runtime: 'cobol' }));
    expect(sentEvents(eventBridgeMock)[0]?.detail).toMatchObject({
      requestId: 'req-1',
      workspaceId: WORKSPACE,
    });
  });

  it('rejects an envelope that is not an EventBridge event', async () => {
    const { invoke, eventBridgeMock } = setup();
    await expect(invoke(request(), { time: 'yesterday' })).resolves.toMatchObject({ outcome: 'rejected' });
    expect(rejectedPaths(sentEvents(eventBridgeMock)[0])).toEqual(['envelope.time']);
  });

  it('does not hold a rejection against a corrected request with the same requestId', async () => {
    const { invoke, ecsMock } = setup();
    await invoke(request({ runtime: 'cobol' }));
    const result = await invoke(request({ runtime: 'codex' }));
    expect(result).toMatchObject({ outcome: 'launched' });
    expect(ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 1);
  });
});

describe('provision: logging', () => {
  it('logs with the requestId as correlation id and never logs env values', async () => {
    vi.stubEnv('POWERTOOLS_DEV', 'true');
    // The production instrumentation, at its most talkative.
    const { invoke } = setup({
      instrumentation: createInstrumentation({ serviceName: 'provision', logLevel: 'DEBUG' }),
    });
    const lines: string[] = [];
    for (const method of ['info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((line: unknown) => {
        lines.push(String(line));
      });
    }

    await invoke(request({ env: { API_HINT: 'do-not-log-this-value' } }));
    await invoke(
      request({ requestId: 'req-bad', runtime: 'cobol', env: { API_HINT: 'do-not-log-this-either' } }),
    );

    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain('do-not-log-this');
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.some((entry) => entry.correlation_id === 'req-1')).toBe(true);
    expect(entries.some((entry) => entry.correlation_id === 'req-bad')).toBe(true);
  });
});

describe('provision: a requestId used again', () => {
  it('answers the same request again silently, from its record, launching nothing more', async () => {
    const { invoke, ecsMock, eventBridgeMock, instrumentation } = setup({ overlays: untemplatedOverlays() });
    await invoke(request({ kind: 'platform' }));
    // Another envelope (a producer's re-send gets a new id), and the defaults spelled out.
    const again = await invoke(request({ kind: 'platform', tier: 2 }), { id: 'resent-envelope' });

    expect(again).toEqual({ outcome: 'launched', taskArn: taskArnOf('t-1'), alreadyRunning: false });
    expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(1);
    expect(sentEvents(eventBridgeMock).map((event) => event.detailType)).toEqual([DETAIL_TYPES.taskLaunched]);
    expect(metricTotal(instrumentation.emittedMetrics(), 'IdempotentReplay')).toBe(1);
  });

  it('rejects a different request under a used requestId, naming requestId, and keeps the first record', async () => {
    const { invoke, ecsMock, eventBridgeMock } = setup();
    await invoke(request({ runtime: 'codex' }));

    const other = await invoke(request({ runtime: 'claude-code' }), { id: 'other-envelope' });

    expect(other).toEqual({ outcome: 'rejected', errors: 1 });
    expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(1);
    const rejection = sentEvents(eventBridgeMock)[1];
    expect(rejection?.detailType).toBe(DETAIL_TYPES.provisionRejected);
    expect(rejection?.detail).toEqual({
      requestId: 'req-1',
      workspaceId: WORKSPACE,
      rejectedEventId: 'other-envelope',
      rejectedDetailType: DETAIL_TYPES.provisionRequested,
      errors: [
        {
          path: 'requestId',
          message: expect.stringContaining('requestId "req-1" was already used for a different request'),
        },
      ],
    });

    // The first request's record survived the mismatch: its replay is still silent.
    const replay = await invoke(request({ runtime: 'codex' }), { id: 'third-envelope' });
    expect(replay).toEqual({ outcome: 'launched', taskArn: taskArnOf('t-1'), alreadyRunning: false });
    expect(sentEvents(eventBridgeMock)).toHaveLength(2);
    expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(1);
  });
});
