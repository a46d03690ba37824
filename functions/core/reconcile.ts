/**
 * The reconciliation sweep's comparison (v1.2) of what the provisioner recorded with what ECS runs.
 * Pure: the caller lists the cluster's live tasks and reads the records, then stops the orphans
 * (reporting `Workspace Orphan Task Stopped`) and recovers the lost workspaces (cause `lost`).
 *
 * Both findings wait out a grace period, so the sweep never races a step that is still under way:
 * a task just launched whose record is not written yet, a task state change still on its way, a
 * recovery whose backoff is not over.
 */
import type { OrphanReason } from '#contracts/names.ts';
import type { WorkspaceRecord } from '#ports/workspace-record-store.ts';

/** A task ECS runs in the provisioner's cluster (ListTasks + DescribeTasks, desired status RUNNING). */
export interface LiveTask {
  readonly taskArn: string;
  /** The workspace it runs for (its `startedBy` or `workspace-id` tag), when it says. */
  readonly workspaceId?: string;
  /** Epoch ms ECS created it. */
  readonly createdAt: number;
  /** True when it carries the tags the provisioner launches every task with (a `request-id` among them). */
  readonly launchedByProvisioner: boolean;
}

/** What {@link reconcile} compares. */
export interface ReconcileInput {
  /** Every live task of the cluster: a task left out here reads as missing, so its workspace as lost. */
  readonly liveTasks: readonly LiveTask[];
  /**
   * The records by workspaceId: every live record, and the record of each live task's workspace
   * when it has one (a workspace absent here reads as having none).
   */
  readonly records: ReadonlyMap<string, WorkspaceRecord>;
  /** Epoch ms of the sweep. */
  readonly now: number;
  /** How long a task, a state or an overdue recovery is left alone before it counts. */
  readonly graceMs: number;
}

/** A task that should not run. */
export interface OrphanTask {
  readonly taskArn: string;
  readonly workspaceId: string;
  readonly reason: OrphanReason;
}

/** What the sweep acts on. */
export interface ReconcileFindings {
  /** Tasks to stop and report, in the order of `liveTasks`. */
  readonly orphans: OrphanTask[];
  /** Workspaces to recover with cause `lost`, in the order of `records`. */
  readonly lost: WorkspaceRecord[];
}

/**
 * Why a live task should not run, or `undefined` when it may:
 * - `deprovisioned`: its workspace was deprovisioned. A task run by hand is judged at once (a launch
 *   records the workspace `provisioning` before RunTask, so no launch of the provisioner's can look
 *   like this). A task the provisioner launched is judged only once the deprovision is older than
 *   the grace period: a deprovision records the workspace deprovisioned and then stops its tasks,
 *   so a sweep in between would otherwise report the very task the deprovision is stopping;
 * - `not-launched-by-provisioner`: its workspace is recorded, but the task is neither the recorded
 *   one nor one the provisioner launched (someone ran it by hand under the workspace's name), and
 *   it is older than the grace period (the record of a launch may be a moment behind the task).
 * A task whose workspace has no record is not judged: workspaces launched before v1.2 have none,
 * and stopping them would be a worse mistake than leaving a stray task to its owner.
 */
function orphanReasonOf(
  task: LiveTask,
  record: WorkspaceRecord | undefined,
  input: ReconcileInput,
): OrphanReason | undefined {
  if (record === undefined) return undefined;
  if (record.state === 'deprovisioned') {
    const deprovisionSettled = input.now - record.since > input.graceMs;
    return !task.launchedByProvisioner || deprovisionSettled ? 'deprovisioned' : undefined;
  }
  const settled = input.now - task.createdAt > input.graceMs;
  if (settled && task.taskArn !== record.taskArn && !task.launchedByProvisioner)
    return 'not-launched-by-provisioner';
  return undefined;
}

/**
 * True when a live workspace has no task although it should:
 * - `running` for longer than the grace period, and its recorded task is not live (a Stopped event
 *   that never arrived, or was lost on its way);
 * - `recovering`, its relaunch overdue by the grace period, and no task live for it (the delayed
 *   relaunch was lost).
 * - `provisioning` or `recovering` with no task named for longer than the grace period, and none
 *   live (a launch or relaunch that died before RunTask and was given up).
 */
function isLost(
  record: WorkspaceRecord,
  input: ReconcileInput,
  liveArns: ReadonlySet<string>,
  liveWorkspaces: ReadonlySet<string>,
): boolean {
  if (record.state === 'running') {
    return (
      input.now - record.since > input.graceMs &&
      (record.taskArn === undefined || !liveArns.has(record.taskArn))
    );
  }
  const noTask =
    !liveWorkspaces.has(record.workspaceId) &&
    (record.taskArn === undefined || !liveArns.has(record.taskArn));
  if (record.state === 'recovering' && record.pendingRecovery !== undefined) {
    return record.pendingRecovery.dueAt + input.graceMs < input.now && noTask;
  }
  // A launch or relaunch that never named a task (its invocation died between the record and
  // RunTask, and its event was given up): nothing else will ever launch it.
  if ((record.state === 'provisioning' || record.state === 'recovering') && record.taskArn === undefined) {
    return input.now - record.since > input.graceMs && noTask;
  }
  return false;
}

/**
 * Whether a workspace's recorded task, found not live, may still be on its way out: stopping, or
 * stopped within the grace period (its STOPPED not yet handled by task-state, which recovers a
 * crash as `crashed`, not `lost`). Only a task stopped longer ago, or one ECS no longer knows
 * (`undefined` here), makes the workspace lost.
 */
export function stopStillInFlight(
  task: { readonly lastStatus?: string; readonly stoppedAt?: number } | undefined,
  now: number,
  graceMs: number,
): boolean {
  if (task === undefined) return false;
  if (task.lastStatus !== 'STOPPED' || task.stoppedAt === undefined) return true;
  return now - task.stoppedAt <= graceMs;
}

/** Compares the cluster's live tasks with the workspace records. */
export function reconcile(input: ReconcileInput): ReconcileFindings {
  const orphans: OrphanTask[] = [];
  for (const task of input.liveTasks) {
    if (task.workspaceId === undefined) continue;
    const reason = orphanReasonOf(task, input.records.get(task.workspaceId), input);
    if (reason !== undefined) orphans.push({ taskArn: task.taskArn, workspaceId: task.workspaceId, reason });
  }
  const liveArns = new Set(input.liveTasks.map((task) => task.taskArn));
  const liveWorkspaces = new Set(
    input.liveTasks.flatMap((task) => (task.workspaceId === undefined ? [] : [task.workspaceId])),
  );
  const lost = [...input.records.values()].filter((record) =>
    isLost(record, input, liveArns, liveWorkspaces),
  );
  return { orphans, lost };
}
