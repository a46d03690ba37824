/**
 * The tasks not yet STOPPED, kept in memory so the hot path reads and changes them without a query,
 * and the one way a task changes: a transition applied to a copy, then the task row and its
 * `ECS Task State Change` event written in one transaction, `version` rising by one.
 */

import type { LocalDatabase, LocalEventBus } from '../interfaces.ts';
import type { EcsScope } from './arns.ts';
import { copyTaskRecord, type TaskRecord, toTaskStateChangeEnvelope } from './task-record.ts';
import type { TaskTransition } from './task-state-machine.ts';
import type { TaskStore } from './task-store.ts';

/** What {@link createTaskLedger} needs. */
export interface TaskLedgerOptions {
  readonly database: LocalDatabase;
  readonly store: TaskStore;
  readonly bus: LocalEventBus;
  /** The bus the state change events go on. */
  readonly eventBusName: string;
  readonly scope: EcsScope;
  readonly clock: { now(): number };
  /** Told of every task recorded or changed, after the commit (the activity log line). */
  readonly onChanged: (task: TaskRecord) => void;
}

/** The live tasks and their changes; see {@link createTaskLedger}. */
export interface TaskLedger {
  /** A task of any state: from memory when live, else from the store. */
  find(taskArn: string): TaskRecord | undefined;
  /** A live task (not yet STOPPED), from memory only. */
  live(taskArn: string): TaskRecord | undefined;
  /** The live tasks, as a list the caller may keep while tasks change. */
  liveTasks(): TaskRecord[];
  /**
   * Applies `transition` to a copy of the task and, when it changed, records the copy and its event
   * in one transaction. Answers the task after the change (the current one when nothing changed),
   * `undefined` for an unknown task or once the ledger is closed.
   */
  change(taskArn: string, transition: TaskTransition): TaskRecord | undefined;
  /** Accepts the first state change events of new tasks; call inside the transaction that inserts them. */
  emitCreated(tasks: readonly TaskRecord[]): void;
  /** Keeps a new task, recorded with {@link emitCreated}, as live and tells `onChanged`. */
  track(task: TaskRecord): void;
  /** Keeps a task a previous run left unfinished as live, quietly (it is not a change). */
  adopt(task: TaskRecord): void;
  /** Records nothing more: `change` answers `undefined` from now on. */
  close(): void;
}

/** Creates the ledger; it starts empty (a previous run's live tasks are `adopt`ed). */
export function createTaskLedger(options: TaskLedgerOptions): TaskLedger {
  const { database, store, bus, eventBusName, scope, clock, onChanged } = options;
  const live = new Map<string, TaskRecord>();
  let closed = false;

  const find = (taskArn: string): TaskRecord | undefined => live.get(taskArn) ?? store.get(taskArn);

  function change(taskArn: string, transition: TaskTransition): TaskRecord | undefined {
    if (closed) return undefined;
    const current = find(taskArn);
    if (current === undefined) return undefined;
    const next = copyTaskRecord(current);
    const now = clock.now();
    if (!transition(next, now)) return current;
    next.version = current.version + 1;
    next.updatedAt = Math.max(now, current.updatedAt);
    database.transaction(() => {
      store.update(next);
      bus.accept(eventBusName, [toTaskStateChangeEnvelope(next, scope)]);
    });
    if (next.lastStatus === 'STOPPED') live.delete(taskArn);
    else live.set(taskArn, next);
    onChanged(next);
    return next;
  }

  return {
    find,
    live: (taskArn) => live.get(taskArn),
    liveTasks: () => [...live.values()],
    change,
    emitCreated(tasks) {
      bus.accept(
        eventBusName,
        tasks.map((task) => toTaskStateChangeEnvelope(task, scope)),
      );
    },
    track(task) {
      live.set(task.taskArn, task);
      onChanged(task);
    },
    adopt(task) {
      live.set(task.taskArn, task);
    },
    close() {
      closed = true;
    },
  };
}
