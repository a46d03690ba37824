import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { LocalDatabase } from '../interfaces.ts';
import { LocalDatabaseError } from './errors.ts';
import { prepareStateDirectory } from './state-directory.ts';

/** Pass as `stateDir` to {@link openDatabase} for a throwaway in-memory database (unit tests). */
export const IN_MEMORY = ':memory:';

/** File name of the database inside the state directory. */
export const DATABASE_FILE = 'state.sqlite';

/** Options for {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /**
   * SQLite `synchronous` level. With WAL, `NORMAL` survives a crash or SIGKILL of the process
   * (every committed transaction is in the WAL file the OS holds), and only a power loss or OS
   * crash can lose the last transactions. `FULL` also fsyncs each commit, which costs a disk flush
   * per accepted event.
   * @default 'NORMAL'
   */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /**
   * How long a writer waits for another connection's lock before failing with SQLITE_BUSY.
   * @default 5000
   */
  readonly busyTimeoutMs?: number;
}

const DEFAULT_OPTIONS = {
  synchronous: 'NORMAL',
  busyTimeoutMs: 5000,
} satisfies Required<OpenDatabaseOptions>;

/** Per-database state the {@link LocalDatabase} interface has no room for. */
interface TransactionState {
  depth: number;
  afterCommit: Array<() => void>;
}

const transactionStates = new WeakMap<LocalDatabase, TransactionState>();

/**
 * Opens (creating if needed) the local stack's durable store: `<stateDir>/state.sqlite`, in WAL mode
 * with `synchronous=NORMAL` (see {@link OpenDatabaseOptions.synchronous} for what that survives) and
 * a busy timeout. Each part of the local stack creates its own tables in it.
 *
 * `transaction(fn)` runs `fn` in `BEGIN IMMEDIATE ... COMMIT` and rolls back when `fn` throws. It is
 * re-entrant: inside an open transaction it just runs `fn`, so parts compose their writes into one
 * atomic commit (an ECS task's new state and its state-change event, for example).
 *
 * @param stateDir the state directory (created if missing), or {@link IN_MEMORY}.
 * @example
 * ```ts
 * const database = openDatabase('.local');
 * const bus = createEventBus(database);
 * ```
 * @throws LocalDatabaseError when the directory or file cannot be opened.
 */
export function openDatabase(stateDir: string, options: OpenDatabaseOptions = {}): LocalDatabase {
  const { synchronous, busyTimeoutMs } = { ...DEFAULT_OPTIONS, ...options };
  const inMemory = stateDir === IN_MEMORY;
  const path = inMemory ? IN_MEMORY : join(stateDir, DATABASE_FILE);
  let db: DatabaseSync;
  try {
    // Not mkdirSync's recursive mode: it spins forever on a path under /proc.
    if (!inMemory) prepareStateDirectory(stateDir);
    db = new DatabaseSync(path, { timeout: busyTimeoutMs });
    if (!inMemory) {
      const mode = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode?: string } | undefined;
      if (mode?.journal_mode !== 'wal') {
        throw new LocalDatabaseError(`${path} could not be switched to WAL mode (got ${mode?.journal_mode})`);
      }
    }
    db.exec(`PRAGMA synchronous = ${synchronous}`);
  } catch (error) {
    if (error instanceof LocalDatabaseError) throw error;
    throw new LocalDatabaseError(`Cannot open the local state database at ${path}: ${messageOf(error)}`, {
      cause: error,
    });
  }

  const state: TransactionState = { depth: 0, afterCommit: [] };
  let closed = false;

  const database: LocalDatabase = {
    db,
    path,
    transaction<T>(fn: () => T): T {
      // Inside an open transaction (ours, or one a caller began on `db` directly) just run `fn`:
      // SQLite has no nested BEGIN, and the outer commit covers these writes too.
      if (state.depth > 0 || db.isTransaction) {
        state.depth += 1;
        try {
          return fn();
        } finally {
          state.depth -= 1;
        }
      }
      db.exec('BEGIN IMMEDIATE');
      state.depth = 1;
      let result: T;
      try {
        result = fn();
        db.exec('COMMIT');
      } catch (error) {
        state.depth = 0;
        state.afterCommit = [];
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      }
      state.depth = 0;
      runAfterCommit(state);
      return result;
    },
    close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
  transactionStates.set(database, state);
  return database;
}

/**
 * Runs `callback` once the current transaction of `database` has committed, or at once when none is
 * open. Dropped if the transaction rolls back. A callback should not throw; if one does, the error is
 * reported as a process warning and the other callbacks still run. Only transactions begun through
 * `database.transaction` are tracked; for a database not opened by {@link openDatabase} the callback
 * runs at once.
 *
 * The event bus uses it so that subscribers only ever hear of events that are durably stored.
 */
export function afterCommit(database: LocalDatabase, callback: () => void): void {
  const state = transactionStates.get(database);
  if (state === undefined || state.depth === 0) {
    callback();
    return;
  }
  state.afterCommit.push(callback);
}

function runAfterCommit(state: TransactionState): void {
  while (state.afterCommit.length > 0) {
    const callbacks = state.afterCommit;
    state.afterCommit = [];
    for (const callback of callbacks) {
      try {
        callback();
      } catch (error) {
        // The transaction has committed; a failing callback must neither undo that nor stop the others.
        process.emitWarning(`an after-commit callback failed: ${messageOf(error)}`, 'LocalDatabaseWarning');
      }
    }
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
