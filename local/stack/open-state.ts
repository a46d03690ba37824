/**
 * The first assembly step: the catalog, the state directory's lock (one stack per directory, taken
 * before anything in it is read, reset or written), then its database (removed first on `reset`).
 */

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Catalog, loadCatalog } from '#config/catalog.ts';
import type { LocalDatabase } from '#local/interfaces.ts';
import { DATABASE_FILE, lockStateDirectory, openDatabase } from '#local/store/index.ts';
import type { StateLock } from '#local/store/state-lock.ts';

/** What {@link openState} reads of the stack's options. */
export interface StateOptions {
  readonly stateDir: string;
  readonly reset?: boolean;
  readonly registry?: string;
  readonly tag?: string;
}

/** Loads the catalog (fails before anything is opened when it is invalid), then opens the store. */
export function openState(options: StateOptions): {
  readonly database: LocalDatabase;
  readonly catalog: Catalog;
  readonly stateLock: StateLock;
} {
  const catalog = loadCatalog({
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.tag ? { tag: options.tag } : {}),
  });
  const stateLock = lockStateDirectory(options.stateDir);
  const database = stateLock.releaseOnThrow(() => {
    if (options.reset) {
      for (const suffix of ['', '-wal', '-shm'])
        rmSync(join(options.stateDir, `${DATABASE_FILE}${suffix}`), { force: true });
      // The tasks' configs volumes (local/stack/start-services.ts) belong to the tasks just removed.
      rmSync(join(options.stateDir, 'configs'), { recursive: true, force: true });
    }
    return openDatabase(options.stateDir);
  });
  return { database, catalog, stateLock };
}
