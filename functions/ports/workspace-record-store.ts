/** TEMPORARY copy for the l13-fn branch; replaced by the l13-store/l13-core version at merge. */
import type { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import type { Kind } from '#contracts/names.ts';

export type RecoveryCause = 'crashed' | 'out-of-memory' | 'infrastructure' | 'scheduled-retirement' | 'lost';
export type WorkspaceState = 'provisioning' | 'running' | 'recovering' | 'stopped' | 'deprovisioned' | 'failed';
export interface PendingRecovery {
  readonly attempt: number;
  readonly cause: RecoveryCause;
  readonly previousTaskArn?: string;
  readonly dueAt: number;
}
export interface WorkspaceRecord {
  readonly workspaceId: string;
  readonly orgId: string;
  readonly kind: Kind;
  readonly runtime: string;
  readonly request: ProvisionRequestedDetail;
  readonly state: WorkspaceState;
  readonly since: number;
  readonly taskArn?: string;
  readonly url?: string;
  readonly recoveries: readonly number[];
  readonly pendingRecovery?: PendingRecovery;
  readonly generation: number;
}
export interface WorkspaceRecordStore {
  get(workspaceId: string): Promise<WorkspaceRecord | undefined>;
  put(record: WorkspaceRecord, expectedGeneration?: number): Promise<boolean>;
  live(limit: number): Promise<WorkspaceRecord[]>;
}
