import { DescribeTasksCommand, ListTasksCommand, StopTaskCommand, type Task } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { snapshotTagsFor } from '#core/workspace-data.ts';
import { createDeprovisionHandler } from '#functions/deprovision/create-handler.ts';
import { ERASE_POLL_MS } from '#functions/deprovision/data-erase.ts';
import { DataEraseBlockedError } from '#functions/deprovision/errors.ts';
import { DEFAULT_DATA_TAG, METRIC } from '#wiring/names.ts';
import { workspaceRecord } from '../../fixtures/workspace-records.ts';
import { FakeWorkspaceVolumes } from './fake-workspace-volumes.ts';
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
  metricTotal,
  quietInstrumentation,
  SETTINGS,
  sentEvents,
  taskArnOf,
} from './harness.ts';

/**
 * v1.3: the erase of a persistent workspace's data by `Workspace Deprovision Requested` with
 * `erase: true`, through the deprovision function's Lambda entry point. EC2 is the in-memory fake
 * of the workspace-volumes port; ECS is the SDK mock.
 */

/** The deprovision function's timeout (wiring), the budget every invocation here gets. */
const TIMEOUT_MS = 60_000;
const SAFETY_MARGIN_MS = 10_000;

/** A fake clock that lets the test move EC2 and ECS along while the flow sleeps. */
class SteppingClock extends FakeClock {
  onSleep: (() => void) | undefined;
  override async sleep(ms: number): Promise<void> {
    await super.sleep(ms);
    this.onSleep?.();
  }
}

const running = (id: string, overrides: Partial<Task> = {}): Task => ({
  taskArn: taskArnOf(id),
  clusterArn: CLUSTER_ARN,
  startedBy: 'ws-1',
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  tags: [{ key: 'workspace-id', value: 'ws-1' }],
  ...overrides,
});

