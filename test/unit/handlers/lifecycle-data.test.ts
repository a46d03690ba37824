import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadOverlays } from '#config/overlays.ts';
import {
  DETAIL_TYPES,
  EBS_ATTACHMENT_TYPE,
  ECS_SOURCE,
  ECS_TASK_STATE_CHANGE,
  TAG_KEYS,
} from '#contracts/names.ts';
import { snapshotTagsFor } from '#core/workspace-data.ts';
import { createLifecycleHandler } from '#functions/lifecycle/create-handler.ts';
import { DATA_SAVE_FAILED_REASON } from '#functions/lifecycle/data-saved.ts';
import { DataInUseError } from '#functions/lifecycle/errors.ts';
import { parseLifecycleEvent } from '#functions/lifecycle/lifecycle-event.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
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
  taskArnOf,
  taskDefinitionArnOf,
  testCatalog,
} from './harness.ts';

/**
 * v1.3: the save of a persistent workspace's data, through the lifecycle function's Lambda entry
 * point: ECS's stop of a task with a data volume starts the snapshot, EBS's notification finishes
 * the save. EC2 is the in-memory fake of the workspace-volumes port.
 */
const RETENTION = 2;

function setup(settings: Partial<HandlerSettings> = {}) {
  const clock = new FakeClock();
  const { ecs } = ecsWithMock();
  const { eventBridge, eventBridgeMock } = eventBridgeWithMock();
  const workspaceRecords = new InMemoryWorkspaceRecordStore();
  const volumes = new FakeWorkspaceVolumes(DEFAULT_DATA_TAG, () => clock.now());
  const instrumentation = quietInstrumentation();
  const handler = createLifecycleHandler(
    {
      ecs,
      ec2: ec2WithMock().ec2,
      eventBridge,
      idempotencyStore: new InMemoryPersistenceLayer(),
      workspaceLeases: new InMemoryWorkspaceLeaseStore(clock),
      provisionRequests: new InMemoryProvisionRequestStore(),
      workspaceRecords,
      workspaceFiles: new InMemoryWorkspaceFiles(),
      catalog: testCatalog(),
      overlays: loadOverlays(),
      settings: {
        ...SETTINGS,
        dataVolumes: {
          roleArn: 'arn:aws:iam::123456789012:role/ecs-infrastructure',
          dataTag: DEFAULT_DATA_TAG,
        },
        dataSnapshotRetention: RETENTION,
        ...settings,
      },
      clock,
      random: () => 0.5,
    },
    { instrumentation, workspaceVolumes: volumes },
  );
  const invoke = (event: unknown) => handler(event, lambdaContext(clock, 60_000));
  const metric = (name: string) => metricTotal(instrumentation.emittedMetrics(), name);
  return { clock, eventBridgeMock, workspaceRecords, volumes, invoke, metric };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** ECS's `STOPPED` of `ws-1`'s task, with its data volume's attachment (naming `volumeId` when given). */
function taskStopped(taskId: string, volumeId: string | undefined, overrides: Record<string, unknown> = {}) {
  return envelope(
    ECS_TASK_STATE_CHANGE,
    {
      clusterArn: CLUSTER_ARN,
      taskArn: taskArnOf(taskId),
      taskDefinitionArn: taskDefinitionArnOf('codex'),
      startedBy: 'ws-1',
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      version: 5,
      attachments: [
        {
          type: EBS_ATTACHMENT_TYPE,
          status: 'DELETED',
          details: volumeId ? [{ name: 'volumeId', value: volumeId }] : [],
        },
      ],
    },
    { source: ECS_SOURCE, ...overrides },
  );
}

describe('lifecycle: a stopped task saves its data volume', () => {
  it("snapshots the stopped task's volume, tagged with the workspace and the task", async () => {
    const { invoke, volumes, metric } = setup();
    const volume = volumes.addVolume('ws-1');

    const result = await invoke(taskStopped('t-1', volume.volumeId));

    const [snapshot] = [...volumes.snapshots.values()];
    expect(result).toEqual({
      outcome: 'snapshotting',
      snapshots: [{ volumeId: volume.volumeId, snapshotId: snapshot?.snapshotId }],
    });
    expect(volumes.created).toHaveLength(1);
    expect(volumes.created[0]?.tags).toEqual(snapshotTagsFor(volume, taskArnOf('t-1')));
    expect(volumes.created[0]?.tags[TAG_KEYS.taskArn]).toBe(taskArnOf('t-1'));
    expect(snapshot).toMatchObject({ state: 'pending', volumeId: volume.volumeId });
    expect(metric(METRIC.dataSaveStarted)).toBe(1);
  });

  it('starts one snapshot for a stop delivered twice: the second delivery replays the first', async () => {
    const { invoke, volumes, metric } = setup();
    const volume = volumes.addVolume('ws-1');
    const event = taskStopped('t-1', volume.volumeId);

    const first = await invoke(event);
    const replayed = await invoke({ ...event, id: 'another-delivery' });

    expect(replayed).toEqual(first);
    expect(volumes.created).toHaveLength(1);
    expect(metric(METRIC.dataSaveStarted)).toBe(1);
  });

  it('saves no volume that already has a pending or completed snapshot', async () => {
    const { invoke, volumes } = setup();
    const pending = volumes.addVolume('ws-1');
    const saved = volumes.addVolume('ws-1');
    volumes.addSnapshot({ state: 'pending', volumeId: pending.volumeId, tags: pending.tags });
    volumes.addSnapshot({ state: 'completed', volumeId: saved.volumeId, tags: saved.tags });

    expect(await invoke(taskStopped('t-1', pending.volumeId))).toMatchObject({ outcome: 'skipped' });
    expect(await invoke(taskStopped('t-2', saved.volumeId))).toMatchObject({ outcome: 'skipped' });
    expect(volumes.created).toEqual([]);
  });

  it('without a volumeId in the attachment, saves every unattached, unsaved volume of the workspace', async () => {
    const { invoke, volumes } = setup();
    const unsaved = volumes.addVolume('ws-1');
    volumes.addVolume('ws-1', { state: 'in-use' });
    const saved = volumes.addVolume('ws-1');
    volumes.addSnapshot({ state: 'completed', volumeId: saved.volumeId, tags: saved.tags });
    volumes.addVolume('ws-2');

    const result = await invoke(taskStopped('t-1', undefined));

    expect(result).toMatchObject({ outcome: 'snapshotting', snapshots: [{ volumeId: unsaved.volumeId }] });
    expect(volumes.created.map((created) => created.volumeId)).toEqual([unsaved.volumeId]);
  });

  it("takes no snapshot while the workspace's data is being erased", async () => {
    const { invoke, volumes, workspaceRecords, metric } = setup();
    await workspaceRecords.put(
      workspaceRecord('ws-1', { state: 'deprovisioned', dataErase: { requestId: 'dep-1', requestedAt: 1 } }),
    );
    const volume = volumes.addVolume('ws-1');

    expect(await invoke(taskStopped('t-1', volume.volumeId))).toMatchObject({
      outcome: 'skipped',
      reason: "the workspace's data is being erased",
    });
    expect(volumes.created).toEqual([]);
    expect(metric(METRIC.dataSaveStarted)).toBe(0);
  });

  it("takes no snapshot of a volume without this deployment's tag", async () => {
    const { invoke, volumes } = setup();
    const foreign = volumes.addVolume('ws-1', {
      extraTags: { [TAG_KEYS.provisioner]: 'another-deployment' },
    });
    expect(await invoke(taskStopped('t-1', foreign.volumeId))).toMatchObject({ outcome: 'skipped' });
    expect(volumes.created).toEqual([]);
  });

  it('drops a task state change that does not come from ECS', async () => {
    const { invoke, volumes, metric } = setup();
    const volume = volumes.addVolume('ws-1');
    expect(await invoke(taskStopped('t-1', volume.volumeId, { source: 'platform.forged' }))).toEqual({
      outcome: 'ignored',
    });
    expect(volumes.created).toEqual([]);
    expect(metric(METRIC.forgedEventIgnored)).toBe(1);
  });
});

describe('lifecycle: EBS says a snapshot is done', () => {
  /** `ws-1` with a stopped task's volume, its save pending, and `older` completed saves before it. */
  async function saving(harness: ReturnType<typeof setup>, older: number) {
    const { volumes, clock, workspaceRecords } = harness;
    await workspaceRecords.put(workspaceRecord('ws-1', { kind: 'workspace', orgId: 'org-1' }));
    const previous = [];
    for (let index = 0; index < older; index++) {
      const old = volumes.addVolume('ws-1');
      previous.push(
        volumes.addSnapshot({
          volumeId: old.volumeId,
          tags: snapshotTagsFor(old, taskArnOf(`t-old-${index}`)),
        }),
      );
      volumes.volumes.delete(old.volumeId);
      clock.advance(60_000);
    }
    const volume = volumes.addVolume('ws-1', { sizeGiB: 30 });
    await harness.invoke(taskStopped('t-1', volume.volumeId));
    const snapshotId = volumes.created.length > 0 ? [...volumes.snapshots.keys()].at(-1) : undefined;
    if (!snapshotId) throw new Error('no snapshot started');
    return { volume, snapshotId, previous };
  }

  it('succeeded: deletes the volume, prunes beyond the retention and says Workspace Data Saved', async () => {
    const harness = setup();
    const { volumes, invoke, eventBridgeMock, metric } = harness;
    const { volume, snapshotId, previous } = await saving(harness, RETENTION + 1);
    volumes.completeSnapshot(snapshotId);

    const result = await invoke(snapshotNotification(snapshotId, volume.volumeId, 'succeeded'));

    // The new save and the newest older ones make the retention; the oldest ones go.
    const keptOlder = RETENTION - 1;
    const expectedPruned = previous
      .slice(0, previous.length - keptOlder)
      .map((snapshot) => snapshot.snapshotId);
    expect(result).toMatchObject({ outcome: 'saved', snapshotId });
    expect(volumes.deletedVolumes).toEqual([volume.volumeId]);
    expect([...volumes.deletedSnapshots].sort()).toEqual([...expectedPruned].sort());
    expect(volumes.snapshots.has(snapshotId)).toBe(true);
    expect(sentEvents(eventBridgeMock)).toEqual([
      expect.objectContaining({
        detailType: DETAIL_TYPES.dataSaved,
        detail: {
          workspaceId: 'ws-1',
          snapshotId,
          sizeGiB: volume.sizeGiB,
          taskArn: taskArnOf('t-1'),
          orgId: 'org-1',
          kind: 'workspace',
        },
      }),
    ]);
    expect(metric(METRIC.dataSaved)).toBe(1);
  });

  it('succeeded: says Workspace Data Saved while the volume still exists, so a launch waiting for it comes after', async () => {
    const harness = setup();
    const { volumes, invoke, eventBridgeMock } = harness;
    const { volume, snapshotId } = await saving(harness, 0);
    volumes.completeSnapshot(snapshotId);
    let volumeAtPublish: boolean | undefined;
    eventBridgeMock.on(PutEventsCommand).callsFake(() => {
      volumeAtPublish = volumes.volumes.has(volume.volumeId);
      return { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] };
    });
    await invoke(snapshotNotification(snapshotId, volume.volumeId, 'succeeded'));
    expect(volumeAtPublish).toBe(true);
    expect(volumes.volumes.has(volume.volumeId)).toBe(false);
  });

  it('succeeded while the volume is still attached: fails retryably, then finishes on the retry', async () => {
    const harness = setup();
    const { volumes, invoke, eventBridgeMock } = harness;
    const { volume, snapshotId } = await saving(harness, 0);
    volumes.volumes.set(volume.volumeId, { ...volume, state: 'in-use' });
    volumes.completeSnapshot(snapshotId);
    const event = snapshotNotification(snapshotId, volume.volumeId, 'succeeded');

    await expect(invoke(event)).rejects.toBeInstanceOf(DataInUseError);
    expect(volumes.volumes.has(volume.volumeId)).toBe(true);
    expect(sentEvents(eventBridgeMock)).toEqual([]);

    volumes.detach(volume.volumeId);
    await expect(invoke({ ...event, id: 'retry' })).resolves.toMatchObject({ outcome: 'saved' });
    expect(volumes.deletedVolumes).toEqual([volume.volumeId]);
    expect(sentEvents(eventBridgeMock).map((sent) => sent.detailType)).toEqual([DETAIL_TYPES.dataSaved]);
  });

  it('failed: says Workspace Data Save Failed, counts the alarm metric and keeps the volume', async () => {
    const harness = setup();
    const { volumes, invoke, eventBridgeMock, metric } = harness;
    const { volume, snapshotId } = await saving(harness, 0);
    volumes.completeSnapshot(snapshotId, 'error');

    const result = await invoke(snapshotNotification(snapshotId, volume.volumeId, 'failed'));

    expect(result).toMatchObject({ outcome: 'save-failed', snapshotId, volumeId: volume.volumeId });
    expect(volumes.volumes.has(volume.volumeId)).toBe(true);
    expect(volumes.deletedVolumes).toEqual([]);
    expect(sentEvents(eventBridgeMock)).toEqual([
      expect.objectContaining({
        detailType: DETAIL_TYPES.dataSaveFailed,
        detail: {
          workspaceId: 'ws-1',
          volumeId: volume.volumeId,
          taskArn: taskArnOf('t-1'),
          snapshotId,
          reason: DATA_SAVE_FAILED_REASON,
          orgId: 'org-1',
          kind: 'workspace',
        },
      }),
    ]);
    expect(metric(METRIC.dataSaveFailed)).toBe(1);
    expect(metric(METRIC.dataSaved)).toBe(0);
  });

  it("ignores a snapshot without this deployment's tag", async () => {
    const { volumes, invoke, eventBridgeMock } = setup();
    const theirs = volumes.addSnapshot({
      volumeId: 'vol-theirs',
      tags: { [TAG_KEYS.provisioner]: 'another-deployment', [TAG_KEYS.workspaceId]: 'ws-1' },
    });
    const untagged = volumes.addSnapshot({ volumeId: 'vol-other', tags: {} });

    for (const snapshot of [theirs, untagged]) {
      expect(
        await invoke(snapshotNotification(snapshot.snapshotId, snapshot.volumeId ?? '', 'succeeded')),
      ).toMatchObject({ outcome: 'ignored', reason: 'not a snapshot of this deployment' });
    }
    expect(volumes.deletedSnapshots).toEqual([]);
    expect(volumes.deletedVolumes).toEqual([]);
    expect(sentEvents(eventBridgeMock)).toEqual([]);
  });

  it('of a workspace being erased: deletes the snapshot and its volume, and says nothing', async () => {
    const harness = setup();
    const { volumes, invoke, eventBridgeMock, workspaceRecords } = harness;
    const { volume, snapshotId } = await saving(harness, 0);
    const record = await workspaceRecords.get('ws-1');
    if (!record) throw new Error('no record');
    await workspaceRecords.put({
      ...record,
      state: 'deprovisioned',
      dataErase: { requestId: 'dep-1', requestedAt: 1 },
    });
    volumes.completeSnapshot(snapshotId);

    const result = await invoke(snapshotNotification(snapshotId, volume.volumeId, 'succeeded'));

    expect(result).toEqual({ outcome: 'erased', snapshotId, volumeId: volume.volumeId });
    expect(volumes.deletedSnapshots).toEqual([snapshotId]);
    expect(volumes.deletedVolumes).toEqual([volume.volumeId]);
    expect(sentEvents(eventBridgeMock)).toEqual([]);
  });
});

