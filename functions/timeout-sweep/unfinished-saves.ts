/**
 * v1.3: the sweep resumes persistent-data saves that never finished (decision 020, "Saves the
 * sweep resumes"; `core/unfinished-saves.ts` decides which). A volume left unsaved because its
 * task's `STOPPED` was lost is snapshotted, as the lifecycle function would have; a completed
 * snapshot whose `EBS Snapshot Notification` was lost is finished as the notification would have
 * (`Workspace Data Saved`, then the volume goes, then the pruning). Without this, a lost event
 * left the volume for good, and every later launch of the workspace failed with
 * `DATA_SAVE_PENDING`.
 *
 * Each resumed save counts `ReconcileDataSaveResumed` (the reconciliation alarm). A step that
 * fails is logged and left to the next sweep, which finds the same volume again.
 */
import { countMetric } from '#adapters/instrumentation.ts';
import { TAG_KEYS } from '#contracts/names.ts';
import { findUnfinishedSaves } from '#core/unfinished-saves.ts';
import { snapshotTagsFor } from '#core/workspace-data.ts';
import { type DataSavedPorts, finishSave } from '#functions/lifecycle/data-saved.ts';
import type { Clock } from '#ports/clock.ts';
import type { WorkspaceRecord } from '#ports/workspace-record-store.ts';
import type { DataSnapshot, WorkspaceVolumes } from '#ports/workspace-volumes.ts';
import { METRIC } from '#wiring/names.ts';

/** What resuming saves runs on: what finishing a save does, and the clock. */
export interface UnfinishedSavesPorts extends DataSavedPorts {
  readonly volumes: WorkspaceVolumes;
  readonly clock: Clock;
}

/** What one sweep resumed. */
export interface UnfinishedSavesResult {
  /** Volumes left unsaved, now being snapshotted. */
  readonly snapshotted: readonly string[];
  /** Completed snapshots whose save the sweep finished. */
  readonly finished: readonly string[];
  /** Volumes whose resumed save failed this time; the next sweep tries again. */
  readonly failed: readonly string[];
}

/** Looks through the deployment's unattached volumes and resumes each save left unfinished. */
export async function resumeUnfinishedSaves(
  ports: UnfinishedSavesPorts,
  graceMs: number,
): Promise<UnfinishedSavesResult> {
  const { logger, metrics } = ports.instrumentation;
  const result = { snapshotted: [] as string[], finished: [] as string[], failed: [] as string[] };
  // One DescribeVolumes (by the deployment's tag and `available`) when nothing is left behind.
  const volumes = await ports.volumes.availableVolumes();
  if (volumes.length === 0) return result;

  const snapshots = new Map<string, readonly DataSnapshot[]>();
  const records = new Map<string, WorkspaceRecord>();
  for (const workspaceId of new Set(volumes.flatMap((volume) => volume.tags[TAG_KEYS.workspaceId] ?? []))) {
    const [own, record] = await Promise.all([
      ports.volumes.snapshotsOf(workspaceId),
      ports.workspaceRecords.get(workspaceId),
    ]);
    snapshots.set(workspaceId, own);
    if (record) records.set(workspaceId, record);
  }
  const found = findUnfinishedSaves({ volumes, snapshots, records, now: ports.clock.now(), graceMs });

  for (const save of found) {
    const { volumeId } = save.volume;
    try {
      if (save.action === 'snapshot') {
        const snapshotId = await ports.volumes.createSnapshot(
          volumeId,
          snapshotTagsFor(save.volume, save.taskArn),
          `workspace ${save.workspaceId}: its data, saved by the sweep (its task's stop was never saved)`,
        );
        countMetric(metrics, METRIC.dataSaveStarted);
        logger.warn('resumed a save: snapshotting a volume its stop left unsaved', {
          workspaceId: save.workspaceId,
          volumeId,
          snapshotId,
        });
        result.snapshotted.push(volumeId);
      } else {
        logger.warn('resumed a save: finishing a completed snapshot whose notification was lost', {
          workspaceId: save.workspaceId,
          volumeId,
          snapshotId: save.snapshot.snapshotId,
        });
        await finishSave(save.workspaceId, save.snapshot, volumeId, ports);
        result.finished.push(save.snapshot.snapshotId);
      }
      countMetric(metrics, METRIC.reconcileDataSaveResumed);
    } catch (error) {
      result.failed.push(volumeId);
      logger.error('could not resume a save; the next sweep tries again', {
        workspaceId: save.workspaceId,
        volumeId,
        error: error as Error,
      });
    }
  }
  return result;
}
