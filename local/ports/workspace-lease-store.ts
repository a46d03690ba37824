import type { StatementSync } from 'node:sqlite';
import type { LocalDatabase } from '#local/interfaces.ts';
import type { WorkspaceLaunchRecord, WorkspaceLeaseStore } from '#ports/workspace-lease-store.ts';

/**
 * Per-workspace launch leases and the last launch, on the local store. `acquire` is one
 * conditional upsert (free, expired or already ours), the same condition the DynamoDB store uses.
 */
export class SqliteWorkspaceLeaseStore implements WorkspaceLeaseStore {
  readonly #acquire: StatementSync;
  readonly #release: StatementSync;
  readonly #record: StatementSync;
  readonly #last: StatementSync;
  readonly #now: () => number;

  constructor(database: LocalDatabase, now: () => number = Date.now) {
    database.db.exec(`
      CREATE TABLE IF NOT EXISTS workspace_leases (
        workspace_id TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE IF NOT EXISTS workspace_launches (
        workspace_id TEXT PRIMARY KEY, request_id TEXT NOT NULL, task_arn TEXT NOT NULL, launched_at INTEGER NOT NULL
      ) STRICT;
    `);
    this.#now = now;
    this.#acquire = database.db.prepare(
      `INSERT INTO workspace_leases (workspace_id, owner, expires_at) VALUES (:workspaceId, :owner, :expiresAt)
       ON CONFLICT (workspace_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
       WHERE workspace_leases.expires_at <= :now OR workspace_leases.owner = excluded.owner`,
    );
    this.#release = database.db.prepare('DELETE FROM workspace_leases WHERE workspace_id = ? AND owner = ?');
    this.#record = database.db.prepare(
      `INSERT INTO workspace_launches (workspace_id, request_id, task_arn, launched_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (workspace_id) DO UPDATE SET request_id = excluded.request_id, task_arn = excluded.task_arn,
         launched_at = excluded.launched_at`,
    );
    this.#last = database.db.prepare(
      'SELECT workspace_id, request_id, task_arn, launched_at FROM workspace_launches WHERE workspace_id = ?',
    );
  }

  /**
   * Releases every lease. Called once at start-up: the stack is the only holder, so a lease left
   * then belongs to an invocation that died with the previous process.
   *
   * @returns how many leases were released
   */
  static releaseAll(database: LocalDatabase): number {
    const exists = database.db
      .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'workspace_leases'`)
      .get();
    if (!exists) return 0;
    return Number(database.db.prepare('DELETE FROM workspace_leases').run().changes);
  }

  async acquire(workspaceId: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.acquireNow(workspaceId, owner, ttlMs);
  }

  async release(workspaceId: string, owner: string): Promise<void> {
    this.releaseNow(workspaceId, owner);
  }

  async recordLaunch(record: WorkspaceLaunchRecord): Promise<void> {
    this.recordLaunchNow(record);
  }

  async lastLaunch(workspaceId: string): Promise<WorkspaceLaunchRecord | undefined> {
    return this.lastLaunchNow(workspaceId);
  }

  /** {@link acquire}, synchronously (for the handler threads' port operations). */
  acquireNow(workspaceId: string, owner: string, ttlMs: number): boolean {
    const now = this.#now();
    return Number(this.#acquire.run({ workspaceId, owner, expiresAt: now + ttlMs, now }).changes) > 0;
  }

  releaseNow(workspaceId: string, owner: string): void {
    this.#release.run(workspaceId, owner);
  }

  recordLaunchNow(record: WorkspaceLaunchRecord): void {
    this.#record.run(record.workspaceId, record.requestId, record.taskArn, record.launchedAt);
  }

  lastLaunchNow(workspaceId: string): WorkspaceLaunchRecord | undefined {
    const row = this.#last.get(workspaceId) as
      | { workspace_id: string; request_id: string; task_arn: string; launched_at: number }
      | undefined;
    if (!row) return undefined;
    return {
      workspaceId: row.workspace_id,
      requestId: row.request_id,
      taskArn: row.task_arn,
      launchedAt: row.launched_at,
    };
  }
}
