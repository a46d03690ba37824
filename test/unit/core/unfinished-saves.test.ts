import { describe, expect, it } from 'vitest';
import { TAG_KEYS } from '#contracts/names.ts';
import { findUnfinishedSaves, type UnfinishedSave, unfinishedSaveOf } from '#core/unfinished-saves.ts';
import type { WorkspaceRecord } from '#ports/workspace-record-store.ts';
import type { DataSnapshot, DataVolume, SnapshotState, VolumeState } from '#ports/workspace-volumes.ts';
import { taskArnFor, workspaceRecord } from '../../fixtures/workspace-records.ts';

const MINUTE = 60_000;
const GRACE = 2 * MINUTE;
const NOW = Date.UTC(2026, 11, 1, 12);
const OLD = NOW - GRACE - 1;
const YOUNG = NOW - GRACE + 1;

const volume = (state: VolumeState = 'available', overrides: Partial<DataVolume> = {}): DataVolume => ({
  volumeId: 'vol-1',
  state,
  sizeGiB: 20,
  createdAt: OLD,
  tags: { [TAG_KEYS.provisioner]: 'workspace-provisioner', [TAG_KEYS.workspaceId]: 'ws-1' },
  ...overrides,
});
const snapshot = (state: SnapshotState, overrides: Partial<DataSnapshot> = {}): DataSnapshot => ({
  snapshotId: `snap-${state}`,
  state,
  sizeGiB: 20,
  startedAt: OLD,
  volumeId: 'vol-1',
  tags: {},
  ...overrides,
});
/** The record of a workspace whose task stopped long ago (or whose STOPPED never came). */
const settled = (overrides: Partial<WorkspaceRecord> = {}) =>
  workspaceRecord('ws-1', { since: OLD, ...overrides });

type Row = readonly [
  what: string,
  volume: DataVolume,
  snapshots: DataSnapshot[],
  record: WorkspaceRecord | undefined,
  expected: UnfinishedSave['action'] | undefined,
];

// What the sweep does with each unattached volume of the deployment (decision 020, "Saves the
// sweep resumes").
const ROWS: readonly Row[] = [
  ['a settled volume with no snapshot: its stop was never saved', volume(), [], settled(), 'snapshot'],
  ['the same with no record of its workspace: the data is still saved', volume(), [], undefined, 'snapshot'],
  ['a volume still attached to a task', volume('in-use'), [], settled(), undefined],
  ['a volume ECS is still creating', volume('creating'), [], settled(), undefined],
  ['a volume on its way out', volume('deleting'), [], settled(), undefined],
  ['a volume in error', volume('error'), [], settled(), undefined],
  [
    'a volume created within the grace period (a launch about to attach it)',
    volume('available', { createdAt: YOUNG }),
    [],
    settled(),
    undefined,
  ],
  [
    'a volume whose creation time EC2 did not give',
    volume('available', { createdAt: undefined }),
    [],
    settled(),
    undefined,
  ],
  [
    'a volume whose workspace changed within the grace period (its stop being handled now)',
    volume(),
    [],
    settled({ since: YOUNG, state: 'stopped' }),
    undefined,
  ],
  [
    'a volume of a workspace being erased (the erase deletes it)',
    volume(),
    [],
    settled({ dataErase: { requestId: 'req-erase', requestedAt: OLD } }),
    undefined,
  ],
  [
    'a volume naming no workspace',
    volume('available', { tags: { [TAG_KEYS.provisioner]: 'workspace-provisioner' } }),
    [],
    undefined,
    undefined,
  ],
  ['a volume being snapshotted', volume(), [snapshot('pending')], settled(), undefined],
  [
    'a completed snapshot older than the grace period: its notification was lost',
    volume(),
    [snapshot('completed')],
    settled(),
    'finish',
  ],
  [
    'a snapshot completed within the grace period (its notification on its way)',
    volume(),
    [snapshot('completed', { startedAt: YOUNG })],
    settled(),
    undefined,
  ],
  [
    'a failed save, left to the operator (alarmed when it failed)',
    volume(),
    [snapshot('error')],
    settled(),
    undefined,
  ],
  [
    'a failed save retried by hand, now completed',
    volume(),
    [snapshot('error', { startedAt: OLD - MINUTE }), snapshot('completed')],
    settled(),
    'finish',
  ],
  [
    "another volume's snapshot does not count as this one's",
    volume(),
    [snapshot('pending', { volumeId: 'vol-2' })],
    settled(),
    'snapshot',
  ],
];

describe('unfinishedSaveOf', () => {
  it.each(ROWS)('%s', (_what, candidate, snapshots, record, expected) => {
    expect(unfinishedSaveOf(candidate, snapshots, record, NOW, GRACE)?.action).toBe(expected);
  });

  it("snapshots with the record's task, whose data the volume holds", () => {
    expect(unfinishedSaveOf(volume(), [], settled(), NOW, GRACE)).toEqual({
      action: 'snapshot',
      workspaceId: 'ws-1',
      volume: volume(),
      taskArn: taskArnFor('task-ws-1'),
    });
    // Deprovisioned: the record keeps the task the deprovision stopped apart.
    const deprovisioned = settled({
      state: 'deprovisioned',
      taskArn: undefined,
      lastTaskArn: taskArnFor('gone'),
    });
    expect(unfinishedSaveOf(volume(), [], deprovisioned, NOW, GRACE)).toMatchObject({
      taskArn: taskArnFor('gone'),
    });
    expect(unfinishedSaveOf(volume(), [], undefined, NOW, GRACE)).toEqual({
      action: 'snapshot',
      workspaceId: 'ws-1',
      volume: volume(),
    });
  });

  it('finishes with the newest completed snapshot of the volume', () => {
    const older = snapshot('completed', { snapshotId: 'snap-older', startedAt: OLD - MINUTE });
    const newer = snapshot('completed', { snapshotId: 'snap-newer' });
    expect(unfinishedSaveOf(volume(), [older, newer], settled(), NOW, GRACE)).toMatchObject({
      action: 'finish',
      snapshot: { snapshotId: 'snap-newer' },
    });
  });
});

describe('findUnfinishedSaves', () => {
  it("judges each volume with its own workspace's snapshots and record, in the volumes' order", () => {
    const tagsOf = (workspaceId: string) => ({
      [TAG_KEYS.provisioner]: 'workspace-provisioner',
      [TAG_KEYS.workspaceId]: workspaceId,
    });
    const a = volume('available', { volumeId: 'vol-a', tags: tagsOf('ws-a') });
    const b = volume('available', { volumeId: 'vol-b', tags: tagsOf('ws-b') });
    const c = volume('available', { volumeId: 'vol-c', tags: tagsOf('ws-c') });
    const found = findUnfinishedSaves({
      volumes: [a, b, c],
      snapshots: new Map([
        ['ws-a', [snapshot('completed', { volumeId: 'vol-a' })]],
        ['ws-b', [snapshot('pending', { volumeId: 'vol-b' })]],
      ]),
      records: new Map([['ws-c', workspaceRecord('ws-c', { since: OLD })]]),
      now: NOW,
      graceMs: GRACE,
    });
    expect(found.map((save) => [save.volume.volumeId, save.action])).toEqual([
      ['vol-a', 'finish'],
      ['vol-c', 'snapshot'],
    ]);
  });
});