function setup() {
  const clock = new SteppingClock();
  const { ecs, ecsMock } = ecsWithMock();
  const { eventBridge, eventBridgeMock } = eventBridgeWithMock();
  ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
  ecsMock.on(DescribeTasksCommand).resolves({ tasks: [] });
  ecsMock.on(StopTaskCommand).resolves({});
  const workspaceRecords = new InMemoryWorkspaceRecordStore();
  const volumes = new FakeWorkspaceVolumes(DEFAULT_DATA_TAG, () => clock.now());
  const instrumentation = quietInstrumentation();
  const handler = createDeprovisionHandler(
    {
      ecs,
      ec2: ec2WithMock().ec2,
      eventBridge,
      idempotencyStore: new InMemoryPersistenceLayer(),
      workspaceLeases: new InMemoryWorkspaceLeaseStore(clock),
      workspaceRecords,
      settings: {
        ...SETTINGS,
        dataVolumes: {
          roleArn: 'arn:aws:iam::123456789012:role/ecs-infrastructure',
          dataTag: DEFAULT_DATA_TAG,
        },
      },
      clock,
      random: () => 0.5,
    },
    { instrumentation, workspaceVolumes: volumes, safetyMarginMs: SAFETY_MARGIN_MS },
  );
  const invoke = (detail: unknown) =>
    handler(envelope(DETAIL_TYPES.deprovisionRequested, detail), lambdaContext(clock, TIMEOUT_MS));
  const metric = (name: string) => metricTotal(instrumentation.emittedMetrics(), name);
  return { clock, ecsMock, eventBridgeMock, workspaceRecords, volumes, invoke, metric };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** `ws-1` with two completed saves (the volumes they were taken from already deleted) and a leftover volume. */
function savedWorkspace(volumes: FakeWorkspaceVolumes) {
  const first = volumes.addVolume('ws-1');
  const second = volumes.addVolume('ws-1');
  const snapshots = [
    volumes.addSnapshot({ volumeId: first.volumeId, tags: snapshotTagsFor(first, taskArnOf('t-a')) }),
    volumes.addSnapshot({ volumeId: second.volumeId, tags: snapshotTagsFor(second, taskArnOf('t-b')) }),
  ];
  volumes.volumes.delete(first.volumeId);
  volumes.volumes.delete(second.volumeId);
  const leftover = volumes.addVolume('ws-1');
  return { snapshots, leftover };
}

describe('deprovision with erase', () => {
  it('deletes every snapshot and volume of the workspace and says Workspace Data Erased with their ids', async () => {
    const { invoke, volumes, eventBridgeMock, workspaceRecords, metric } = setup();
    await workspaceRecords.put(workspaceRecord('ws-1', { kind: 'platform' }));
    const { snapshots, leftover } = savedWorkspace(volumes);
    const otherWorkspace = volumes.addVolume('ws-2');

    const result = await invoke({ requestId: 'dep-1', workspaceId: 'ws-1', erase: true });

    const snapshotIds = snapshots.map((snapshot) => snapshot.snapshotId);
    expect(result).toEqual({
      outcome: 'deprovisioned',
      taskArns: [],
      erased: { snapshotIds, volumeIds: [leftover.volumeId] },
    });
    expect(volumes.volumes.has(otherWorkspace.volumeId)).toBe(true);
    expect(sentEvents(eventBridgeMock)).toEqual([
      expect.objectContaining({ detailType: DETAIL_TYPES.deprovisioned }),
      expect.objectContaining({
        detailType: DETAIL_TYPES.dataErased,
        detail: {
          workspaceId: 'ws-1',
          snapshotIds,
          volumeIds: [leftover.volumeId],
          requestId: 'dep-1',
          kind: 'platform',
        },
      }),
    ]);
    expect(await workspaceRecords.get('ws-1')).toMatchObject({
      state: 'deprovisioned',
      dataErase: { requestId: 'dep-1' },
    });
    expect(metric(METRIC.dataErased)).toBe(1);
  });

  it('records the erase before it stops the tasks, waits for them to stop, then deletes their volume', async () => {
    const { invoke, volumes, ecsMock, workspaceRecords, clock, eventBridgeMock } = setup();
    await workspaceRecords.put(workspaceRecord('ws-1', { taskArn: taskArnOf('t-1') }));
    const attached = volumes.addVolume('ws-1', { state: 'in-use' });
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [taskArnOf('t-1')] });
    ecsMock
      .on(DescribeTasksCommand)
      .resolvesOnce({ tasks: [running('t-1')] })
      .resolves({ tasks: [running('t-1', { desiredStatus: 'STOPPED', lastStatus: 'DEPROVISIONING' })] });
    let recordAtStop: unknown;
    ecsMock.on(StopTaskCommand).callsFake(async () => {
      recordAtStop = (await workspaceRecords.get('ws-1'))?.dataErase;
      return {};
    });
    // ECS stops the task after a few polls, and detaches its volume after another.
    let polls = 0;
    clock.onSleep = () => {
      polls += 1;
      if (polls === 2)
        ecsMock.on(DescribeTasksCommand).resolves({ tasks: [running('t-1', { lastStatus: 'STOPPED' })] });
      if (polls === 3) volumes.detach(attached.volumeId);
    };

    const result = await invoke({ requestId: 'dep-1', workspaceId: 'ws-1', erase: true });

    expect(recordAtStop).toMatchObject({ requestId: 'dep-1' });
    expect(result).toMatchObject({
      taskArns: [taskArnOf('t-1')],
      erased: { volumeIds: [attached.volumeId] },
    });
    expect(volumes.deletedVolumes).toEqual([attached.volumeId]);
    expect(clock.sleeps).toEqual([ERASE_POLL_MS, ERASE_POLL_MS, ERASE_POLL_MS]);
    expect(sentEvents(eventBridgeMock).map((sent) => sent.detailType)).toEqual([
      DETAIL_TYPES.deprovisioned,
      DETAIL_TYPES.dataErased,
    ]);
  });

  it('waits for a pending snapshot, then deletes it with the rest', async () => {
    const { invoke, volumes, clock, eventBridgeMock } = setup();
    const volume = volumes.addVolume('ws-1');
    const pending = volumes.addSnapshot({
      state: 'pending',
      volumeId: volume.volumeId,
      tags: snapshotTagsFor(volume, taskArnOf('t-1')),
    });
    const deletedWhilePending: string[] = [];
    clock.onSleep = () => {
      deletedWhilePending.push(...volumes.deletedVolumes, ...volumes.deletedSnapshots);
      volumes.completeSnapshot(pending.snapshotId);
    };

    const result = await invoke({ requestId: 'dep-1', workspaceId: 'ws-1', erase: true });

    expect(result).toMatchObject({
      erased: { snapshotIds: [pending.snapshotId], volumeIds: [volume.volumeId] },
    });
    expect(volumes.deletedSnapshots).toEqual([pending.snapshotId]);
    expect(volumes.deletedVolumes).toEqual([volume.volumeId]);
    // Nothing was deleted while the snapshot was pending: the erase waits for the save to settle.
    expect(deletedWhilePending).toEqual([]);
    expect(clock.sleeps).toEqual([ERASE_POLL_MS]);
    expect(sentEvents(eventBridgeMock).at(-1)).toMatchObject({
      detailType: DETAIL_TYPES.dataErased,
      detail: { snapshotIds: [pending.snapshotId], volumeIds: [volume.volumeId] },
    });
  });

  it('fails retryably, within the invocation and its safety margin, while a volume stays attached', async () => {
    const { invoke, volumes, clock, eventBridgeMock, metric } = setup();
    const attached = volumes.addVolume('ws-1', { state: 'in-use' });
    const started = clock.now();

    await expect(invoke({ requestId: 'dep-1', workspaceId: 'ws-1', erase: true })).rejects.toBeInstanceOf(
      DataEraseBlockedError,
    );

    expect(clock.now() - started).toBeLessThanOrEqual(TIMEOUT_MS - SAFETY_MARGIN_MS);
    expect(clock.sleeps.length).toBeGreaterThan(0);
    expect(volumes.volumes.has(attached.volumeId)).toBe(true);
    expect(sentEvents(eventBridgeMock).map((sent) => sent.detailType)).toEqual([DETAIL_TYPES.deprovisioned]);
    expect(metric(METRIC.dataErased)).toBe(0);
  });

  it('a retry of the blocked erase finishes it once the volume is detached', async () => {
    const { invoke, volumes, eventBridgeMock } = setup();
    const attached = volumes.addVolume('ws-1', { state: 'in-use' });
    const request = { requestId: 'dep-1', workspaceId: 'ws-1', erase: true };

    await expect(invoke(request)).rejects.toBeInstanceOf(DataEraseBlockedError);
    volumes.detach(attached.volumeId);
    await expect(invoke(request)).resolves.toMatchObject({ erased: { volumeIds: [attached.volumeId] } });

    expect(sentEvents(eventBridgeMock).at(-1)).toMatchObject({
      detailType: DETAIL_TYPES.dataErased,
      detail: { volumeIds: [attached.volumeId], requestId: 'dep-1' },
    });
  });
});

describe('deprovision without erase', () => {
  it('keeps the data: nothing deleted, no erase recorded, no Data Erased', async () => {
    const { invoke, volumes, eventBridgeMock, workspaceRecords, metric, clock } = setup();
    await workspaceRecords.put(workspaceRecord('ws-1'));
    const { leftover } = savedWorkspace(volumes);
    const before = { snapshots: volumes.snapshots.size, volumes: volumes.volumes.size };

    const result = await invoke({ requestId: 'dep-1', workspaceId: 'ws-1' });

    expect(result).toEqual({ outcome: 'deprovisioned', taskArns: [] });
    expect({ snapshots: volumes.snapshots.size, volumes: volumes.volumes.size }).toEqual(before);
    expect(volumes.volumes.has(leftover.volumeId)).toBe(true);
    expect((await workspaceRecords.get('ws-1'))?.dataErase).toBeUndefined();
    expect(sentEvents(eventBridgeMock).map((sent) => sent.detailType)).toEqual([DETAIL_TYPES.deprovisioned]);
    expect(metric(METRIC.dataErased)).toBe(0);
    expect(clock.sleeps).toEqual([]);
  });
});
