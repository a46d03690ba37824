/**
 * What the console reads about workspaces, straight from the stack's store (read-only queries):
 * the workspace records (`workspace_records`, written by the provisioner's record store), a page of
 * them at a time, and the events about one workspace in the order the bus accepted them.
 */
import type { StatementSync } from 'node:sqlite';
import type { EventEnvelope, LocalDatabase } from '#local/interfaces.ts';

/** One row of the workspace list. */
export interface WorkspaceSummary {
  readonly workspaceId: string;
  readonly orgId: string;
  readonly state: string;
  readonly kind: string;
  readonly runtime: string;
  readonly tier: number | null;
  readonly taskArn: string | null;
  readonly url: string | null;
  /** Epoch ms of the last state change. */
  readonly since: number;
}

/** A page of the workspace list. */
export interface WorkspacePage {
  readonly workspaces: readonly WorkspaceSummary[];
  /** How many records match the filter, on every page. */
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  /** The seq of the newest event in the store: poll `GET /local/events?after=` from it. */
  readonly lastSeq: number;
}

/** An event with its place in the log. */
export interface SequencedEvent {
  readonly seq: number;
  /** Epoch ms at which the bus accepted it. */
  readonly acceptedAt: number;
  readonly envelope: EventEnvelope;
}

/** The workspace list and timeline queries over one database. */
export interface WorkspaceQueries {
  page(options: { filter: string; offset: number; limit: number }): WorkspacePage;
  /** The full record as the provisioner stored it, or undefined. */
  record(workspaceId: string): unknown;
  /** Events whose detail names the workspace (`workspaceId`, or `startedBy` on ECS's), after `after`. */
  events(workspaceId: string, after: number, limit: number): SequencedEvent[];
}

/** Whether a table exists yet (each is created by the component that owns it, when it starts). */
const hasTable = (database: LocalDatabase, name: string): boolean =>
  database.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !==
  undefined;

const SUMMARY_COLUMNS = `workspace_id AS workspaceId, state,
  json_extract(data, '$.orgId') AS orgId, json_extract(data, '$.kind') AS kind,
  json_extract(data, '$.runtime') AS runtime, json_extract(data, '$.request.tier') AS tier,
  json_extract(data, '$.taskArn') AS taskArn, json_extract(data, '$.url') AS url,
  json_extract(data, '$.since') AS since`;

/** What the filter box matches: id, org, state, kind and runtime, case-insensitively. */
const FILTER = `(? = '' OR instr(lower(workspace_id || ' ' || state || ' ' ||
  coalesce(json_extract(data, '$.orgId'), '') || ' ' || coalesce(json_extract(data, '$.kind'), '') || ' ' ||
  coalesce(json_extract(data, '$.runtime'), '')), lower(?)) > 0)`;

/**
 * Expression indexes on the bus's `events` table for the console's lookups by workspace and by
 * request: the same expressions as the queries', so SQLite uses them (one OR branch each).
 */
export const EVENT_INDEXES = `
CREATE INDEX IF NOT EXISTS events_by_detail_workspace ON events (json_extract(envelope_json, '$.detail.workspaceId'));
CREATE INDEX IF NOT EXISTS events_by_detail_started_by ON events (json_extract(envelope_json, '$.detail.startedBy')) WHERE source = 'aws.ecs';
CREATE INDEX IF NOT EXISTS events_by_detail_request ON events (json_extract(envelope_json, '$.detail.requestId'));
`;

export function workspaceQueries(database: LocalDatabase): WorkspaceQueries {
  let prepared: { page: StatementSync; count: StatementSync; record: StatementSync } | undefined;
  // A workspace's events are an index lookup, not a scan of the whole log (20,000 events and more).
  database.db.exec(EVENT_INDEXES);
  const lastSeq = database.db.prepare('SELECT coalesce(max(seq), 0) AS seq FROM events');
  const events = database.db.prepare(
    `SELECT seq, accepted_at AS acceptedAt, envelope_json AS envelope FROM events
     WHERE seq > ? AND (json_extract(envelope_json, '$.detail.workspaceId') = ?
       OR (source = 'aws.ecs' AND json_extract(envelope_json, '$.detail.startedBy') = ?))
     ORDER BY seq LIMIT ?`,
  );

  /** Prepared once the table exists: the record store creates its table with the first handler. */
  function statements() {
    if (prepared) return prepared;
    if (!hasTable(database, 'workspace_records')) return undefined;
    const db = database.db;
    prepared = {
      page: db.prepare(
        `SELECT ${SUMMARY_COLUMNS} FROM workspace_records WHERE ${FILTER}
         ORDER BY json_extract(data, '$.since') DESC, workspace_id LIMIT ? OFFSET ?`,
      ),
      count: db.prepare(`SELECT count(*) AS n FROM workspace_records WHERE ${FILTER}`),
      record: db.prepare('SELECT data FROM workspace_records WHERE workspace_id = ?'),
    };
    return prepared;
  }

  return {
    page({ filter, offset, limit }) {
      const seq = Number((lastSeq.get() as { seq: number }).seq);
      const ready = statements();
      if (!ready) return { workspaces: [], total: 0, offset, limit, lastSeq: seq };
      const rows = ready.page.all(filter, filter, limit, offset) as unknown as WorkspaceSummary[];
      const total = Number((ready.count.get(filter, filter) as { n: number }).n);
      return { workspaces: rows.map((row) => ({ ...row })), total, offset, limit, lastSeq: seq };
    },
    record(workspaceId) {
      const row = statements()?.record.get(workspaceId) as { data: string } | undefined;
      return row ? JSON.parse(row.data) : undefined;
    },
    events(workspaceId, after, limit) {
      const rows = events.all(after, workspaceId, workspaceId, limit) as Array<{
        seq: number;
        acceptedAt: number;
        envelope: string;
      }>;
      return rows.map((row) => ({
        seq: row.seq,
        acceptedAt: row.acceptedAt,
        envelope: JSON.parse(row.envelope) as EventEnvelope,
      }));
    },
  };
}
