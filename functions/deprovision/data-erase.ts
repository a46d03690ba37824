/**
 * v1.3: the erase of a persistent workspace's data, asked for by a deprovision with `erase: true`
 * (decision 020). It runs after the deprovision has recorded the erase and stopped the tasks, under
 * the same workspace lease (so no launch restores from what it deletes): it waits until the
 * workspace's tasks have stopped and no snapshot is pending, then deletes every snapshot and every
 * volume of the workspace. A volume still attached, or a snapshot still in use, is tried again at
 * the next poll; whatever still blocks at the invocation's bound fails it with a retryable error.
 */
import type { FlowInstrumentation } from '#adapters/instrumentation.ts';
import { isVolumeGone } from '#core/workspace-data.ts';
import type { Clock } from '#ports/clock.ts';
import type { TaskRunner } from '#ports/task-runner.ts';
import type { WorkspaceVolumes } from '#ports/workspace-volumes.ts';
import { DataEraseBlockedError } from './errors.ts';

/** How often the erase looks again at what blocks it. */
export const ERASE_POLL_MS = 2_000;

/** What the erase runs on. */
export interface DataErasePorts {
  readonly volumes: WorkspaceVolumes;
  readonly runner: Pick<TaskRunner, 'describeTasks'>;
  readonly clock: Clock;
  readonly instrumentation: FlowInstrumentation;
}

/** What the erase deleted (or found already gone). */
export interface ErasedData {
  readonly snapshotIds: readonly string[];
  readonly volumeIds: readonly string[];
}

/**
 * Erases the workspace's snapshots and volumes, polling until `deadline` (clock ms) while a task
 * of `stoppedTaskArns` has not stopped, a snapshot is pending, or a delete finds its target in use.
 *
 * @throws DataEraseBlockedError (retryable) when something still blocks at the deadline.
 */
export async function eraseWorkspaceData(
  workspaceId: string,
  stoppedTaskArns: readonly string[],
  ports: DataErasePorts,
  deadline: number,
): Promise<ErasedData> {
  const { clock } = ports;
  const snapshotIds = new Set<string>();
  const volumeIds = new Set<string>();
  for (;;) {
    const blocked = await eraseOnce(workspaceId, stoppedTaskArns, ports, { snapshotIds, volumeIds });
    if (!blocked) return { snapshotIds: [...snapshotIds], volumeIds: [...volumeIds] };
    if (clock.now() + ERASE_POLL_MS > deadline) {
      throw new DataEraseBlockedError(
        `the erase of workspace ${workspaceId}'s data is blocked (${blocked}); the platform will retry`,
      );
    }
    ports.instrumentation.logger.info('the erase waits', { reason: blocked });
    await clock.sleep(ERASE_POLL_MS);
  }
}

/** One pass: deletes what it can; answers what still blocks, or undefined when all is gone. */
async function eraseOnce(
  workspaceId: string,
  stoppedTaskArns: readonly string[],
  ports: DataErasePorts,
  erased: { readonly snapshotIds: Set<string>; readonly volumeIds: Set<string> },
): Promise<string | undefined> {
  if (stoppedTaskArns.length > 0) {
    const { tasks } = await ports.runner.describeTasks(stoppedTaskArns);
    const stopping = tasks.filter((task) => task.lastStatus !== 'STOPPED');
    // Its volume is still attached, and its save (skipped for an erase) is not decided yet.
    if (stopping.length > 0) return `${stopping.length} task(s) still stopping`;
  }
  const snapshots = await ports.volumes.snapshotsOf(workspaceId);
  // A pending snapshot cannot be deleted; its notification deletes it too, else the next pass does.
  if (snapshots.some((snapshot) => snapshot.state === 'pending')) return 'a snapshot is still pending';
  const blocked: string[] = [];
  for (const snapshot of snapshots) {
    const outcome = await ports.volumes.deleteSnapshot(snapshot.snapshotId);
    if (outcome === 'in-use') blocked.push(`snapshot ${snapshot.snapshotId} in use`);
    else erased.snapshotIds.add(snapshot.snapshotId);
  }
  for (const volume of await ports.volumes.volumesOf(workspaceId)) {
    if (isVolumeGone(volume)) {
      erased.volumeIds.add(volume.volumeId);
      continue;
    }
    const outcome = await ports.volumes.deleteVolume(volume.volumeId);
    if (outcome === 'in-use') blocked.push(`volume ${volume.volumeId} in use`);
    else erased.volumeIds.add(volume.volumeId);
  }
  return blocked.length > 0 ? blocked.join(', ') : undefined;
}
