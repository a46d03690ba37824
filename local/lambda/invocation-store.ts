import type { StatementSync } from 'node:sqlite';
import type { LocalDatabase } from '#local/interfaces.ts';

/**
 * Where one async invocation stands:
 * - `queued`: waiting for a concurrency slot, or for its retry at `next_attempt_at`;
 * - `running`: an attempt started (written before the handler is called, so an attempt cut short
 *   by a crash still counts, as a Lambda environment that died mid-invocation would);
 * - `succeeded`, or `failed`: retries or event age spent; the on-failure record and the function
 *   DLQ entry were written in the same transaction.
 */
export type InvocationStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface StoredInvocation {
  readonly id: number;
  readonly functionName: string;
  readonly requestId: string;
  readonly origin: string;
  readonly payload: string;
  readonly status: InvocationStatus;
  readonly attempts: number;
  readonly enqueuedAt: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS invocations (
  id INTEGER PRIMARY KEY,
  function TEXT NOT NULL,
  request_id TEXT NOT NULL,
  origin TEXT NOT NULL UNIQUE,
  payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  enqueued_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  finished_at INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS invocations_open ON invocations (status) WHERE status IN ('queued', 'running');
CREATE TABLE IF NOT EXISTS function_dead_letters (
  invocation_id INTEGER PRIMARY KEY,
  function TEXT NOT NULL,
  request_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  condition TEXT NOT NULL,
  error_type TEXT,
  error_message TEXT,
  attempts INTEGER NOT NULL,
  dead_lettered_at INTEGER NOT NULL
) STRICT;
`;

interface Row {
  id: number;
  function: string;
  request_id: string;
  origin: string;
  payload: string;
  status: InvocationStatus;
  attempts: number;
  enqueued_at: number;
  next_attempt_at: number;
  last_error: string | null;
}

/** The invoker's durable state: every async invocation and the functions' dead-letter tables. */
export class InvocationStore {
  readonly #insert: StatementSync;
  readonly #start: StatementSync;
  readonly #succeed: StatementSync;
  readonly #requeue: StatementSync;
  readonly #fail: StatementSync;
  readonly #deadLetter: StatementSync;
  readonly #open: StatementSync;

  constructor(database: LocalDatabase) {
    database.db.exec(SCHEMA);
    const db = database.db;
    this.#insert = db.prepare(
      `INSERT INTO invocations (function, request_id, origin, payload, status, enqueued_at, next_attempt_at)
       VALUES (?, ?, ?, ?, 'queued', ?, ?)`,
    );
    this.#start = db.prepare(
      `UPDATE invocations SET status = 'running', attempts = attempts + 1 WHERE id = ? AND status = 'queued'`,
    );
    this.#succeed = db.prepare(
      `UPDATE invocations SET status = 'succeeded', finished_at = ? WHERE id = ? AND status = 'running'`,
    );
    this.#requeue = db.prepare(
      `UPDATE invocations SET status = 'queued', next_attempt_at = ?, last_error = ? WHERE id = ?`,
    );
    this.#fail = db.prepare(
      `UPDATE invocations SET status = 'failed', last_error = ?, finished_at = ? WHERE id = ? AND status IN ('queued', 'running')`,
    );
    this.#deadLetter = db.prepare(
      `INSERT OR IGNORE INTO function_dead_letters
         (invocation_id, function, request_id, payload, condition, error_type, error_message, attempts, dead_lettered_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#open = db.prepare(`SELECT * FROM invocations WHERE status IN ('queued', 'running') ORDER BY id`);
  }

  /** Queues a new invocation. Throws on a repeated `origin`: the same event is never queued twice. */
  insert(row: {
    functionName: string;
    requestId: string;
    origin: string;
    payload: string;
    enqueuedAt: number;
    nextAttemptAt: number;
  }): number {
    const result = this.#insert.run(
      row.functionName,
      row.requestId,
      row.origin,
      row.payload,
      row.enqueuedAt,
      row.nextAttemptAt,
    );
    return Number(result.lastInsertRowid);
  }

  /** Records the start of an attempt; false when the invocation is not queued (already taken). */
  start(id: number): boolean {
    return Number(this.#start.run(id).changes) > 0;
  }

  succeed(id: number, now: number): void {
    this.#succeed.run(now, id);
  }

  requeue(id: number, nextAttemptAt: number, lastError: string): void {
    this.#requeue.run(nextAttemptAt, lastError, id);
  }

  /** Marks the invocation failed; false when it was already settled. */
  fail(id: number, lastError: string, now: number): boolean {
    return Number(this.#fail.run(lastError, now, id).changes) > 0;
  }

  deadLetter(row: {
    invocationId: number;
    functionName: string;
    requestId: string;
    payload: string;
    condition: string;
    errorType: string | null;
    errorMessage: string | null;
    attempts: number;
    now: number;
  }): void {
    this.#deadLetter.run(
      row.invocationId,
      row.functionName,
      row.requestId,
      row.payload,
      row.condition,
      row.errorType,
      row.errorMessage,
      row.attempts,
      row.now,
    );
  }

  /** Everything not settled yet: what a restart must pick up. */
  open(): StoredInvocation[] {
    return (this.#open.all() as unknown as Row[]).map((row) => ({
      id: row.id,
      functionName: row.function,
      requestId: row.request_id,
      origin: row.origin,
      payload: row.payload,
      status: row.status,
      attempts: row.attempts,
      enqueuedAt: row.enqueued_at,
      nextAttemptAt: row.next_attempt_at,
      lastError: row.last_error,
    }));
  }
}
