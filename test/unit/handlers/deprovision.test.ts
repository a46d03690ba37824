import { DescribeTasksCommand, ListTasksCommand, StopTaskCommand, type Task } from '@aws-sdk/client-ecs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { provisionerStopOf } from '#core/stop-reasons.ts';
import { createDeprovisionHandler } from '#functions/deprovision/create-handler.ts';
import {
  CLUSTER_ARN,
  ec2WithMock,
  ecsWithMock,
  envelope,
  eventBridgeWithMock,
  FakeClock,
  InMemoryPersistenceLayer,
  InMemoryWorkspaceLeaseStore,
  InMemoryWorkspaceRecordStore,
  lambdaContext,
  quietInstrumentation,
  rejectedPaths,
  SETTINGS,
  sentEvents,
  taskArnOf,
} from './harness.ts';

const task = (id: string, startedBy: string, overrides: Partial<Task> = {}): Task => ({
  taskArn: taskArnOf(id),
  clusterArn: CLUSTER_ARN,
  startedBy,
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  tags: [{ key: 'workspace-id', value: startedBy }],
  ...overrides,
});

function setup() {
  const clock = new FakeClock();
  const { ecs, ecsMock } = ecsWithMock();
  const { eventBridge, eventBridgeMock } = eventBridgeWithMock();
  ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
  ecsMock.on(DescribeTasksCommand).resolves({ tasks: [] });
  ecsMock.on(StopTaskCommand).resolves({});
  const workspaceLeases = new InMemoryWorkspaceLeaseStore(clock);
  const handler = createDeprovisionHandler(
    {
      ecs,
      ec2: ec2WithMock().ec2,
      eventBridge,
      idempotencyStore: new InMemoryPersistenceLayer(),
      workspaceLeases,
      workspaceRecords: new InMemoryWorkspaceRecordStore(),
      settings: SETTINGS,
      clock,
    },
    { instrumentation: quietInstrumentation() },
  );
  const invoke = (detail: unknown) =>
    handler(envelope(DETAIL_TYPES.deprovisionRequested, detail), lambdaContext(clock));
  return { ecsMock, eventBridgeMock, workspaceLeases, invoke, clock };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('deprovision', () => {
  it("stops only that workspace's tasks and reports their ARNs", async () => {
    const { invoke, ecsMock, eventBridgeMock } = setup();
    ecsMock.on(ListTasksCommand, { cluster: CLUSTER_ARN, startedBy: 'ws-1' }).resolves({
      taskArns: [taskArnOf('a'), taskArnOf('b'), taskArnOf('c')],
    });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        task('a', 'ws-1'),
        task('b', 'ws-1', { lastStatus: 'PROVISIONING' }),
        // Already on its way out: nothing to stop.
        task('c', 'ws-1', { desiredStatus: 'STOPPED', lastStatus: 'DEPROVISIONING' }),
        // Never ours to stop, even if ECS were to list it.
        task('d', 'ws-2'),
      ],
    });

    const result = await invoke({ requestId: 'dep-1', workspaceId: 'ws-1', reason: 'user deleted it' });

    expect(result).toEqual({ outcome: 'deprovisioned', taskArns: [taskArnOf('a'), taskArnOf('b')] });
    expect(ecsMock).toHaveReceivedCommandTimes(StopTaskCommand, 2);
    expect(ecsMock).toHaveReceivedCommandWith(StopTaskCommand, {
      cluster: CLUSTER_ARN,
      task: taskArnOf('a'),
    });
    expect(ecsMock).toHaveReceivedCommandWith(StopTaskCommand, {
      cluster: CLUSTER_ARN,
      task: taskArnOf('b'),
    });
    expect(ecsMock).not.toHaveReceivedCommandWith(StopTaskCommand, { task: taskArnOf('d') });
    expect(sentEvents(eventBridgeMock)).toEqual([
      {
        detailType: DETAIL_TYPES.deprovisioned,
        source: 'platform.provisioner',
        eventBusName: 'workspaces',
        resources: [taskArnOf('a'), taskArnOf('b')],
        detail: { requestId: 'dep-1', workspaceId: 'ws-1', taskArns: [taskArnOf('a'), taskArnOf('b')] },
      },
    ]);
  });

  it('stops with the reason the stop-cause classifier reads back as a deprovision', async () => {
    const { invoke, ecsMock } = setup();
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [taskArnOf('a')] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [task('a', 'ws-1')] });

    await invoke({ requestId: 'dep-1', workspaceId: 'ws-1' });

    const reason = 'Workspace deprovisioned (request dep-1)';
    expect(ecsMock).toHaveReceivedCommandWith(StopTaskCommand, { task: taskArnOf('a'), reason });
    expect(provisionerStopOf(reason)).toBe('deprovision');
  });

  it('reports an empty list when there is nothing to stop', async () => {
    const { invoke, ecsMock, eventBridgeMock } = setup();

    await invoke({ requestId: 'dep-1', workspaceId: 'ws-1' });

    expect(ecsMock).toHaveReceivedCommandTimes(StopTaskCommand, 0);
    expect(sentEvents(eventBridgeMock)[0]?.detail).toEqual({
      requestId: 'dep-1',
      workspaceId: 'ws-1',
      taskArns: [],
    });
  });

  it('also stops a task launched moments ago that ListTasks does not show yet', async () => {
    const { invoke, ecsMock, workspaceLeases, clock } = setup();
    await workspaceLeases.recordLaunch({
      workspaceId: 'ws-1',
      requestId: 'req-1',
      taskArn: taskArnOf('new'),
      launchedAt: clock.now() - 1_000,
    });

    const result = await invoke({ requestId: 'dep-1', workspaceId: 'ws-1' });

    expect(result).toEqual({ outcome: 'deprovisioned', taskArns: [taskArnOf('new')] });
    expect(ecsMock).toHaveReceivedCommandWith(StopTaskCommand, { task: taskArnOf('new') });
  });

  it('is idempotent on requestId', async () => {
    const { invoke, ecsMock, eventBridgeMock } = setup();
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [taskArnOf('a')] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [task('a', 'ws-1')] });

    const first = await invoke({ requestId: 'dep-1', workspaceId: 'ws-1' });
    const second = await invoke({ requestId: 'dep-1', workspaceId: 'ws-1' });

    expect(second).toEqual(first);
    expect(ecsMock).toHaveReceivedCommandTimes(StopTaskCommand, 1);
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });

  it('rejects a request that breaks the contract without throwing', async () => {
    const { invoke, ecsMock, eventBridgeMock } = setup();

    await expect(invoke({ requestId: 'dep-1', workspaceId: 'ws/1', force: true })).resolves.toMatchObject({
      outcome: 'rejected',
    });

    expect(ecsMock).toHaveReceivedCommandTimes(ListTasksCommand, 0);
    const [rejected] = sentEvents(eventBridgeMock);
    expect(rejected?.detailType).toBe(DETAIL_TYPES.provisionRejected);
    expect(rejected?.detail).toMatchObject({
      requestId: 'dep-1',
      rejectedDetailType: DETAIL_TYPES.deprovisionRequested,
    });
    expect(rejectedPaths(rejected)).toEqual(['force', 'workspaceId']);
  });
});
