/**
 * The workspace record store port (v1.2): one durable record per workspace, written by the
 * provisioner only. Restart, recovery, status and reconciliation act on it (and on what ECS says);
 * follow-up events are references, never authority. DynamoDB in AWS (item `workspace#<workspaceId>`
 * on the shared table, live records found through the sparse `live-workspaces` index), SQLite
 * locally (table `workspace_records`).
 */
import type { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import type { Kind, RecoveryCause } from '#contracts/names.ts';

/**
 * Where a workspace stands, as the provisioner recorded it. `provisioning`, `running` and
 * `recovering` are live (reconciliation looks at them); `stopped`, `deprovisioned` and `failed` are
 * not. `Workspace Status` reports these, plus `unknown` for a workspace with no record.
 */
export type WorkspaceState =
  | 'provisioning'
  | 'running'
  | 'recovering'
  | 'stopped'
  | 'deprovisioned'
  | 'failed';

/** A recovery decided but not yet launched: the relaunch waits until `dueAt`. */
export interface PendingRecovery {
  /** The n-th recovery within the crash-loop window (1 for causes that are not counted). */
  readonly attempt: number;
  readonly cause: RecoveryCause;
  /** The task that stopped (or is being replaced), when there was one. */
  readonly previousTaskArn?: string;
  /** Epoch ms at which the relaunch is due (the decision's time plus the backoff). */
  readonly dueAt: number;
}

/** v1.3: an erase of the workspace's data, asked for by a deprovision. */
export interface DataErase {
  /** The deprovision request that asked for it. */
  readonly requestId: string;
  /** Epoch ms. */
  readonly requestedAt: number;
}

/** One workspace, as the provisioner recorded it. */
export interface WorkspaceRecord {
  readonly workspaceId: string;
  readonly orgId: string;
  readonly kind: Kind;
  readonly runtime: string;
  /** The provision request the workspace runs (its requestId is the provision request's). */
  readonly request: ProvisionRequestedDetail;
  readonly state: WorkspaceState;
  /** Epoch ms of the last state change. */
  readonly since: number;
  readonly taskArn?: string;
  readonly url?: string;
  /** Epoch ms of each recovery launched, newest last (only those within the window are kept). */
  readonly recoveries: readonly number[];
  readonly pendingRecovery?: PendingRecovery;
  /**
   * The tasks a relaunch is replacing, until the new task is recorded: their stops are the
   * relaunch's own, never the workspace's (they share its request, so nothing else tells them apart).
   */
  readonly replacedTaskArns?: readonly string[];
  /**
   * v1.3: the workspace was deprovisioned with `erase: true` (that deprovision's `requestId`, and
   * when, epoch ms): its data is being erased, so a stopping task's volume is not saved and a
   * finished snapshot is deleted rather than kept. A later provision writes a fresh record without it.
   */
  readonly dataErase?: DataErase;
  /**
   * v1.3: the task a deprovision stopped (its `taskArn` goes): a data save the sweep resumes for
   * the volume that task left names it in `Workspace Data Saved`.
   */
  readonly lastTaskArn?: string;
  /** Bumped by every write that changes who owns the workspace's next launch; 1 or more once stored. */
  readonly generation: number;
}

export interface WorkspaceRecordStore {
  get(workspaceId: string): Promise<WorkspaceRecord | undefined>;
  /**
   * Writes `record`. With `expectedGeneration` undefined it creates or overwrites unconditionally;
   * with a number, it writes only while the stored record's `generation` equals it (a conditional
   * write), and with 0 only while there is no record yet (a workspace's first write). True when
   * written, false when the condition failed.
   */
  put(record: WorkspaceRecord, expectedGeneration?: number): Promise<boolean>;
  /** Records that are `running`, `provisioning` or `recovering` (for reconciliation), at most `limit`, in any order. */
  live(limit: number): Promise<WorkspaceRecord[]>;
}
