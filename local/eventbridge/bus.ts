import type { StatementSync } from 'node:sqlite';
import type { AcceptedEvent, EventEnvelope, LocalDatabase, LocalEventBus } from '../interfaces.ts';
import { afterCommit } from '../store/database.ts';

/** Options for {@link createEventBus}. */
export interface EventBusOptions {
  /** Stamps `acceptedAt`. @default Date */
  readonly clock?: { now(): number };
  /**
   * Told when a subscriber throws. The event is stored by then, so the error cannot undo the accept;
   * the other subscribers are still told.
   * @default reports a process warning
   */
  readonly onListenerError?: (error: unknown) => void;
}

type Listener = (events: readonly AcceptedEvent[]) => void;

interface EventRow {
  seq: number;
  bus: string;
  envelope_json: string;
  accepted_at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  bus TEXT NOT NULL,
  event_id TEXT NOT NULL,
  detail_type TEXT NOT NULL,
  source TEXT NOT NULL,
  envelope_json TEXT NOT NULL,
  accepted_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_detail_type ON events (detail_type, seq);
`;

/**
 * The local event bus over the durable store: table `events`, one row per accepted envelope, `seq`
 * rising from 1 across all buses.
 *
 * `accept` writes every envelope in one transaction, then tells the subscribers synchronously, in
 * order, once that transaction has committed. When `accept` runs inside a caller's transaction (the
 * ECS emulator stores a task's new state and its event together), the subscribers are told after the
 * caller's commit, never about events a rollback undid.
 *
 * @example
 * ```ts
 * const bus = createEventBus(openDatabase('.local'));
 * bus.subscribe((events) => console.log(events.map((event) => event.seq)));
 * bus.accept('workspaces', [envelope]);
 * ```
 */
export function createEventBus(database: LocalDatabase, options: EventBusOptions = {}): LocalEventBus {
  const clock = options.clock ?? Date;
  const onListenerError =
    options.onListenerError ??
    ((error: unknown) =>
      process.emitWarning(
        `an event bus subscriber failed: ${error instanceof Error ? error.message : String(error)}`,
        'LocalEventBusWarning',
      ));
  const { db } = database;
  db.exec(SCHEMA);
  const insert = db.prepare(
    'INSERT INTO events (bus, event_id, detail_type, source, envelope_json, accepted_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const listStatements = new Map<string, StatementSync>();
  const listeners = new Set<Listener>();

  /** One prepared statement per filter shape, so SQLite can use the right index for each. */
  function listStatement(byType: boolean, limited: boolean): StatementSync {
    const key = `${byType}:${limited}`;
    let statement = listStatements.get(key);
    if (statement === undefined) {
      statement = db.prepare(
        `SELECT seq, bus, envelope_json, accepted_at FROM events WHERE seq > ?${
          byType ? ' AND detail_type = ?' : ''
        } ORDER BY seq${limited ? ' LIMIT ?' : ''}`,
      );
      listStatements.set(key, statement);
    }
    return statement;
  }

  function notify(events: readonly AcceptedEvent[]): void {
    for (const listener of [...listeners]) {
      try {
        listener(events);
      } catch (error) {
        onListenerError(error);
      }
    }
  }

  return {
    accept(bus, envelopes) {
      if (envelopes.length === 0) return [];
      const acceptedAt = clock.now();
      const accepted = database.transaction(() =>
        envelopes.map((envelope): AcceptedEvent => {
          const result = insert.run(
            bus,
            envelope.id,
            envelope['detail-type'],
            envelope.source,
            JSON.stringify(envelope),
            acceptedAt,
          );
          return { seq: Number(result.lastInsertRowid), bus, envelope, acceptedAt };
        }),
      );
      afterCommit(database, () => notify(accepted));
      return accepted;
    },
    subscribe(listener) {
      const registered: Listener = (events) => listener(events);
      listeners.add(registered);
      return () => {
        listeners.delete(registered);
      };
    },
    list(filter = {}) {
      const parameters: Array<string | number> = [filter.afterSeq ?? 0];
      if (filter.detailType !== undefined) parameters.push(filter.detailType);
      if (filter.limit !== undefined) parameters.push(Math.max(0, Math.floor(filter.limit)));
      const rows = listStatement(filter.detailType !== undefined, filter.limit !== undefined).all(
        ...parameters,
      ) as unknown as EventRow[];
      return rows.map((row) => ({
        seq: row.seq,
        bus: row.bus,
        envelope: JSON.parse(row.envelope_json) as EventEnvelope,
        acceptedAt: row.accepted_at,
      }));
    },
  };
}
