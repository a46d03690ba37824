/**
 * v1.3: the second half of a persistent workspace's save (decision 020). EBS's `EBS Snapshot
 * Notification` (rule DataSnapshotNotification) says a snapshot completed or failed:
 *
 * - `succeeded`: `Workspace Data Saved` says so, then the volume it was taken from is deleted
 *   (still attached: a retryable error before anything is said, the platform tries again) and
 *   snapshots beyond the retention are pruned. The event goes out before the volume goes: a launch
 *   waits until the volume is gone (`core/workspace-data.ts` decideRestore), so the new task's
 *   Task Launched always follows its data's Data Saved.
 * - `failed`: `Workspace Data Save Failed` and the `dataSaveFailed` metric (the alarm); the volume
 *   is kept, never deleted without a snapshot, and the workspace's next launch fails rather than
 *   start on older data.
 * - a workspace whose data is being erased: the snapshot and its volume are deleted, nothing said
 *   (the erase says `Workspace Data Erased`).
 *
 * Every snapshot of the account is announced; one without this deployment's tag is ignored.
 */
import { countMetric } from '#adapters/instrumentation.ts';
import type { EbsSnapshotNotificationDetail } from '#contracts/ec2.ts';
import { kindField } from '#contracts/fields.ts';
import { DETAIL_TYPES, EBS_CREATE_SNAPSHOT_EVENT, TAG_KEYS } from '#contracts/names.ts';
import type { DataSavedDetail, DataSaveFailedDetail } from '#contracts/outbound.ts';
import { ec2ResourceId, snapshotsToPrune } from '#core/workspace-data.ts';
import type { EventPublisher } from '#ports/event-publisher.ts';
import type { DataSnapshot } from '#ports/workspace-volumes.ts';
import { DEFAULT_DATA_SNAPSHOT_RETENTION, METRIC } from '#wiring/names.ts';
import type { DataSavePorts } from './data-save.ts';
import { DataInUseError } from './errors.ts';

/** What finishing a save runs on. */
export interface DataSavedPorts extends DataSavePorts {
  readonly publisher: EventPublisher;
  /** Completed snapshots kept per workspace. @default DEFAULT_DATA_SNAPSHOT_RETENTION */
  readonly retention?: number;
}

/** What a snapshot notification did. */
export type DataSavedResult =
  | { readonly outcome: 'saved'; readonly snapshotId: string; readonly pruned: readonly string[] }
  | { readonly outcome: 'save-failed'; readonly snapshotId: string; readonly volumeId: string }
  | { readonly outcome: 'erased'; readonly snapshotId: string; readonly volumeId?: string }
  | { readonly outcome: 'ignored'; readonly reason: string };

/** The one reason a failed save gives: generic, never EBS's own text (it can name resources). */
export const DATA_SAVE_FAILED_REASON =
  "the snapshot of the workspace's data volume failed; the volume is kept";

/** The owner fields a snapshot's tags carry, as the contract's events take them. */
function ownerOf(snapshot: DataSnapshot): { orgId?: string; kind?: DataSavedDetail['kind'] } {
  const orgId = snapshot.tags[TAG_KEYS.orgId];
  const kind = kindField.safeParse(snapshot.tags[TAG_KEYS.kind]);
  return { ...(orgId ? { orgId } : {}), ...(kind.success ? { kind: kind.data } : {}) };
}

/** `EBS Snapshot Notification`: finishes the save the snapshot belongs to. */
export async function onSnapshotNotification(
  detail: EbsSnapshotNotificationDetail,
  ports: DataSavedPorts,
): Promise<DataSavedResult> {
  const { logger } = ports.instrumentation;
  const ignore = (reason: string): DataSavedResult => {
    logger.info('ignored a snapshot notification', { reason });
    return { outcome: 'ignored', reason };
  };
  if (detail.event !== EBS_CREATE_SNAPSHOT_EVENT) return ignore(`not a ${EBS_CREATE_SNAPSHOT_EVENT} event`);
  const snapshotId = ec2ResourceId(detail.snapshot_id);
  const snapshot = await ports.volumes.describeSnapshot(snapshotId);
  if (!snapshot) return ignore('the snapshot no longer exists');
  if (snapshot.tags[TAG_KEYS.provisioner] !== ports.dataTag)
    return ignore('not a snapshot of this deployment');
  const workspaceId = snapshot.tags[TAG_KEYS.workspaceId];
  if (!workspaceId) return ignore('the snapshot names no workspace');
  logger.appendKeys({ workspaceId });
  const volumeId = snapshot.volumeId ?? (detail.source ? ec2ResourceId(detail.source) : undefined);

  const record = await ports.workspaceRecords.get(workspaceId);
  if (record?.dataErase) return eraseSave(snapshot, volumeId, ports);
  if (detail.result === 'succeeded') return finishSave(workspaceId, snapshot, volumeId, ports);
  return reportFailedSave(workspaceId, snapshot, volumeId, ports);
}

