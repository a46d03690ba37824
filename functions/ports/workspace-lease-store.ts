/**
 * The workspace-lease-store port: serializes launches per workspace across concurrent invocations
 * and remembers the last launch. DynamoDB in AWS, SQLite locally.
 */

/** The launch recorded for a workspace: lets a racing request see a task ECS does not list yet. */
export interface WorkspaceLaunchRecord {
  readonly workspaceId: string;
  readonly requestId: string;
  readonly taskArn: string;
  readonly launchedAt: number;
}

/**
 * Serializes launches per workspace across concurrent invocations (at most one live task per
 * workspace even when two different requests race), and remembers the last launch.
 */
export interface WorkspaceLeaseStore {
  /** Conditional write: true when the lease was free or expired. */
  acquire(workspaceId: string, owner: string, ttlMs: number): Promise<boolean>;
  release(workspaceId: string, owner: string): Promise<void>;
  recordLaunch(record: WorkspaceLaunchRecord): Promise<void>;
  lastLaunch(workspaceId: string): Promise<WorkspaceLaunchRecord | undefined>;
}
