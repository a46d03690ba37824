import { DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { DescribeTasksCommand, ListTasksCommand, StopTaskCommand, type Task } from '@aws-sdk/client-ecs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { createTimeoutSweepHandler } from '#functions/timeout-sweep/create-handler.ts';
import { workspaceRecord } from '../../fixtures/workspace-records.ts';
import {
  acceptAll,
  CLUSTER_ARN,
  ec2WithMock,
  ecsWithMock,
  eventBridgeWithMock,
  FakeClock,
  InMemoryProvisionRequestStore,
  InMemoryWorkspaceRecordStore,
  lambdaContext,
  metricTotal,
  quietInstrumentation,
  SETTINGS,
  sentEvents,
  serviceError,
  taskArnOf,
  taskDefinitionArnOf,
  testCatalog,
} from './harness.ts';

const MINUTE = 60_000;
const scheduledEvent = {
  version: '0',
  id: 'schedule-1',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-03-01T12:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: {},
};

function setup() {
  const clock = new FakeClock();
  const { ecs, ecsMock } = ecsWithMock();
  const { eventBridge, eventBridgeMock } = eventBridgeWithMock();
  ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
  ecsMock.on(DescribeTasksCommand).resolves({ tasks: [] });
  ecsMock.on(StopTaskCommand).resolves({});
  // v1.3: no volume left behind, so no data save to resume.
  const { ec2, ec2Mock } = ec2WithMock();
  ec2Mock.on(DescribeVolumesCommand).resolves({ Volumes: [] });
  const instrumentation = quietInstrumentation();
  const provisionRequests = new InMemoryProvisionRequestStore();
  const workspaceRecords = new InMemoryWorkspaceRecordStore();
  const handler = createTimeoutSweepHandler(
    {
      ecs,
      ec2,
      eventBridge,
      catalog: testCatalog(),
      provisionRequests,
      workspaceRecords,
      settings: SETTINGS,
      clock,
    },
    { instrumentation },
  );
  const task = (
    id: string,
    runtime: string,
    lastStatus: string,
    ageMs: number,
    overrides: Partial<Task> = {},
  ): Task => ({
    taskArn: taskArnOf(id),
    clusterArn: CLUSTER_ARN,
    taskDefinitionArn: taskDefinitionArnOf(runtime),
    group: `family:workspace-${runtime}`,
    startedBy: `ws-${id}`,
    lastStatus,
    desiredStatus: 'RUNNING',
    createdAt: new Date(clock.now() - ageMs),
    tags: [
      { key: 'kind', value: 'platform' },
      { key: 'request-id', value: `req-${id}` },
    ],
    ...overrides,
  });
  const invoke = () => handler(scheduledEvent, lambdaContext(clock, 55_000));
  return {
    ecsMock,
    eventBridgeMock,
    instrumentation,
    invoke,
    task,
    clock,
    provisionRequests,
    workspaceRecords,
  };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('timeout sweep', () => {
  it('fails only the overdue tasks', async () => {
    const { invoke, ecsMock, eventBridgeMock, instrumentation, task } = setup();
    ecsMock.on(ListTasksCommand, { family: 'workspace-codex' }).resolves({
      taskArns: [taskArnOf('overdue'), taskArnOf('young'), taskArnOf('running')],
    });
    ecsMock
      .on(ListTasksCommand, { family: 'workspace-hermes' })
      .resolves({ taskArns: [taskArnOf('slow-runtime')] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        // codex allows 600 s.
        task('overdue', 'codex', 'PROVISIONING', 11 * MINUTE),
        task('young', 'codex', 'PENDING', 5 * MINUTE),
        task('running', 'codex', 'RUNNING', 60 * MINUTE, { startedAt: new Date() }),
        // hermes allows 1,800 s.
        task('slow-runtime', 'hermes', 'PENDING', 20 * MINUTE),
      ],
    });

    const result = await invoke();

    expect(result).toEqual({
      outcome: 'swept',
      checked: 4,
      timedOut: [taskArnOf('overdue')],
      stopFailed: [],
      assetsTimedOut: [],
      // No workspace records: nothing to reconcile.
      reconciled: { orphansStopped: [], lostRecovered: [] },
      // v1.3: no volume left behind (one DescribeVolumes), so no data save to resume.
      dataSaves: { snapshotted: [], finished: [], failed: [] },
    });
    expect(ecsMock).toHaveReceivedCommandTimes(StopTaskCommand, 1);
    expect(ecsMock).toHaveReceivedCommandWith(StopTaskCommand, {
      cluster: CLUSTER_ARN,
      task: taskArnOf('overdue'),
    });
    expect(sentEvents(eventBridgeMock)).toEqual([
      {
        detailType: DETAIL_TYPES.provisionFailed,
        source: 'platform.provisioner',
        eventBusName: 'workspaces',
        resources: [taskArnOf('overdue')],
        detail: {
          workspaceId: 'ws-overdue',
          requestId: 'req-overdue',
          code: 'PROVISION_TIMEOUT',
          reason: 'the task did not reach RUNNING within 600 seconds',
          retryable: true,
          runtime: 'codex',
          kind: 'platform',
          taskArn: taskArnOf('overdue'),
        },
      },
    ]);
    expect(
      metricTotal(instrumentation.emittedMetrics(), 'ProvisionFailed', { code: 'PROVISION_TIMEOUT' }),
    ).toBe(1);
  });

  it('lists each family with desired status RUNNING, never by startedBy', async () => {
    const { invoke, ecsMock } = setup();
    await invoke();
    for (const family of [
      'workspace-claude-code',
      'workspace-codex',
      'workspace-hermes',
      'workspace-openclaw',
    ]) {
      expect(ecsMock).toHaveReceivedCommandWith(ListTasksCommand, {
        cluster: CLUSTER_ARN,
        family,
        desiredStatus: 'RUNNING',
      });
    }
    expect(ecsMock).toHaveReceivedCommandTimes(DescribeTasksCommand, 0);
  });

  it('pages through ListTasks and describes in batches of 100', async () => {
    const { invoke, ecsMock, task } = setup();
    const ids = Array.from({ length: 230 }, (_, index) => `t${index}`);
    ecsMock
      .on(ListTasksCommand, { family: 'workspace-codex' })
      .resolvesOnce({ taskArns: ids.slice(0, 100).map(taskArnOf), nextToken: 'page-2' })
      .resolvesOnce({ taskArns: ids.slice(100, 200).map(taskArnOf), nextToken: 'page-3' })
      .resolvesOnce({ taskArns: ids.slice(200).map(taskArnOf) });
    ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.map((arn) => task(arn.split('/').pop() ?? '', 'codex', 'PENDING', 11 * MINUTE)),
    }));

    const result = await invoke();

    expect(ecsMock).toHaveReceivedCommandWith(ListTasksCommand, {
      family: 'workspace-codex',
      nextToken: 'page-2',
    });
    expect(ecsMock).toHaveReceivedCommandWith(ListTasksCommand, {
      family: 'workspace-codex',
      nextToken: 'page-3',
    });
    const batches = ecsMock
      .commandCalls(DescribeTasksCommand)
      .map((call) => call.args[0].input.tasks?.length);
    expect(batches).toEqual([100, 100, 30]);
    expect(ecsMock).toHaveReceivedCommandWith(DescribeTasksCommand, { include: ['TAGS'] });
    expect(result.timedOut).toHaveLength(230);
  });

  it('reports a task whose StopTask fails, leaves it to the next sweep, and still stops the others', async () => {
    const { invoke, ecsMock, eventBridgeMock, task } = setup();
    ecsMock
      .on(ListTasksCommand, { family: 'workspace-codex' })
      .resolves({ taskArns: [taskArnOf('a'), taskArnOf('b')] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        task('a', 'codex', 'PROVISIONING', 30 * MINUTE),
        task('b', 'codex', 'PROVISIONING', 30 * MINUTE),
      ],
    });
    ecsMock
      .on(StopTaskCommand, { task: taskArnOf('a') })
      .rejects(serviceError('ServerException', 'internal', 500));

    const result = await invoke();

    expect(result).toMatchObject({ timedOut: [taskArnOf('b')], stopFailed: [taskArnOf('a')] });
    expect(sentEvents(eventBridgeMock).map((event) => event.detail.taskArn)).toEqual([
      taskArnOf('a'),
      taskArnOf('b'),
    ]);
  });

  it('stops nothing when the report cannot be published, so the next sweep reports and stops it', async () => {
    const { invoke, ecsMock, eventBridgeMock, task } = setup();
    ecsMock.on(ListTasksCommand, { family: 'workspace-codex' }).resolves({ taskArns: [taskArnOf('a')] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [task('a', 'codex', 'PENDING', 30 * MINUTE)] });
    eventBridgeMock.on(PutEventsCommand).rejects(serviceError('InternalException', 'unavailable', 500));

    await expect(invoke()).rejects.toThrow();
    expect(eventBridgeMock).toHaveReceivedCommand(PutEventsCommand);
    expect(ecsMock).toHaveReceivedCommandTimes(StopTaskCommand, 0);

    eventBridgeMock.resetHistory();
    eventBridgeMock.on(PutEventsCommand).callsFake(acceptAll);
    const result = await invoke();

    expect(result).toMatchObject({ timedOut: [taskArnOf('a')], stopFailed: [] });
    expect(ecsMock).toHaveReceivedCommandTimes(StopTaskCommand, 1);
    expect(sentEvents(eventBridgeMock)).toEqual([
      expect.objectContaining({
        detailType: DETAIL_TYPES.provisionFailed,
        detail: expect.objectContaining({ code: 'PROVISION_TIMEOUT', taskArn: taskArnOf('a') }),
      }),
    ]);
  });
});

