import type { StatementSync } from 'node:sqlite';
import type { LocalDatabase } from '#local/interfaces.ts';
import type { TaskVersionStore } from '#ports/task-version-store.ts';

/**
 * The last ECS task version seen per task, on the local store. `advance` is one conditional
 * upsert, so two racing task-state invocations cannot both win the same version.
 */
export class SqliteTaskVersionStore implements TaskVersionStore {
  readonly #advance: StatementSync;
  readonly #get: StatementSync;

  constructor(database: LocalDatabase) {
    database.db.exec(
      'CREATE TABLE IF NOT EXISTS task_versions (task_arn TEXT PRIMARY KEY, version INTEGER NOT NULL) STRICT',
    );
    this.#advance = database.db.prepare(
      `INSERT INTO task_versions (task_arn, version) VALUES (?, ?)
       ON CONFLICT (task_arn) DO UPDATE SET version = excluded.version WHERE excluded.version > task_versions.version`,
    );
    this.#get = database.db.prepare('SELECT version FROM task_versions WHERE task_arn = ?');
  }

  async advance(taskArn: string, version: number): Promise<boolean> {
    return this.advanceNow(taskArn, version);
  }

  async get(taskArn: string): Promise<number | undefined> {
    return this.getNow(taskArn);
  }

  /** {@link advance}, synchronously (for the handler threads' port operations). */
  advanceNow(taskArn: string, version: number): boolean {
    return Number(this.#advance.run(taskArn, version).changes) > 0;
  }

  getNow(taskArn: string): number | undefined {
    const row = this.#get.get(taskArn) as { version: number } | undefined;
    return row?.version;
  }
}