/**
 * The save succeeded: it is said, then the volume goes and older snapshots beyond the retention
 * go. Also what the sweep runs for a completed snapshot whose notification was lost.
 */
export async function finishSave(
  workspaceId: string,
  snapshot: DataSnapshot,
  volumeId: string | undefined,
  ports: DataSavedPorts,
): Promise<DataSavedResult> {
  const { logger, metrics } = ports.instrumentation;
  const volume = volumeId ? await ports.volumes.describeVolume(volumeId) : undefined;
  if (volumeId && volume?.state === 'in-use') throw new DataInUseError(volumeId);
  const taskArn = snapshot.tags[TAG_KEYS.taskArn];
  if (taskArn) {
    const saved: DataSavedDetail = {
      workspaceId,
      snapshotId: snapshot.snapshotId,
      sizeGiB: snapshot.sizeGiB,
      taskArn,
      ...ownerOf(snapshot),
    };
    await ports.publisher.publish([{ detailType: DETAIL_TYPES.dataSaved, detail: { ...saved } }]);
  } else {
    logger.warn('a saved snapshot names no task: Workspace Data Saved not sent', {
      snapshotId: snapshot.snapshotId,
    });
  }
  // Attached again between the look and the delete (never by this system): the retry says it again.
  if (volume && (await ports.volumes.deleteVolume(volume.volumeId)) === 'in-use') {
    throw new DataInUseError(volume.volumeId);
  }
  const pruned: string[] = [];
  const snapshots = await ports.volumes.snapshotsOf(workspaceId);
  for (const old of snapshotsToPrune(snapshots, ports.retention ?? DEFAULT_DATA_SNAPSHOT_RETENTION)) {
    if (old.snapshotId === snapshot.snapshotId) continue;
    const outcome = await ports.volumes.deleteSnapshot(old.snapshotId);
    // One still in use (by a launch restoring from it) is pruned by a later save.
    if (outcome === 'in-use') logger.info('kept a snapshot still in use', { snapshotId: old.snapshotId });
    else pruned.push(old.snapshotId);
  }
  countMetric(metrics, METRIC.dataSaved);
  logger.info('saved the workspace data', { snapshotId: snapshot.snapshotId, pruned: pruned.length });
  return { outcome: 'saved', snapshotId: snapshot.snapshotId, pruned };
}

/** The save failed: said, and alarmed on; the volume stays. */
async function reportFailedSave(
  workspaceId: string,
  snapshot: DataSnapshot,
  volumeId: string | undefined,
  ports: DataSavedPorts,
): Promise<DataSavedResult> {
  const { logger, metrics } = ports.instrumentation;
  const taskArn = snapshot.tags[TAG_KEYS.taskArn];
  const failed: DataSaveFailedDetail = {
    workspaceId,
    volumeId: volumeId ?? 'unknown',
    ...(taskArn ? { taskArn } : {}),
    snapshotId: snapshot.snapshotId,
    reason: DATA_SAVE_FAILED_REASON,
    ...ownerOf(snapshot),
  };
  await ports.publisher.publish([{ detailType: DETAIL_TYPES.dataSaveFailed, detail: { ...failed } }]);
  countMetric(metrics, METRIC.dataSaveFailed);
  logger.error('the save of the workspace data failed; the volume is kept', {
    snapshotId: snapshot.snapshotId,
    volumeId,
  });
  return { outcome: 'save-failed', snapshotId: snapshot.snapshotId, volumeId: failed.volumeId };
}

/** A save of a workspace being erased: the snapshot and its volume go, and nothing is said. */
async function eraseSave(
  snapshot: DataSnapshot,
  volumeId: string | undefined,
  ports: DataSavedPorts,
): Promise<DataSavedResult> {
  if ((await ports.volumes.deleteSnapshot(snapshot.snapshotId)) === 'in-use') {
    throw new DataInUseError(snapshot.snapshotId);
  }
  if (volumeId && (await ports.volumes.deleteVolume(volumeId)) === 'in-use') {
    throw new DataInUseError(volumeId);
  }
  ports.instrumentation.logger.info('deleted the save of a workspace being erased', {
    snapshotId: snapshot.snapshotId,
  });
  return { outcome: 'erased', snapshotId: snapshot.snapshotId, ...(volumeId ? { volumeId } : {}) };
}