describe('timeout sweep: template assets that never came (v1.1)', () => {
  const awaiting = (requestId: string, deadline: number) => ({
    request: ProvisionRequestedDetail.parse({
      requestId,
      workspaceId: `ws-${requestId}`,
      orgId: 'org-1',
      runtime: 'codex',
      kind: 'platform',
    }),
    status: 'awaiting-assets' as const,
    recordedAt: deadline - 300_000,
    template: 'platform-agent',
    destination: `s3://workspace-files/staged/org-1/ws-${requestId}/${requestId}/`,
    assetsDeadline: deadline,
    secrets: [],
  });

  it('fails each request past its deadline with TEMPLATE_ASSETS_TIMEOUT, exactly once, and leaves the others', async () => {
    const { invoke, eventBridgeMock, provisionRequests, clock } = setup();
    await provisionRequests.create(awaiting('late', clock.now() - 1));
    await provisionRequests.create(awaiting('due', clock.now()));
    await provisionRequests.create(awaiting('early', clock.now() + 1));

    const first = await invoke();
    const second = await invoke();

    expect(first).toMatchObject({ assetsTimedOut: ['late', 'due'] });
    expect(second).toMatchObject({ assetsTimedOut: [] });
    const failed = sentEvents(eventBridgeMock).filter(
      (event) => event.detailType === DETAIL_TYPES.provisionFailed,
    );
    expect(failed.map((event) => [event.detail.requestId, event.detail.code])).toEqual([
      ['late', 'TEMPLATE_ASSETS_TIMEOUT'],
      ['due', 'TEMPLATE_ASSETS_TIMEOUT'],
    ]);
    expect((await provisionRequests.get('late'))?.status).toBe('failed');
    expect((await provisionRequests.get('early'))?.status).toBe('awaiting-assets');
  });

  it('hands a request back to the next sweep when its Failed event cannot be published', async () => {
    const { invoke, eventBridgeMock, provisionRequests, clock } = setup();
    await provisionRequests.create(awaiting('late', clock.now() - 1));
    eventBridgeMock.on(PutEventsCommand).rejectsOnce(new Error('PutEvents is down'));

    const first = await invoke().catch((error: Error) => error);
    expect(first).toMatchObject({ assetsTimedOut: [] });
    expect((await provisionRequests.get('late'))?.status).toBe('awaiting-assets');

    eventBridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    expect(await invoke()).toMatchObject({ assetsTimedOut: ['late'] });
  });
});

