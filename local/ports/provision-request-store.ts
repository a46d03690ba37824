import type { StatementSync } from 'node:sqlite';
import type { LocalDatabase } from '#local/interfaces.ts';
import type {
  ProvisionRequestRecord,
  ProvisionRequestStatus,
  ProvisionRequestStore,
  ProvisionRequestUpdate,
} from '#ports/provision-request-store.ts';

interface Row {
  status: string;
  data: string;
  manifest: string | null;
  effective_config: string | null;
  task_arn: string | null;
  overlay_task_arn: string | null;
}

/**
 * The provision requests the provisioner recorded, on the local store: the same conditional
 * transitions as the DynamoDB store (one `UPDATE … WHERE status IN (…)`), an index on the deadline
 * of awaiting requests, and one on the task each launched.
 */
export class SqliteProvisionRequestStore implements ProvisionRequestStore {
  readonly #db: LocalDatabase['db'];
  readonly #insert: StatementSync;
  readonly #get: StatementSync;
  readonly #overdue: StatementSync;
  readonly #byTask: StatementSync;
  readonly #claim: StatementSync;

  constructor(database: LocalDatabase) {
    this.#db = database.db;
    database.db.exec(`
      CREATE TABLE IF NOT EXISTS provision_requests (
        request_id TEXT PRIMARY KEY, status TEXT NOT NULL, data TEXT NOT NULL, assets_deadline INTEGER,
        manifest TEXT, effective_config TEXT, task_arn TEXT, overlay_task_arn TEXT
      ) STRICT;
      CREATE INDEX IF NOT EXISTS provision_requests_awaiting ON provision_requests (status, assets_deadline);
      CREATE INDEX IF NOT EXISTS provision_requests_task ON provision_requests (task_arn);
    `);
    this.#insert = database.db.prepare(
      `INSERT INTO provision_requests (request_id, status, data, assets_deadline, manifest, effective_config, task_arn)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING`,
    );
    const columns = 'status, data, manifest, effective_config, task_arn, overlay_task_arn';
    this.#get = database.db.prepare(`SELECT ${columns} FROM provision_requests WHERE request_id = ?`);
    this.#overdue = database.db.prepare(
      `SELECT ${columns} FROM provision_requests WHERE status = 'awaiting-assets' AND assets_deadline <= ?
       ORDER BY assets_deadline LIMIT ?`,
    );
    this.#byTask = database.db.prepare(
      `SELECT ${columns} FROM provision_requests WHERE task_arn = ? LIMIT 1`,
    );
    this.#claim = database.db.prepare(
      `UPDATE provision_requests SET overlay_task_arn = ?
       WHERE request_id = ? AND (overlay_task_arn IS NULL OR overlay_task_arn <> ?)`,
    );
  }

  async create(record: ProvisionRequestRecord): Promise<boolean> {
    return this.createNow(record);
  }
  async get(requestId: string): Promise<ProvisionRequestRecord | undefined> {
    return this.getNow(requestId);
  }
  async transition(
    requestId: string,
    from: readonly ProvisionRequestStatus[],
    to: ProvisionRequestStatus,
    update: ProvisionRequestUpdate = {},
  ): Promise<boolean> {
    return this.transitionNow(requestId, from, to, update);
  }
  async overdueAwaitingAssets(now: number, limit: number): Promise<ProvisionRequestRecord[]> {
    return this.overdueNow(now, limit);
  }
  async findByTask(taskArn: string): Promise<ProvisionRequestRecord | undefined> {
    return this.findByTaskNow(taskArn);
  }
  async claimOverlayReport(requestId: string, taskArn: string): Promise<boolean> {
    return this.claimNow(requestId, taskArn);
  }

  /** {@link create}, synchronously (for the handler threads' port operations). */
  createNow(record: ProvisionRequestRecord): boolean {
    const { status, manifest, effectiveConfig, taskArn, overlayReportedTaskArn: _, ...data } = record;
    return (
      Number(
        this.#insert.run(
          record.request.requestId,
          status,
          JSON.stringify(data),
          record.assetsDeadline ?? null,
          manifest ? JSON.stringify(manifest) : null,
          effectiveConfig ? JSON.stringify(effectiveConfig) : null,
          taskArn ?? null,
        ).changes,
      ) > 0
    );
  }

  getNow(requestId: string): ProvisionRequestRecord | undefined {
    const row = this.#get.get(requestId) as Row | undefined;
    return row ? recordOf(row) : undefined;
  }

  transitionNow(
    requestId: string,
    from: readonly ProvisionRequestStatus[],
    to: ProvisionRequestStatus,
    update: ProvisionRequestUpdate = {},
  ): boolean {
    if (from.length === 0) return false;
    const sets = ['status = ?'];
    const values: Array<string | null> = [to];
    if (update.manifest !== undefined) {
      sets.push('manifest = ?');
      values.push(JSON.stringify(update.manifest));
    }
    if (update.effectiveConfig !== undefined) {
      sets.push('effective_config = ?');
      values.push(JSON.stringify(update.effectiveConfig));
    }
    if (update.taskArn !== undefined) {
      sets.push('task_arn = ?');
      values.push(update.taskArn);
    }
    const statement = this.#db.prepare(
      `UPDATE provision_requests SET ${sets.join(', ')} WHERE request_id = ? AND status IN (${from.map(() => '?').join(', ')})`,
    );
    return Number(statement.run(...values, requestId, ...from).changes) > 0;
  }

  overdueNow(now: number, limit: number): ProvisionRequestRecord[] {
    return (this.#overdue.all(now, limit) as unknown as Row[]).map(recordOf);
  }

  findByTaskNow(taskArn: string): ProvisionRequestRecord | undefined {
    const row = this.#byTask.get(taskArn) as Row | undefined;
    return row ? recordOf(row) : undefined;
  }

  claimNow(requestId: string, taskArn: string): boolean {
    return Number(this.#claim.run(taskArn, requestId, taskArn).changes) > 0;
  }
}

function recordOf(row: Row): ProvisionRequestRecord {
  return {
    ...(JSON.parse(row.data) as Omit<ProvisionRequestRecord, 'status'>),
    status: row.status as ProvisionRequestStatus,
    ...(row.manifest ? { manifest: JSON.parse(row.manifest) } : {}),
    ...(row.effective_config ? { effectiveConfig: JSON.parse(row.effective_config) } : {}),
    ...(row.task_arn ? { taskArn: row.task_arn } : {}),
    ...(row.overlay_task_arn ? { overlayReportedTaskArn: row.overlay_task_arn } : {}),
  };
}
