import type { StatementSync } from 'node:sqlite';
import type { LocalDatabase } from '#local/interfaces.ts';

/**
 * Where one (event, route) pair stands:
 * - `pending`: not yet handed to the target; `next_attempt_at` says when it is tried (again);
 * - `delivered`: handed over, in the same transaction that queued the target's invocation;
 * - `dlq`: retries or event age spent (or a non-retryable refusal); kept in `target_dead_letters`;
 * - `failed`: spent, and the route has no dead-letter queue, so the event is dropped (as AWS does).
 */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'dlq';

export interface PendingDelivery {
  readonly seq: number;
  readonly routeId: string;
  readonly attempts: number;
  readonly nextAttemptAt: number;
}

export interface DeliveryCounts {
  readonly pending: number;
  readonly delivered: number;
  readonly failed: number;
  readonly dlq: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deliveries (
  seq INTEGER NOT NULL,
  route_id TEXT NOT NULL,
  target TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'dlq')),
  attempts INTEGER NOT NULL,
  next_attempt_at INTEGER,
  last_error TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (seq, route_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE TABLE IF NOT EXISTS target_dead_letters (
  seq INTEGER NOT NULL,
  route_id TEXT NOT NULL,
  target TEXT NOT NULL,
  envelope TEXT NOT NULL,
  error_code TEXT NOT NULL,
  error_message TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  dead_lettered_at INTEGER NOT NULL,
  PRIMARY KEY (seq, route_id)
) STRICT;
CREATE TABLE IF NOT EXISTS routing_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
INSERT OR IGNORE INTO routing_state (key, value) VALUES ('routed_up_to', 0);
`;

/** The router's durable bookkeeping: one row per (event seq, route), the routed-up-to mark, the DLQ. */
export class DeliveryStore {
  readonly #insert: StatementSync;
  readonly #update: StatementSync;
  readonly #deadLetter: StatementSync;
  readonly #readMark: StatementSync;
  readonly #advanceMark: StatementSync;
  readonly #pending: StatementSync;
  readonly #counts: StatementSync;

  constructor(database: LocalDatabase) {
    database.db.exec(SCHEMA);
    const db = database.db;
    this.#insert = db.prepare(
      `INSERT INTO deliveries (seq, route_id, target, status, attempts, next_attempt_at, last_error, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (seq, route_id) DO NOTHING`,
    );
    this.#update = db.prepare(
      `UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, updated_at = ?
       WHERE seq = ? AND route_id = ? AND status = 'pending'`,
    );
    this.#deadLetter = db.prepare(
      `INSERT OR REPLACE INTO target_dead_letters
         (seq, route_id, target, envelope, error_code, error_message, attempts, dead_lettered_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#readMark = db.prepare(`SELECT value FROM routing_state WHERE key = 'routed_up_to'`);
    this.#advanceMark = db.prepare(
      `UPDATE routing_state SET value = max(value, ?) WHERE key = 'routed_up_to'`,
    );
    this.#pending = db.prepare(
      `SELECT seq, route_id, attempts, next_attempt_at FROM deliveries WHERE status = 'pending' ORDER BY seq`,
    );
    this.#counts = db.prepare('SELECT status, count(*) AS n FROM deliveries GROUP BY status');
  }

  /** The highest seq whose deliveries were all created. */
  routedUpTo(): number {
    return Number((this.#readMark.get() as { value: number }).value);
  }

  advanceMark(seq: number): void {
    this.#advanceMark.run(seq);
  }

  /** Creates the row of a first hand-over; false when it exists already (routed before). */
  create(row: {
    seq: number;
    routeId: string;
    target: string;
    status: DeliveryStatus;
    attempts: number;
    nextAttemptAt: number | null;
    lastError: string | null;
    now: number;
  }): boolean {
    const result = this.#insert.run(
      row.seq,
      row.routeId,
      row.target,
      row.status,
      row.attempts,
      row.nextAttemptAt,
      row.lastError,
      row.now,
    );
    return Number(result.changes) > 0;
  }

  /** Moves a pending row on; false when it is no longer pending (someone else settled it). */
  settle(row: {
    seq: number;
    routeId: string;
    status: DeliveryStatus;
    attempts: number;
    nextAttemptAt: number | null;
    lastError: string | null;
    now: number;
  }): boolean {
    const result = this.#update.run(
      row.status,
      row.attempts,
      row.nextAttemptAt,
      row.lastError,
      row.now,
      row.seq,
      row.routeId,
    );
    return Number(result.changes) > 0;
  }

  deadLetter(row: {
    seq: number;
    routeId: string;
    target: string;
    envelope: unknown;
    errorCode: string;
    errorMessage: string;
    attempts: number;
    now: number;
  }): void {
    this.#deadLetter.run(
      row.seq,
      row.routeId,
      row.target,
      JSON.stringify(row.envelope),
      row.errorCode,
      row.errorMessage,
      row.attempts,
      row.now,
    );
  }

  pending(): PendingDelivery[] {
    return (
      this.#pending.all() as Array<{
        seq: number;
        route_id: string;
        attempts: number;
        next_attempt_at: number | null;
      }>
    ).map((row) => ({
      seq: row.seq,
      routeId: row.route_id,
      attempts: row.attempts,
      nextAttemptAt: row.next_attempt_at ?? 0,
    }));
  }

  counts(): DeliveryCounts {
    const counts = { pending: 0, delivered: 0, failed: 0, dlq: 0 };
    for (const row of this.#counts.all() as Array<{ status: DeliveryStatus; n: number }>)
      counts[row.status] = row.n;
    return counts;
  }
}