describe('timeout sweep: a running workspace whose task is gone (v1.2 reconciliation)', () => {
  // The record has said `running` for an hour; ECS lists no live task for it.
  async function lostCandidate(recordedTask: Task | undefined) {
    const harness = setup();
    await harness.workspaceRecords.put(
      workspaceRecord('ws-1', { taskArn: taskArnOf('t-1'), since: harness.clock.now() - 60 * MINUTE }),
    );
    harness.ecsMock
      .on(DescribeTasksCommand)
      .resolves(
        recordedTask
          ? { tasks: [recordedTask], failures: [] }
          : { tasks: [], failures: [{ arn: taskArnOf('t-1'), reason: 'MISSING' }] },
      );
    const result = (await harness.invoke()) as { reconciled: { lostRecovered: readonly string[] } };
    const recovering = sentEvents(harness.eventBridgeMock).filter(
      (event) => event.detailType === DETAIL_TYPES.recovering,
    );
    return { result, recovering, record: await harness.workspaceRecords.get('ws-1') };
  }
  const stopped = (agoMs: number, clock = new FakeClock()): Task => ({
    taskArn: taskArnOf('t-1'),
    clusterArn: CLUSTER_ARN,
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    stoppedAt: new Date(clock.now() - agoMs),
  });

  it('leaves it alone while its task stopped within the grace period: task-state has its STOPPED to handle', async () => {
    const { result, recovering, record } = await lostCandidate(stopped(10_000));
    expect(result.reconciled.lostRecovered).toEqual([]);
    expect(recovering).toEqual([]);
    expect(record?.state).toBe('running');
  });

  it('leaves it alone while its task is still stopping', async () => {
    const { result } = await lostCandidate({
      ...stopped(0),
      lastStatus: 'DEPROVISIONING',
      stoppedAt: undefined,
    });
    expect(result.reconciled.lostRecovered).toEqual([]);
  });

  it.each([
    ['stopped longer ago than the grace period', stopped(3 * MINUTE)],
    ['unknown to ECS any more', undefined],
  ])('recovers it, cause lost, when its task is %s', async (_what, task) => {
    const { result, recovering, record } = await lostCandidate(task);
    expect(result.reconciled.lostRecovered).toEqual(['ws-1']);
    expect(recovering.map((event) => event.detail)).toEqual([
      expect.objectContaining({ workspaceId: 'ws-1', cause: 'lost', previousTaskArn: taskArnOf('t-1') }),
    ]);
    expect(record?.state).toBe('recovering');
  });
});
