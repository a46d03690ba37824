import { DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadOverlays } from '#config/overlays.ts';
import { DETAIL_TYPES, TAG_KEYS } from '#contracts/names.ts';
import { createLifecycleHandler } from '#functions/lifecycle/create-handler.ts';
import {
  createTimeoutSweepHandler,
  type TimeoutSweepResult,
} from '#functions/timeout-sweep/create-handler.ts';
import { RECONCILE_GRACE_MS } from '#functions/timeout-sweep/reconcile-workspaces.ts';
import type { WorkspaceRecord } from '#ports/workspace-record-store.ts';
import { DEFAULT_DATA_TAG, METRIC } from '#wiring/names.ts';
import { taskArnFor, workspaceRecord } from '../../fixtures/workspace-records.ts';
import { FakeWorkspaceVolumes } from './fake-workspace-volumes.ts';
import {
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
  SETTINGS,
  sentEvents,
  snapshotNotification,
  testCatalog,
} from './harness.ts';

/**
 * v1.3: the sweep resumes persistent-data saves whose events were lost (decision 020, "Saves the
 * sweep resumes"), through the timeout sweep's Lambda entry point; the lifecycle function's entry
 * finishes a save the sweep started, as it finishes any other. EC2 is the in-memory fake of the
 * workspace-volumes port.
 */
const scheduledEvent = envelope('Scheduled Event', {}, { source: 'aws.events' });
const TASK = taskArnFor('task-ws-1');

function setup() {
  const clock = new FakeClock();
  const { ecs, ecsMock } = ecsWithMock();
  ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
  ecsMock.on(DescribeTasksCommand).resolves({ tasks: [] });
  const { eventBridge, eventBridgeMock } = eventBridgeWithMock();
  const workspaceRecords = new InMemoryWorkspaceRecordStore();
  const volumes = new FakeWorkspaceVolumes(DEFAULT_DATA_TAG, () => clock.now());
  // One for both handlers: each quietInstrumentation() takes over console.log, where metrics go.
  const instrumentation = quietInstrumentation();
  const settings = {
    ...SETTINGS,
    dataVolumes: { roleArn: 'arn:aws:iam::123456789012:role/ecs-infrastructure', dataTag: DEFAULT_DATA_TAG },
    dataSnapshotRetention: 2,
  };
  const common = {
    ecs,
    ec2: ec2WithMock().ec2,
    eventBridge,
    workspaceRecords,
    catalog: testCatalog(),
    clock,
  };
  const sweep = createTimeoutSweepHandler(
    { ...common, provisionRequests: new InMemoryProvisionRequestStore(), settings, random: () => 0.5 },
    { instrumentation, workspaceVolumes: volumes },
  );
  const lifecycle = createLifecycleHandler(
    {
      ...common,
      idempotencyStore: new InMemoryPersistenceLayer(),
      workspaceLeases: new InMemoryWorkspaceLeaseStore(clock),
      provisionRequests: new InMemoryProvisionRequestStore(),
      workspaceFiles: new InMemoryWorkspaceFiles(),
      overlays: loadOverlays(),
      settings,
      random: () => 0.5,
    },
    { instrumentation, workspaceVolumes: volumes },
  );
  const runSweep = () => sweep(scheduledEvent, lambdaContext(clock, 55_000)) as Promise<TimeoutSweepResult>;
  const notify = (snapshotId: string, volumeId: string) =>
    lifecycle(snapshotNotification(snapshotId, volumeId, 'succeeded'), lambdaContext(clock, 60_000));
  const resumed = () => metricTotal(instrumentation.emittedMetrics(), METRIC.reconcileDataSaveResumed);
  const record = async (overrides: Partial<WorkspaceRecord>) =>
    workspaceRecords.put(workspaceRecord('ws-1', { since: clock.now(), ...overrides }));
  return { clock, volumes, eventBridgeMock, runSweep, notify, resumed, record, workspaceRecords };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the sweep: a data save whose stop was lost', () => {
  it("snapshots the volume once it has settled, and the save then finishes as any other, naming the record's task", async () => {
    const { clock, volumes, eventBridgeMock, runSweep, notify, resumed, record } = setup();
    // The task stopped, ECS detached its volume, and its STOPPED never reached the lifecycle
    // function (nor task-state: the record still says running).
    await record({ state: 'running', taskArn: TASK });
    const volume = volumes.addVolume('ws-1');

    // Within the grace period nothing is done: the STOPPED may still be on its way.
    expect((await runSweep()).dataSaves).toEqual({ snapshotted: [], finished: [], failed: [] });
    expect(volumes.created).toEqual([]);

    clock.advance(RECONCILE_GRACE_MS + 1);
    expect((await runSweep()).dataSaves).toEqual({
      snapshotted: [volume.volumeId],
      finished: [],
      failed: [],
    });
    expect(volumes.created).toEqual([
      {
        volumeId: volume.volumeId,
        tags: {
          [TAG_KEYS.provisioner]: DEFAULT_DATA_TAG,
          [TAG_KEYS.workspaceId]: 'ws-1',
          [TAG_KEYS.orgId]: 'org-1',
          [TAG_KEYS.kind]: 'workspace',
          [TAG_KEYS.runtime]: 'codex',
          [TAG_KEYS.taskArn]: TASK,
        },
        description: expect.stringContaining('saved by the sweep'),
      },
    ]);
    expect(resumed()).toBe(1);

    // The next sweep sees the snapshot pending and starts nothing more.
    clock.advance(60_000);
    expect((await runSweep()).dataSaves).toEqual({ snapshotted: [], finished: [], failed: [] });
    expect(volumes.created).toHaveLength(1);

    // EBS completes it and announces it; the lifecycle function finishes the save.
    const [snapshot] = [...volumes.snapshots.values()];
    volumes.completeSnapshot(snapshot?.snapshotId ?? '');
    await notify(snapshot?.snapshotId ?? '', volume.volumeId);
    expect(
      sentEvents(eventBridgeMock).filter((event) => event.detailType === DETAIL_TYPES.dataSaved),
    ).toEqual([
      expect.objectContaining({
        detail: expect.objectContaining({
          workspaceId: 'ws-1',
          snapshotId: snapshot?.snapshotId,
          taskArn: TASK,
        }),
      }),
    ]);
    expect(volumes.volumes.has(volume.volumeId)).toBe(false);
  });

  it('leaves alone a volume whose workspace just changed, a volume being erased, and a failed save', async () => {
    const { clock, volumes, runSweep, resumed, workspaceRecords } = setup();
    const fresh = volumes.addVolume('ws-1');
    const erased = volumes.addVolume('ws-2');
    const failed = volumes.addVolume('ws-3');
    volumes.addSnapshot({
      state: 'error',
      volumeId: failed.volumeId,
      tags: { [TAG_KEYS.provisioner]: DEFAULT_DATA_TAG, [TAG_KEYS.workspaceId]: 'ws-3' },
    });
    clock.advance(RECONCILE_GRACE_MS + 1);
    await workspaceRecords.put(workspaceRecord('ws-1', { state: 'stopped', since: clock.now() }));
    await workspaceRecords.put(
      workspaceRecord('ws-2', {
        state: 'deprovisioned',
        since: 0,
        dataErase: { requestId: 'req-erase', requestedAt: 0 },
      }),
    );

    expect((await runSweep()).dataSaves).toEqual({ snapshotted: [], finished: [], failed: [] });
    expect(volumes.created).toEqual([]);
    expect(resumed()).toBe(0);
    expect([...volumes.volumes.keys()]).toEqual([fresh.volumeId, erased.volumeId, failed.volumeId]);
  });
});

