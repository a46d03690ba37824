/**
 * v1.3: the first half of a persistent workspace's save (decision 020). ECS's `STOPPED` of a task
 * with a data volume (rule DataTaskStopped) starts a snapshot of that volume, tagged with the
 * workspace and the task; EBS announces its completion, and `data-saved.ts` finishes the save.
 *
 * Nothing is saved for a workspace whose data is being erased (its record's `dataErase`): the
 * erase deletes the volume. A volume that already has a pending or completed snapshot is not
 * snapshotted again, so a redelivered stop starts nothing new.
 */
import { countMetric, type FlowInstrumentation } from '#adapters/instrumentation.ts';
import type { EcsTaskStateChangeDetail } from '#contracts/ecs.ts';
import { TAG_KEYS } from '#contracts/names.ts';
import { dataVolumeIdOf, isVolumeGone, snapshotTagsFor } from '#core/workspace-data.ts';
import type { WorkspaceRecordStore } from '#ports/workspace-record-store.ts';
import type { DataSnapshot, DataVolume, WorkspaceVolumes } from '#ports/workspace-volumes.ts';
import { METRIC } from '#wiring/names.ts';

/** What the save flows run on. */
export interface DataSavePorts {
  readonly volumes: WorkspaceVolumes;
  readonly workspaceRecords: Pick<WorkspaceRecordStore, 'get'>;
  /** The value of the `workspace-provisioner` tag on this deployment's volumes and snapshots. */
  readonly dataTag: string;
  readonly instrumentation: FlowInstrumentation;
}

/** What a stopped task's save did. */
export type DataSaveResult =
  | {
      readonly outcome: 'snapshotting';
      readonly snapshots: ReadonlyArray<{ readonly volumeId: string; readonly snapshotId: string }>;
    }
  | { readonly outcome: 'skipped'; readonly reason: string };

/** A snapshot that saves (or is saving) its volume: the volume is not snapshotted again. */
const savesItsVolume = (snapshot: DataSnapshot, volumeId: string): boolean =>
  snapshot.volumeId === volumeId && (snapshot.state === 'pending' || snapshot.state === 'completed');

/** The workspace of a stopped task: ECS's `startedBy` (the launch sets it), else its `workspace-id` tag. */
function workspaceIdOf(detail: EcsTaskStateChangeDetail): string | undefined {
  return detail.startedBy ?? detail.tags?.find((tag) => tag.key === TAG_KEYS.workspaceId)?.value;
}

/**
 * The volumes a stopped task leaves to save: the one its attachment names, or, when the
 * attachment names none, every volume of the workspace that is not attached (`in-use`) to a task.
 */
async function volumesToSave(
  detail: EcsTaskStateChangeDetail,
  workspaceId: string,
  ports: DataSavePorts,
): Promise<DataVolume[]> {
  const named = dataVolumeIdOf(detail.attachments);
  if (named) {
    const volume = await ports.volumes.describeVolume(named);
    // Only this deployment's volumes: the IAM would refuse the snapshot of any other anyway.
    return volume && volume.tags[TAG_KEYS.provisioner] === ports.dataTag ? [volume] : [];
  }
  const volumes = await ports.volumes.volumesOf(workspaceId);
  return volumes.filter((volume) => volume.state !== 'in-use');
}

/** `ECS Task State Change` (`STOPPED`, with a data volume): snapshots the task's volume. */
export async function onDataTaskStopped(
  detail: EcsTaskStateChangeDetail,
  ports: DataSavePorts,
): Promise<DataSaveResult> {
  const { logger, metrics } = ports.instrumentation;
  const skip = (reason: string): DataSaveResult => {
    logger.info('nothing to save', { taskArn: detail.taskArn, reason });
    return { outcome: 'skipped', reason };
  };
  if (detail.lastStatus !== 'STOPPED') return skip('the task has not stopped');
  const workspaceId = workspaceIdOf(detail);
  if (!workspaceId) return skip('the task names no workspace');
  const record = await ports.workspaceRecords.get(workspaceId);
  if (record?.dataErase) return skip("the workspace's data is being erased");

  const [candidates, snapshots] = await Promise.all([
    volumesToSave(detail, workspaceId, ports),
    ports.volumes.snapshotsOf(workspaceId),
  ]);
  const unsaved = candidates.filter(
    (volume) =>
      !isVolumeGone(volume) && !snapshots.some((snapshot) => savesItsVolume(snapshot, volume.volumeId)),
  );
  if (unsaved.length === 0) return skip('no volume of the task is left unsaved');

  const started: Array<{ volumeId: string; snapshotId: string }> = [];
  for (const volume of unsaved) {
    const snapshotId = await ports.volumes.createSnapshot(
      volume.volumeId,
      snapshotTagsFor(volume, detail.taskArn),
      `workspace ${workspaceId}: its data, saved when its task stopped`,
    );
    countMetric(metrics, METRIC.dataSaveStarted);
    logger.info('saving the workspace data', { volumeId: volume.volumeId, snapshotId });
    started.push({ volumeId: volume.volumeId, snapshotId });
  }
  return { outcome: 'snapshotting', snapshots: started };
}
