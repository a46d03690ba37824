/**
 * The path one request took, read from the stack's bookkeeping: its events (the ones whose detail
 * carries the request id, and ECS's state changes of the tasks those name), each delivery the router
 * made of them (which rule matched, to which target, with what outcome: `deliveries`), and each
 * Lambda invocation those deliveries queued (`invocations`, whose `origin` is `event:<seq>:<rule>`),
 * with its attempts, outcome and last error. Or the same for every request of one workspace.
 */
import type { LocalDatabase } from '#local/interfaces.ts';
import { readStoredError } from '#local/lambda/stored-error.ts';

/** An event of the flow. */
export interface FlowEvent {
  readonly seq: number;
  readonly detailType: string;
  readonly source: string;
  readonly time: string;
  readonly requestId: string | null;
}

/** The router handing one event to one rule's target. */
export interface FlowDelivery {
  readonly seq: number;
  readonly rule: string;
  readonly target: string;
  /** `pending`, `delivered`, `failed` (dropped) or `dlq`. */
  readonly status: string;
  readonly attempts: number;
  readonly lastError: string | null;
}

/** One asynchronous invocation of a function. */
export interface FlowInvocation {
  readonly id: number;
  readonly function: string;
  /** Lambda's request id of the invocation. */
  readonly awsRequestId: string;
  /**
   * The event and rule that queued it; null for one Lambda Invoke queued (a redrive), found by the
   * request or workspace of the event it carries.
   */
  readonly seq: number | null;
  readonly rule: string | null;
  /** `queued`, `running`, `succeeded` or `failed`. */
  readonly outcome: string;
  readonly attempts: number;
  readonly enqueuedAt: number;
  readonly finishedAt: number | null;
  /** From queued to settled (retry gaps included); null while it is not settled. */
  readonly durationMs: number | null;
  /** `errorType: errorMessage` of the last failed attempt. */
  readonly lastError: string | null;
}

export interface Flow {
  readonly events: readonly FlowEvent[];
  readonly deliveries: readonly FlowDelivery[];
  readonly invocations: readonly FlowInvocation[];
}

/** Which events a flow is about. */
export type FlowSelector = { readonly requestId: string } | { readonly workspaceId: string };

interface EventRow {
  seq: number;
  detailType: string;
  source: string;
  time: string;
  requestId: string | null;
  taskArn: string | null;
}

interface InvocationRow {
  id: number;
  function: string;
  request_id: string;
  origin: string;
  status: string;
  attempts: number;
  enqueued_at: number;
  finished_at: number | null;
  last_error: string | null;
}

const EVENT_COLUMNS = `seq, detail_type AS detailType, source, json_extract(envelope_json, '$.time') AS time,
  json_extract(envelope_json, '$.detail.requestId') AS requestId,
  json_extract(envelope_json, '$.detail.taskArn') AS taskArn`;

const hasTable = (database: LocalDatabase, name: string): boolean =>
  database.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !==
  undefined;

/** `event:<seq>:<rule>`, the origin the invoker gives an invocation a rule queued. */
function originOf(origin: string): { seq: number; rule: string } | undefined {
  const match = /^event:(\d+):(.+)$/.exec(origin);
  return match ? { seq: Number(match[1]), rule: match[2] as string } : undefined;
}

function errorText(stored: string | null): string | null {
  if (stored === null) return null;
  const error = readStoredError(stored);
  return `${error.errorType}: ${error.errorMessage}`;
}

