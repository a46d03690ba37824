/**
 * The workspace-record store port: one durable record per workspace, written by the provisioner
 * only. Restart, recovery, status and reconciliation act on this record; a follow-up event is a
 * reference to it, never an authority over it. DynamoDB in AWS
 * (`adapters/dynamodb-workspace-records.ts`), SQLite locally (`local/ports/workspace-record-store.ts`).
 */
import type { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import type { Kind } from '#contracts/names.ts';

/**
 * Why a workspace is being recovered: its task crashed, ran out of memory, was stopped by the
 * infrastructure or is scheduled for retirement, or the sweep found it `lost` (it should run and
 * no task does). The same values as `RECOVERY_CAUSES` of the `Workspace Recovering` contract
 * (`contracts/names.ts`); the port keeps its own union so it stands without that module.
 */
export type RecoveryCause = 'crashed' | 'out-of-memory' | 'infrastructure' | 'scheduled-retirement' | 'lost';

/**
 * Where a workspace stands. `provisioning`, `running` and `recovering` are live (a task is, or is
 * about to be, running for it); `stopped`, `deprovisioned` and `failed` are not.
 */
export type WorkspaceState =
  | 'provisioning'
  | 'running'
  | 'recovering'
  | 'stopped'
  | 'deprovisioned'
  | 'failed';

/** A recovery decided and published, whose relaunch has not happened yet. */
export interface PendingRecovery {
  /** The n-th recovery in the current window (1 when not counted). */
  readonly attempt: number;
  readonly cause: RecoveryCause;
  /** The task that stopped, when one did. */
  readonly previousTaskArn?: string;
  /** Epoch ms the relaunch is due (after the backoff). */
  readonly dueAt: number;
}

/** One workspace as the provisioner last recorded it. */
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
  /** Bumped by every write that changes who owns the workspace's next launch. */
  readonly generation: number;
}

/** The workspace records, keyed by `workspaceId`; every write replaces the whole record. */
export interface WorkspaceRecordStore {
  /** The workspace's record as last written, read consistently. */
  get(workspaceId: string): Promise<WorkspaceRecord | undefined>;
  /**
   * Writes `record` as the workspace's whole record. With `expectedGeneration` undefined it creates
   * or overwrites unconditionally (provision's first write); with a number it writes only while the
   * stored record's `generation` equals it, so of two writers that read the same record only one
   * wins. True when written; false when the condition did not hold (also when no record exists).
   */
  put(record: WorkspaceRecord, expectedGeneration?: number): Promise<boolean>;
  /** Records that are `running`, `provisioning` or `recovering` (for reconciliation), at most `limit`, in any order. */
  live(limit: number): Promise<WorkspaceRecord[]>;
}
