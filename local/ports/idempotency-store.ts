import type { StatementSync } from 'node:sqlite';
import {
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
  IdempotencyRecordStatus,
} from '@aws-lambda-powertools/idempotency';
import { BasePersistenceLayer, IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import type { LocalDatabase } from '#local/interfaces.ts';
import { StoredRecordError } from './errors.ts';

type Status = (typeof IdempotencyRecordStatus)[keyof typeof IdempotencyRecordStatus];

export interface IdempotencyRow {
  readonly id: string;
  readonly status: string;
  readonly expiration: number | null;
  readonly in_progress_expiration: number | null;
  readonly data: string | null;
  readonly validation: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS idempotency_records (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  expiration REAL,
  in_progress_expiration INTEGER,
  data TEXT,
  validation TEXT
) STRICT;
`;

const STATUSES = new Set<string>(Object.values(IdempotencyRecordStatus));

/** The columns a conditional put or an update writes. */
export interface IdempotencyWrite {
  readonly id: string;
  readonly status: string;
  readonly expiration: number | null;
  readonly inProgress: number | null;
  readonly data: string | null;
  readonly validation: string | null;
}

/** The fields of an {@link IdempotencyRecord} as stored, so a record can cross a thread boundary. */
export function toWrite(record: IdempotencyRecord, validationEnabled: boolean): IdempotencyWrite {
  return {
    id: record.idempotencyKey,
    status: record.getStatus(),
    expiration: record.expiryTimestamp ?? null,
    inProgress: record.inProgressExpiryTimestamp ?? null,
    data: record.responseData === undefined ? null : JSON.stringify(record.responseData),
    validation: validationEnabled ? (record.payloadHash ?? null) : null,
  };
}

/**
 * The idempotency records on the local stack's sqlite store, with the DynamoDB layer's conditions.
 * Synchronous; {@link SqliteIdempotencyStore} (in the stack's thread) and the handler threads'
 * remote stores (through the pool) both come down to it.
 */
export class IdempotencyTable {
  readonly #select: StatementSync;
  readonly #upsert: StatementSync;
  readonly #update: StatementSync;
  readonly #delete: StatementSync;
  readonly #database: LocalDatabase;
  readonly #now: () => number;

  constructor(database: LocalDatabase, now: () => number = Date.now) {
    database.db.exec(SCHEMA);
    this.#database = database;
    this.#now = now;
    this.#select = database.db.prepare('SELECT * FROM idempotency_records WHERE id = ?');
    this.#upsert = database.db.prepare(
      `INSERT INTO idempotency_records (id, status, expiration, in_progress_expiration, data, validation)
       VALUES (:id, :status, :expiration, :inProgress, NULL, :validation)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, expiration = excluded.expiration,
         in_progress_expiration = excluded.in_progress_expiration, data = NULL, validation = excluded.validation`,
    );
    this.#update = database.db.prepare(
      `UPDATE idempotency_records SET status = :status, expiration = :expiration, data = :data,
         validation = coalesce(:validation, validation) WHERE id = :id`,
    );
    this.#delete = database.db.prepare('DELETE FROM idempotency_records WHERE id = ?');
  }

  get(id: string): IdempotencyRow | undefined {
    return this.#select.get(id) as IdempotencyRow | undefined;
  }

  /**
   * Conditional put, as the DynamoDB layer's condition expression: it succeeds when no record
   * exists, the record has expired, or it is INPROGRESS with an expired in-progress lock. The read
   * and the write are one transaction.
   *
   * @returns undefined when written, else the record that stands in the way
   */
  put(write: IdempotencyWrite): IdempotencyRow | undefined {
    return this.#database.transaction(() => {
      const existing = this.get(write.id);
      if (existing) {
        const now = this.#now();
        const expired = existing.expiration !== null && existing.expiration < now / 1000;
        const lockExpired =
          existing.status === IdempotencyRecordStatus.INPROGRESS &&
          existing.in_progress_expiration !== null &&
          existing.in_progress_expiration < now;
        if (!expired && !lockExpired) return existing;
      }
      this.#upsert.run({
        id: write.id,
        status: write.status,
        expiration: write.expiration,
        inProgress: write.inProgress,
        validation: write.validation,
      });
      return undefined;
    });
  }

  update(write: IdempotencyWrite): void {
    this.#update.run({
      id: write.id,
      status: write.status,
      expiration: write.expiration,
      data: write.data,
      validation: write.validation,
    });
  }

  delete(id: string): void {
    this.#delete.run(id);
  }
}

/**
 * Powertools idempotency persistence on the local stack's sqlite store: the same contract as the
 * DynamoDB layer (conditional put, in-progress expiry), so the handlers behave locally as in AWS.
 *
 * Each handler gets its own instance: Powertools' `configure()` rewrites the key prefix with the
 * function name on every invocation, so one shared instance would mix two functions' prefixes.
 *
 * @example
 * const store = new SqliteIdempotencyStore(database);
 * const handler = createProvisionHandler({ ...ports, idempotencyStore: store });
 */
export class SqliteIdempotencyStore extends BasePersistenceLayer {
  readonly #table: IdempotencyTable;

  constructor(database: LocalDatabase, now: () => number = Date.now) {
    super();
    this.#table = new IdempotencyTable(database, now);
  }

  /**
   * Expires every in-progress lock. Called once at start-up: the local stack is the only writer,
   * so any INPROGRESS record left then belongs to an invocation that died with the previous
   * process, exactly like a Lambda execution environment that timed out. Without this, the
   * redelivered request would wait out the dead invocation's whole function timeout.
   *
   * @returns how many locks were released
   */
  static releaseOrphanedLocks(database: LocalDatabase): number {
    database.db.exec(SCHEMA);
    const result = database.db
      .prepare(
        `UPDATE idempotency_records SET in_progress_expiration = 0
         WHERE status = '${IdempotencyRecordStatus.INPROGRESS}'`,
      )
      .run();
    return Number(result.changes);
  }

  protected override async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    return recordOrNotFound(this.#table.get(idempotencyKey));
  }

  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    throwIfExisting(record, this.#table.put(toWrite(record, this.isPayloadValidationEnabled())));
  }

  protected override async _updateRecord(record: IdempotencyRecord): Promise<void> {
    this.#table.update(toWrite(record, this.isPayloadValidationEnabled()));
  }

  protected override async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.#table.delete(record.idempotencyKey);
  }
}

/** A stored row as Powertools' record, or Powertools' not-found error. */
export function recordOrNotFound(row: IdempotencyRow | undefined): IdempotencyRecord {
  if (!row) throw new IdempotencyItemNotFoundError();
  return toRecord(row);
}

/** Powertools' already-exists error when a conditional put found a record in the way. */
export function throwIfExisting(record: IdempotencyRecord, existing: IdempotencyRow | undefined): void {
  if (existing) {
    throw new IdempotencyItemAlreadyExistsError(
      `Failed to put record for already existing idempotency key: ${record.idempotencyKey}`,
      toRecord(existing),
    );
  }
}

function toRecord(row: IdempotencyRow): IdempotencyRecord {
  if (!STATUSES.has(row.status)) {
    throw new StoredRecordError(`idempotency record ${row.id} has an unknown status "${row.status}"`);
  }
  let responseData: IdempotencyRecord['responseData'];
  if (row.data !== null) {
    try {
      responseData = JSON.parse(row.data);
    } catch (error) {
      throw new StoredRecordError(`idempotency record ${row.id} holds unreadable response data`, {
        cause: error,
      });
    }
  }
  return new IdempotencyRecord({
    idempotencyKey: row.id,
    status: row.status as Status,
    ...(row.expiration !== null ? { expiryTimestamp: row.expiration } : {}),
    ...(row.in_progress_expiration !== null ? { inProgressExpiryTimestamp: row.in_progress_expiration } : {}),
    ...(responseData !== undefined ? { responseData } : {}),
    ...(row.validation !== null ? { payloadHash: row.validation } : {}),
  });
}