/** Reads the flow of a request, or of every request of a workspace. */
export function readFlow(database: LocalDatabase, selector: FlowSelector): Flow {
  const db = database.db;
  const own =
    'requestId' in selector
      ? (db
          .prepare(
            `SELECT ${EVENT_COLUMNS} FROM events WHERE json_extract(envelope_json, '$.detail.requestId') = ? ORDER BY seq`,
          )
          .all(selector.requestId) as unknown as EventRow[])
      : (db
          .prepare(
            `SELECT ${EVENT_COLUMNS} FROM events WHERE json_extract(envelope_json, '$.detail.workspaceId') = ?
             OR (source = 'aws.ecs' AND json_extract(envelope_json, '$.detail.startedBy') = ?) ORDER BY seq`,
          )
          .all(selector.workspaceId, selector.workspaceId) as unknown as EventRow[]);
  // ECS's state changes carry no request id: they belong to the request that launched the task.
  const taskArns = [...new Set(own.flatMap((event) => (event.taskArn ? [event.taskArn] : [])))];
  const seen = new Set(own.map((event) => event.seq));
  const tasks =
    'requestId' in selector && taskArns.length > 0
      ? (db
          .prepare(
            `SELECT ${EVENT_COLUMNS} FROM events WHERE source = 'aws.ecs'
             AND json_extract(envelope_json, '$.detail.taskArn') IN (${taskArns.map(() => '?').join(', ')})`,
          )
          .all(...taskArns) as unknown as EventRow[])
      : [];
  const events = [...own, ...tasks.filter((event) => !seen.has(event.seq))].sort((a, b) => a.seq - b.seq);
  const seqs = events.map((event) => event.seq);
  if (seqs.length === 0 || !hasTable(database, 'deliveries') || !hasTable(database, 'invocations')) {
    return { events: events.map(flowEvent), deliveries: [], invocations: [] };
  }
  const placeholders = seqs.map(() => '?').join(', ');
  const deliveries = db
    .prepare(
      `SELECT seq, route_id AS rule, target, status, attempts, last_error AS lastError FROM deliveries
       WHERE seq IN (${placeholders}) ORDER BY seq, route_id`,
    )
    .all(...seqs) as unknown as FlowDelivery[];
  const origins = deliveries.map((delivery) => `event:${delivery.seq}:${delivery.rule}`);
  const routed =
    origins.length === 0
      ? []
      : (db
          .prepare(
            `SELECT * FROM invocations WHERE origin IN (${origins.map(() => '?').join(', ')}) ORDER BY id`,
          )
          .all(...origins) as unknown as InvocationRow[]);
  // Lambda Invoke's (a redrive's): no rule queued them, so they are found by the event they carry.
  const invoked = ('requestId' in selector
    ? db
        .prepare(
          `SELECT * FROM invocations WHERE origin LIKE 'invoke:%'
             AND json_extract(payload, '$.detail.requestId') = ? ORDER BY id`,
        )
        .all(selector.requestId)
    : db
        .prepare(
          `SELECT * FROM invocations WHERE origin LIKE 'invoke:%'
             AND (json_extract(payload, '$.detail.workspaceId') = ? OR json_extract(payload, '$.detail.startedBy') = ?) ORDER BY id`,
        )
        .all(selector.workspaceId, selector.workspaceId)) as unknown as InvocationRow[];
  const invocations = [...routed, ...invoked];
  return {
    events: events.map(flowEvent),
    deliveries: deliveries.map((delivery) => ({ ...delivery })),
    invocations: invocations.map(flowInvocation),
  };
}

function flowEvent(row: EventRow): FlowEvent {
  return {
    seq: row.seq,
    detailType: row.detailType,
    source: row.source,
    time: row.time,
    requestId: row.requestId,
  };
}

function flowInvocation(row: InvocationRow): FlowInvocation {
  const origin = originOf(row.origin);
  return {
    id: row.id,
    function: row.function,
    awsRequestId: row.request_id,
    seq: origin?.seq ?? null,
    rule: origin?.rule ?? null,
    outcome: row.status,
    attempts: row.attempts,
    enqueuedAt: row.enqueued_at,
    finishedAt: row.finished_at,
    durationMs: row.finished_at === null ? null : row.finished_at - row.enqueued_at,
    lastError: errorText(row.last_error),
  };
}