describe('the sweep: a data save whose snapshot notification was lost', () => {
  it('says Data Saved, then deletes the volume and prunes, as the notification would have', async () => {
    const { clock, volumes, eventBridgeMock, runSweep, resumed, record } = setup();
    await record({ state: 'stopped', taskArn: TASK });
    const volume = volumes.addVolume('ws-1');
    const tags = { [TAG_KEYS.provisioner]: DEFAULT_DATA_TAG, [TAG_KEYS.workspaceId]: 'ws-1' };
    const oldest = volumes.addSnapshot({ startedAt: clock.now() - 3_000, tags });
    volumes.addSnapshot({ startedAt: clock.now() - 2_000, tags });
    const saved = volumes.addSnapshot({
      volumeId: volume.volumeId,
      tags: { ...tags, [TAG_KEYS.taskArn]: TASK },
    });
    clock.advance(RECONCILE_GRACE_MS + 1);

    expect((await runSweep()).dataSaves).toEqual({
      snapshotted: [],
      finished: [saved.snapshotId],
      failed: [],
    });
    expect(
      sentEvents(eventBridgeMock).filter((event) => event.detailType === DETAIL_TYPES.dataSaved),
    ).toEqual([
      expect.objectContaining({
        detail: expect.objectContaining({ snapshotId: saved.snapshotId, taskArn: TASK, sizeGiB: 20 }),
      }),
    ]);
    expect(volumes.deletedVolumes).toEqual([volume.volumeId]);
    // Retention 2: the oldest of the three completed snapshots goes.
    expect(volumes.deletedSnapshots).toEqual([oldest.snapshotId]);
    expect(resumed()).toBe(1);
  });

  it('goes on with the other volumes when one fails, and the next sweep tries that one again', async () => {
    const { clock, volumes, runSweep, resumed } = setup();
    const stuck = volumes.addVolume('ws-1');
    const other = volumes.addVolume('ws-2');
    clock.advance(RECONCILE_GRACE_MS + 1);
    const createSnapshot = volumes.createSnapshot.bind(volumes);
    let failures = 1;
    vi.spyOn(volumes, 'createSnapshot').mockImplementation(async (volumeId, tags, description) => {
      if (volumeId === stuck.volumeId && failures-- > 0)
        throw Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded' });
      return createSnapshot(volumeId, tags, description);
    });

    expect((await runSweep()).dataSaves).toEqual({
      snapshotted: [other.volumeId],
      failed: [stuck.volumeId],
      finished: [],
    });
    expect((await runSweep()).dataSaves).toEqual({ snapshotted: [stuck.volumeId], failed: [], finished: [] });
    expect(resumed()).toBe(2);
  });

  it('still reconciles when EC2 cannot be listed, and says nothing about data saves', async () => {
    const { volumes, runSweep } = setup();
    vi.spyOn(volumes, 'availableVolumes').mockRejectedValue(
      Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded' }),
    );
    const result = await runSweep();
    expect(result.dataSaves).toBeUndefined();
    expect(result.reconciled).toEqual({ orphansStopped: [], lostRecovered: [] });
  });
});
