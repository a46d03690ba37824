/** What the assembly undoes on stop or on a failed start: each step's cleanup, last registered first. */

/** A cleanup of one step. */
export type Cleanup = () => Promise<void> | void;

/** The cleanups of the steps started so far. */
export interface Cleanups {
  add(cleanup: Cleanup): void;
  /** Runs every cleanup once, newest first, one after another. */
  runAll(): Promise<void>;
}

export function createCleanups(): Cleanups {
  const cleanups: Cleanup[] = [];
  return {
    add(cleanup) {
      cleanups.push(cleanup);
    },
    async runAll() {
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}
