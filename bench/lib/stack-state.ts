import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * Counters read straight from the local stack's durable store (read-only; WAL allows it while the
 * stack runs): what failed inside the functions and what ended in a dead-letter table.
 */
export interface StackCounters {
  /** Invocations whose handler threw at least once (a crash, from the caller's point of view). */
  readonly invocationErrors: number;
  /** Rows in the function and rule-target dead-letter tables. */
  readonly deadLetters: number;
}

export function readStackCounters(stateDir: string): StackCounters {
  const database = new DatabaseSync(join(stateDir, 'state.sqlite'), { readOnly: true });
  try {
    const count = (sql: string): number => Number((database.prepare(sql).get() as { n: number }).n);
    return {
      invocationErrors: count('SELECT count(*) AS n FROM invocations WHERE last_error IS NOT NULL'),
      deadLetters:
        count('SELECT count(*) AS n FROM function_dead_letters') +
        count('SELECT count(*) AS n FROM target_dead_letters'),
    };
  } finally {
    database.close();
  }
}
