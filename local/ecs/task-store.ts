import type { StatementSync } from 'node:sqlite';
import type { LocalDatabase } from '../interfaces.ts';
import type { TaskRecord } from './task-record.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ecs_tasks (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  task_arn TEXT NOT NULL UNIQUE,
  cluster_arn TEXT NOT NULL,
  family TEXT NOT NULL,
  started_by TEXT,
  desired_status TEXT NOT NULL,
  last_status TEXT NOT NULL,
  version INTEGER NOT NULL,
  task_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ecs_tasks_by_started_by ON ecs_tasks (cluster_arn, started_by, desired_status, seq);
CREATE INDEX IF NOT EXISTS ecs_tasks_by_family ON ecs_tasks (cluster_arn, family, desired_status, seq);
CREATE INDEX IF NOT EXISTS ecs_tasks_by_desired_status ON ecs_tasks (cluster_arn, desired_status, seq);
CREATE INDEX IF NOT EXISTS ecs_tasks_live ON ecs_tasks (cluster_arn, last_status);
CREATE TABLE IF NOT EXISTS ecs_client_tokens (
  cluster_arn TEXT NOT NULL,
  client_token TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  task_arns_json TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (cluster_arn, client_token)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ecs_client_tokens_by_age ON ecs_client_tokens (created_at);
`;

/** A clientToken's first use: what a retry with the same token gets back. */
export interface ClientTokenRecord {
  readonly requestHash: string;
  readonly taskArns: readonly string[];
  readonly createdAt: number;
}

/** ListTasks filters; `desiredStatus` always applies. */
export interface TaskListQuery {
  readonly clusterArn: string;
  readonly desiredStatus: string;
  readonly startedBy?: string;
  readonly family?: string;
  readonly afterSeq: number;
  readonly limit: number;
}

/** The ECS emulator's tables: `ecs_tasks` (each task whole, as JSON) and `ecs_client_tokens`. */
export interface TaskStore {
  insert(task: TaskRecord): void;
  update(task: TaskRecord): void;
  get(taskArn: string): TaskRecord | undefined;
  /** Tasks of the cluster that have not reached STOPPED, oldest first. */
  live(clusterArn: string): TaskRecord[];
  list(query: TaskListQuery): Array<{ seq: number; taskArn: string }>;
  clientToken(clusterArn: string, token: string): ClientTokenRecord | undefined;
  saveClientToken(clusterArn: string, token: string, record: ClientTokenRecord): void;
  /** Forgets tokens created before `before`. */
  pruneClientTokens(before: number): void;
}

/** Creates the tables if needed and prepares every statement once. */
export function createTaskStore(database: LocalDatabase): TaskStore {
  const { db } = database;
  db.exec(SCHEMA);
  const insert = db.prepare(
    `INSERT INTO ecs_tasks (task_arn, cluster_arn, family, started_by, desired_status, last_status, version, task_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const update = db.prepare(
    'UPDATE ecs_tasks SET desired_status = ?, last_status = ?, version = ?, task_json = ? WHERE task_arn = ?',
  );
  const get = db.prepare('SELECT task_json FROM ecs_tasks WHERE task_arn = ?');
  const live = db.prepare(
    "SELECT task_json FROM ecs_tasks WHERE cluster_arn = ? AND last_status != 'STOPPED' ORDER BY seq",
  );
  const getToken = db.prepare(
    'SELECT request_hash, task_arns_json, created_at FROM ecs_client_tokens WHERE cluster_arn = ? AND client_token = ?',
  );
  const saveToken = db.prepare(
    `INSERT OR REPLACE INTO ecs_client_tokens (cluster_arn, client_token, request_hash, task_arns_json, created_at)
     VALUES (?, ?, ?, ?, ?)`,
  );
  const pruneTokens = db.prepare('DELETE FROM ecs_client_tokens WHERE created_at < ?');
  const listStatements = new Map<string, StatementSync>();

  function listStatement(byStartedBy: boolean, byFamily: boolean): StatementSync {
    const key = `${byStartedBy}:${byFamily}`;
    let statement = listStatements.get(key);
    if (statement === undefined) {
      statement = db.prepare(
        `SELECT seq, task_arn FROM ecs_tasks WHERE cluster_arn = ? AND desired_status = ?${
          byStartedBy ? ' AND started_by = ?' : ''
        }${byFamily ? ' AND family = ?' : ''} AND seq > ? ORDER BY seq LIMIT ?`,
      );
      listStatements.set(key, statement);
    }
    return statement;
  }

  const parse = (row: unknown): TaskRecord | undefined =>
    row === undefined ? undefined : (JSON.parse((row as { task_json: string }).task_json) as TaskRecord);

  return {
    insert(task) {
      insert.run(
        task.taskArn,
        task.clusterArn,
        task.family,
        task.startedBy ?? null,
        task.desiredStatus,
        task.lastStatus,
        task.version,
        JSON.stringify(task),
      );
    },
    update(task) {
      update.run(task.desiredStatus, task.lastStatus, task.version, JSON.stringify(task), task.taskArn);
    },
    get: (taskArn) => parse(get.get(taskArn)),
    live: (clusterArn) => live.all(clusterArn).map((row) => parse(row) as TaskRecord),
    list(query) {
      const parameters: Array<string | number> = [query.clusterArn, query.desiredStatus];
      if (query.startedBy !== undefined) parameters.push(query.startedBy);
      if (query.family !== undefined) parameters.push(query.family);
      parameters.push(query.afterSeq, query.limit);
      const rows = listStatement(query.startedBy !== undefined, query.family !== undefined).all(
        ...parameters,
      ) as Array<{
        seq: number;
        task_arn: string;
      }>;
      return rows.map((row) => ({ seq: row.seq, taskArn: row.task_arn }));
    },
    clientToken(clusterArn, token) {
      const row = getToken.get(clusterArn, token) as
        | { request_hash: string; task_arns_json: string; created_at: number }
        | undefined;
      if (row === undefined) return undefined;
      return {
        requestHash: row.request_hash,
        taskArns: JSON.parse(row.task_arns_json) as string[],
        createdAt: row.created_at,
      };
    },
    saveClientToken(clusterArn, token, record) {
      saveToken.run(clusterArn, token, record.requestHash, JSON.stringify(record.taskArns), record.createdAt);
    },
    pruneClientTokens(before) {
      pruneTokens.run(before);
    },
  };
}
