/**
 * Successes are recorded together, once per turn of the event loop. A crash before that write is
 * the same as a crash just before the handler returned: the attempt counts as cut short and runs
 * again (the handlers are idempotent, as Lambda's async invocation requires).
 */

import type { LocalDatabase } from '#local/interfaces.ts';
import type { Invocation } from './invocation.ts';
import type { InvocationStore } from './invocation-store.ts';

/** What {@link createSuccessBatch} writes to and tells. */
export interface SuccessBatchOptions {
  readonly database: LocalDatabase;
  readonly store: Pick<InvocationStore, 'succeed'>;
  readonly observer: {
    /** Told of each success once it is written. */
    succeeded?(invocation: Invocation, durationMs: number): void;
    /** Told when the write fails (the attempts stay running in the store and rerun after a restart). */
    error?(error: unknown): void;
  };
}

/** The successes not yet written. */
export interface SuccessBatch {
  /** Adds a success at `at`; the batch is written on the next turn of the event loop. */
  add(invocation: Invocation, at: number, durationMs: number): void;
  /** Writes what is pending now (shutdown). */
  flush(): void;
}

export function createSuccessBatch(options: SuccessBatchOptions): SuccessBatch {
  const { database, store, observer } = options;
  let pending: Array<{ invocation: Invocation; at: number; durationMs: number }> = [];
  let flushScheduled = false;

  function flush(): void {
    flushScheduled = false;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    try {
      database.transaction(() => {
        for (const { invocation, at } of batch) store.succeed(invocation.id, at);
      });
    } catch (error) {
      observer.error?.(error);
      return;
    }
    for (const { invocation, durationMs } of batch) observer.succeeded?.(invocation, durationMs);
  }

  return {
    add(invocation, at, durationMs) {
      pending.push({ invocation, at, durationMs });
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
