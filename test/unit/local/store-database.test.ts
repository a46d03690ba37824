import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { afterCommit, IN_MEMORY, LocalDatabaseError, openDatabase } from '#local/store/index.ts';
import { temporaryStateDir } from './helpers.ts';

describe('openDatabase', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('creates the state directory and a WAL database in it', () => {
    const state = temporaryStateDir();
    cleanups.push(state.remove);
    const stateDir = join(state.dir, 'nested', '.local');
    const database = openDatabase(stateDir);
    cleanups.unshift(() => database.close());

    expect(database.path).toBe(join(stateDir, 'state.sqlite'));
    expect(existsSync(database.path)).toBe(true);
    expect(database.db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    expect(database.db.prepare('PRAGMA synchronous').get()).toEqual({ synchronous: 1 });
  });

  it('uses synchronous FULL when asked', () => {
    const database = openDatabase(IN_MEMORY, { synchronous: 'FULL' });
    cleanups.push(() => database.close());
    expect(database.db.prepare('PRAGMA synchronous').get()).toEqual({ synchronous: 2 });
  });

  it('commits a transaction and rolls it back when the function throws', () => {
    const database = openDatabase(IN_MEMORY);
    cleanups.push(() => database.close());
    database.db.exec('CREATE TABLE things (name TEXT)');
    const insert = database.db.prepare('INSERT INTO things VALUES (?)');

    database.transaction(() => insert.run('kept'));
    expect(() =>
      database.transaction(() => {
        insert.run('dropped');
        throw new Error('boom');
      }),
    ).toThrow('boom');

    expect(database.db.prepare('SELECT name FROM things').all()).toEqual([{ name: 'kept' }]);
    expect(database.db.isTransaction).toBe(false);
  });

  it('runs a nested transaction inside the outer one', () => {
    const database = openDatabase(IN_MEMORY);
    cleanups.push(() => database.close());
    database.db.exec('CREATE TABLE things (name TEXT)');
    const insert = database.db.prepare('INSERT INTO things VALUES (?)');

    expect(() =>
      database.transaction(() => {
        database.transaction(() => insert.run('inner'));
        throw new Error('outer fails');
      }),
    ).toThrow('outer fails');

    expect(database.db.prepare('SELECT count(*) AS n FROM things').get()).toEqual({ n: 0 });
  });

  it('runs after-commit callbacks once the outermost transaction commits, and drops them on rollback', () => {
    const database = openDatabase(IN_MEMORY);
    cleanups.push(() => database.close());
    const calls: string[] = [];

    database.transaction(() => {
      database.transaction(() => afterCommit(database, () => calls.push('committed')));
      calls.push('still inside');
    });
    expect(() =>
      database.transaction(() => {
        afterCommit(database, () => calls.push('rolled back'));
        throw new Error('boom');
      }),
    ).toThrow();
    afterCommit(database, () => calls.push('no transaction'));

    expect(calls).toEqual(['still inside', 'committed', 'no transaction']);
  });

  it('reports a state directory it cannot create', () => {
    const state = temporaryStateDir();
    cleanups.push(state.remove);
    const file = join(state.dir, 'a-file');
    writeFileSync(file, '');
    expect(() => openDatabase(join(file, '.local'))).toThrow(LocalDatabaseError);
  });
});
