/** The first assembly step: the state directory's database (removed first on `reset`) and the catalog. */

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Catalog, loadCatalog } from '#config/catalog.ts';
import type { LocalDatabase } from '#local/interfaces.ts';
import { DATABASE_FILE, openDatabase } from '#local/store/index.ts';

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
} {
  if (options.reset) {
    for (const suffix of ['', '-wal', '-shm'])
      rmSync(join(options.stateDir, `${DATABASE_FILE}${suffix}`), { force: true });
  }
  const catalog = loadCatalog({
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.tag ? { tag: options.tag } : {}),
  });
  return { database: openDatabase(options.stateDir), catalog };
}
