import { DescribeTasksCommand, ListTasksCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { loadOverlays } from '#config/overlays.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { bootBundleKey } from '#core/workspace-files.ts';
import { createLifecycleHandler } from '#functions/lifecycle/create-handler.ts';
import { workspaceRecord } from '../../fixtures/workspace-records.ts';
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
  quietInstrumentation,
  rejectedPaths,
  SETTINGS,
  sentEvents,
  taskArnOf,
  testCatalog,
} from './harness.ts';

/** The lifecycle handler through its Lambda entry point: parsing, idempotency, then the flows. */
function setup() {
  const clock = new FakeClock();
  const { ecs, ecsMock } = ecsWithMock();
  const { eventBridge, eventBridgeMock } = eventBridgeWithMock();
  ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
  ecsMock.on(DescribeTasksCommand).resolves({ tasks: [], failures: [] });
  ecsMock.on(StopTaskCommand).resolves({});
  ecsMock.on(RunTaskCommand).resolves({
    tasks: [{ taskArn: taskArnOf('t-new'), clusterArn: CLUSTER_ARN, lastStatus: 'PROVISIONING' }],
    failures: [],
  });
  const workspaceRecords = new InMemoryWorkspaceRecordStore();
  const workspaceFiles = new InMemoryWorkspaceFiles();
  const handler = createLifecycleHandler(
    {
      ecs,
      ec2: ec2WithMock().ec2,
      eventBridge,
      idempotencyStore: new InMemoryPersistenceLayer(),
      workspaceLeases: new InMemoryWorkspaceLeaseStore(clock),
      provisionRequests: new InMemoryProvisionRequestStore(),
      workspaceRecords,
      workspaceFiles,
      catalog: testCatalog(),
      overlays: loadOverlays(),
      settings: SETTINGS,
      clock,
      random: () => 0.5,
    },
    { instrumentation: quietInstrumentation() },
  );
  const invoke = (event: unknown) => handler(event, lambdaContext(clock, 300_000));
  return { ecsMock, eventBridgeMock, workspaceRecords, workspaceFiles, invoke };
}

describe('lifecycle handler', () => {
  it('restarts once per requestId: a second delivery of the same restart replays the first', async () => {
    const { invoke, ecsMock, workspaceRecords, workspaceFiles } = setup();
    const record = workspaceRecord('ws-1');
    await workspaceRecords.put(record);
    await workspaceFiles.put(bootBundleKey(record.orgId, 'ws-1', record.request.requestId), 'BOOT=1\n');
    const event = envelope(DETAIL_TYPES.restartRequested, { requestId: 'restart-1', workspaceId: 'ws-1' });

    const first = await invoke(event);
    const again = await invoke({ ...event, id: 'another-delivery' });

    expect(first).toMatchObject({ outcome: 'relaunched', taskArn: taskArnOf('t-new') });
    expect(again).toEqual(first);
    expect(ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 1);
  });

  it('answers a restart request that breaks the contract with Provision Rejected naming the field', async () => {
    const { invoke, eventBridgeMock, ecsMock } = setup();
    await invoke(envelope(DETAIL_TYPES.restartRequested, { requestId: 'restart-1', workspaceId: 'WS 1!' }));
    const [rejected] = sentEvents(eventBridgeMock);
    expect(rejected?.detailType).toBe(DETAIL_TYPES.provisionRejected);
    expect(rejected?.detail).toMatchObject({ rejectedDetailType: DETAIL_TYPES.restartRequested });
    expect(rejectedPaths(rejected)).toEqual(['workspaceId']);
    expect(ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 0);
  });

  it('drops an event no lifecycle rule routes, and launches nothing', async () => {
    const { invoke, eventBridgeMock, ecsMock } = setup();
    expect(await invoke(envelope('Workspace Something Else', { workspaceId: 'ws-1' }))).toEqual({
      outcome: 'ignored',
    });
    expect(sentEvents(eventBridgeMock)).toEqual([]);
    expect(ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 0);
  });
});
