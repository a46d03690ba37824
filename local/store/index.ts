/** The local stack's durable store: one SQLite database under the state directory. */
export { afterCommit, DATABASE_FILE, IN_MEMORY, type OpenDatabaseOptions, openDatabase } from './database.ts';
export { LocalDatabaseError, StateDirectoryError, StateDirectoryInUseError } from './errors.ts';
export { prepareStateDirectory } from './state-directory.ts';
export {
  acquireStateLock,
  type HeldStateDirectory,
  lockStateDirectory,
  STATE_LOCK_FILE,
  type StateLock,
  type StateLockHolder,
} from './state-lock.ts';