describe('lifecycle: the data events as AWS sends them', () => {
  it("parses the EBS User Guide's sample createSnapshot notification, keyed by snapshot and result", () => {
    // Amazon EBS User Guide, "Amazon EventBridge for Amazon EBS", createSnapshot event data
    // (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html); its
    // placeholder times replaced by real ones, as EventBridge's envelope requires.
    const sample = {
      version: '0',
      id: '01234567-0123-0123-0123-012345678901',
      'detail-type': 'EBS Snapshot Notification',
      source: 'aws.ec2',
      account: '012345678901',
      time: '2026-03-01T12:00:00Z',
      region: 'us-east-1',
      resources: ['arn:aws:ec2::us-west-2:snapshot/snap-01234567'],
      detail: {
        event: 'createSnapshot',
        result: 'succeeded',
        cause: '',
        'request-id': '',
        snapshot_id: 'arn:aws:ec2::us-west-2:snapshot/snap-01234567',
        source: 'arn:aws:ec2::us-west-2:volume/vol-01234567',
        startTime: '2026-03-01T11:59:00Z',
        endTime: '2026-03-01T12:00:00Z',
      },
    };
    const parsed = parseLifecycleEvent(sample);
    expect(parsed.success && parsed.data).toMatchObject({
      kind: 'data-snapshot',
      idempotencyKey: 'data-snapshot:snap-01234567:succeeded',
      detail: { result: 'succeeded', source: 'arn:aws:ec2::us-west-2:volume/vol-01234567' },
    });
  });

  it("keys a stopped task's save by its task ARN", () => {
    const parsed = parseLifecycleEvent(taskStopped('t-1', 'vol-1'));
    expect(parsed.success && parsed.data).toMatchObject({
      kind: 'data-task-stopped',
      idempotencyKey: `data-save:${taskArnOf('t-1')}`,
    });
  });

  it('refuses a snapshot notification that does not come from EC2', () => {
    const event = snapshotNotification('snap-1', 'vol-1', 'succeeded');
    expect(parseLifecycleEvent({ ...event, source: 'platform.forged' }).success).toBe(false);
  });
});
