/**
 * v1.3: the sweep's look for persistent-data saves that never finished (decision 020, "Saves the
 * sweep resumes"). A save is two events: ECS's `STOPPED` of the task starts a snapshot of its
 * volume (lifecycle, rule DataTaskStopped), and EBS's `EBS Snapshot Notification` finishes it
 * (rule DataSnapshotNotification). When either is lost (dead-lettered after its retries, or never
 * delivered), the volume stays, and every later launch of the workspace waits for it and then
 * fails with `DATA_SAVE_PENDING`. The sweep resumes such a save; this decides which, from what EC2
 * lists and what the provisioner recorded. Pure: the flow lists and acts.
 *
 * A volume counts only when it is settled, so the sweep never races the events themselves:
 * - it is `available` (attached to nothing: its task is gone) and older than the grace period (a
 *   launch's new volume is `available` for a moment before ECS attaches it);
 * - its workspace's record has not changed for the grace period (a stop that is still being
 *   handled changes it), and says no erase is under way (the erase deletes the volume itself);
 * - with no snapshot of it yet: the stop's save never started, so the sweep snapshots it;
 * - with a completed snapshot older than the grace period: the save never finished, so the sweep
 *   finishes it (Data Saved, then the volume goes), as the notification would have;
 * - a pending snapshot is a save under way, left alone; a failed one (and none better) is a
 *   failed save, said and alarmed on when it failed, and left to the operator (never retried
 *   here, so the alarm is not raised again every minute).
 */
import { TAG_KEYS } from '#contracts/names.ts';
import type { WorkspaceRecord } from '#ports/workspace-record-store.ts';
import type { DataSnapshot, DataVolume } from '#ports/workspace-volumes.ts';

/** What the sweep does for one volume left behind. */
export type UnfinishedSave =
  | {
      readonly action: 'snapshot';
      readonly workspaceId: string;
      readonly volume: DataVolume;
      /**
       * The task whose data it holds, for `Workspace Data Saved`: the record's task (or, once
       * deprovisioned, the task the deprovision stopped). A launch waits while any volume of its
       * workspace exists, so the volume left is the last task's.
       */
      readonly taskArn?: string;
    }
  | {
      readonly action: 'finish';
      readonly workspaceId: string;
      readonly volume: DataVolume;
      readonly snapshot: DataSnapshot;
    };

/** What {@link findUnfinishedSaves} compares. */
export interface UnfinishedSavesInput {
  /** The deployment's volumes attached to nothing (`available`). */
  readonly volumes: readonly DataVolume[];
  /** The snapshots of each of those volumes' workspaces, by workspaceId. */
  readonly snapshots: ReadonlyMap<string, readonly DataSnapshot[]>;
  /** The record of each of those volumes' workspaces that has one, by workspaceId. */
  readonly records: ReadonlyMap<string, WorkspaceRecord>;
  /** Epoch ms of the sweep. */
  readonly now: number;
  /** How long a volume, a record or a snapshot is left alone before it counts. */
  readonly graceMs: number;
}

/** The snapshots taken of `volumeId`, newest first. */
function snapshotsOfVolume(snapshots: readonly DataSnapshot[], volumeId: string): DataSnapshot[] {
  return snapshots
    .filter((snapshot) => snapshot.volumeId === volumeId)
    .sort((a, b) => b.startedAt - a.startedAt);
}

/** The one volume's unfinished save, or undefined when it is not one (yet). */
export function unfinishedSaveOf(
  volume: DataVolume,
  snapshots: readonly DataSnapshot[],
  record: WorkspaceRecord | undefined,
  now: number,
  graceMs: number,
): UnfinishedSave | undefined {
  const workspaceId = volume.tags[TAG_KEYS.workspaceId];
  if (!workspaceId || volume.state !== 'available') return undefined;
  // Without a creation time its age is unknown: never judged (EC2 always gives one).
  if (volume.createdAt === undefined || now - volume.createdAt <= graceMs) return undefined;
  if (record?.dataErase) return undefined;
  if (record && now - record.since <= graceMs) return undefined;
  const own = snapshotsOfVolume(snapshots, volume.volumeId);
  if (own.some((snapshot) => snapshot.state === 'pending')) return undefined;
  const completed = own.find((snapshot) => snapshot.state === 'completed');
  if (completed) {
    return now - completed.startedAt > graceMs
      ? { action: 'finish', workspaceId, volume, snapshot: completed }
      : undefined;
  }
  if (own.length > 0) return undefined;
  // A deprovisioned workspace's record keeps the task it stopped as `lastTaskArn`.
  const taskArn = record?.taskArn ?? record?.lastTaskArn;
  return { action: 'snapshot', workspaceId, volume, ...(taskArn ? { taskArn } : {}) };
}

/** Every unfinished save among the volumes, in their order. */
export function findUnfinishedSaves(input: UnfinishedSavesInput): UnfinishedSave[] {
  return input.volumes.flatMap((volume) => {
    const workspaceId = volume.tags[TAG_KEYS.workspaceId] ?? '';
    const found = unfinishedSaveOf(
      volume,
      input.snapshots.get(workspaceId) ?? [],
      input.records.get(workspaceId),
      input.now,
      input.graceMs,
    );
    return found ? [found] : [];
  });
}
