/** The local stack's durable store: one SQLite database under the state directory. */
export { afterCommit, DATABASE_FILE, IN_MEMORY, type OpenDatabaseOptions, openDatabase } from './database.ts';
export { LocalDatabaseError } from './errors.ts';
