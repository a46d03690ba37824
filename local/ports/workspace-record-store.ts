import type { StatementSync } from 'node:sqlite';
import type { LocalDatabase } from '#local/interfaces.ts';
import { isLiveWorkspaceState, LIVE_WORKSPACE_STATES } from '#ports/live-workspace-states.ts';
import type { WorkspaceRecord, WorkspaceRecordStore } from '#ports/workspace-record-store.ts';

/**
 * v1.2: the workspace records on the local store, with the DynamoDB store's semantics: a put
 * without an expected generation writes unconditionally, one with 0 only while there is no record,
 * one with another number only while the stored generation is that (`INSERT … ON CONFLICT DO UPDATE … WHERE`), and `live` answers the records in
 * a live state (an index on `state`, where DynamoDB has its sparse live-workspaces index).
 */
export class SqliteWorkspaceRecordStore implements WorkspaceRecordStore {
  readonly #get: StatementSync;
  readonly #put: StatementSync;
  readonly #putIf: StatementSync;
  readonly #insert: StatementSync;
  readonly #live: StatementSync;

  constructor(database: LocalDatabase) {
    database.db.exec(`
      CREATE TABLE IF NOT EXISTS workspace_records (
        workspace_id TEXT PRIMARY KEY, generation INTEGER NOT NULL, state TEXT NOT NULL, data TEXT NOT NULL
      ) STRICT;
      CREATE INDEX IF NOT EXISTS workspace_records_state ON workspace_records (state);
    `);
    this.#get = database.db.prepare('SELECT data FROM workspace_records WHERE workspace_id = ?');
    this.#put = database.db.prepare(
      `INSERT INTO workspace_records (workspace_id, generation, state, data) VALUES (?, ?, ?, ?)
       ON CONFLICT (workspace_id) DO UPDATE SET generation = excluded.generation, state = excluded.state, data = excluded.data`,
    );
    this.#putIf = database.db.prepare(
      `UPDATE workspace_records SET generation = ?, state = ?, data = ? WHERE workspace_id = ? AND generation = ?`,
    );
    this.#insert = database.db.prepare(
      `INSERT INTO workspace_records (workspace_id, generation, state, data) VALUES (?, ?, ?, ?)
       ON CONFLICT (workspace_id) DO NOTHING`,
    );
    const live = LIVE_WORKSPACE_STATES.map(() => '?').join(', ');
    this.#live = database.db.prepare(`SELECT data FROM workspace_records WHERE state IN (${live}) LIMIT ?`);
  }

  async get(workspaceId: string): Promise<WorkspaceRecord | undefined> {
    return this.getNow(workspaceId);
  }
  async put(record: WorkspaceRecord, expectedGeneration?: number): Promise<boolean> {
    return this.putNow(record, expectedGeneration);
  }
  async live(limit: number): Promise<WorkspaceRecord[]> {
    return this.liveNow(limit);
  }

  getNow(workspaceId: string): WorkspaceRecord | undefined {
    const row = this.#get.get(workspaceId) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as WorkspaceRecord) : undefined;
  }

  putNow(record: WorkspaceRecord, expectedGeneration?: number): boolean {
    const data = JSON.stringify(record);
    if (expectedGeneration === undefined) {
      this.#put.run(record.workspaceId, record.generation, record.state, data);
      return true;
    }
    if (expectedGeneration === 0) {
      return Number(this.#insert.run(record.workspaceId, record.generation, record.state, data).changes) > 0;
    }
    const changed = this.#putIf.run(
      record.generation,
      record.state,
      data,
      record.workspaceId,
      expectedGeneration,
    );
    return Number(changed.changes) > 0;
  }

  liveNow(limit: number): WorkspaceRecord[] {
    const rows = this.#live.all(...LIVE_WORKSPACE_STATES, limit) as Array<{ data: string }>;
    return rows
      .map((row) => JSON.parse(row.data) as WorkspaceRecord)
      .filter((record) => isLiveWorkspaceState(record.state));
  }
}
