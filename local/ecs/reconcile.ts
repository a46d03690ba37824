/**
 * Reconciliation after a restart: the tasks a previous run left unfinished are adopted by the
 * driver that ran them (resumed, or reported stopped when they cannot have survived), or recorded
 * STOPPED when the stack now runs another driver or no longer has their task definition.
 */

import type { StoppedOutcome, TaskDriver } from './drivers/types.ts';
import type { EcsTaskDefinition } from './task-definitions.ts';
import type { TaskLedger } from './task-ledger.ts';
import type { TaskRecord } from './task-record.ts';
import { markStopped } from './task-state-machine.ts';

/** What {@link reconcileLeftUnfinished} works on. */
export interface Reconciliation {
  /** The tasks the store held not STOPPED when the emulator was created (already adopted by the ledger). */
  readonly leftUnfinished: readonly TaskRecord[];
  readonly tasks: TaskLedger;
  readonly driver: TaskDriver;
  readonly definitions: ReadonlyMap<string, EcsTaskDefinition>;
  /**
   * Records a task that cannot be adopted STOPPED (the emulator releases its EBS volume first).
   * @default records it on `tasks` straight away
   */
  readonly settleStopped?: (taskArn: string, outcome: StoppedOutcome) => void;
}

/** Why a task left unfinished cannot be adopted; `undefined` when it can. */
export function whyNotAdoptable(
  task: TaskRecord,
  driverName: string,
  definition: EcsTaskDefinition | undefined,
): string | undefined {
  if (definition === undefined) return `its task definition ${task.family} is no longer configured`;
  if (task.driver !== driverName) {
    return `it ran under the ${task.driver} driver and the stack now uses ${driverName}`;
  }
  return undefined;
}

/** Adopts or stops each task left unfinished that is still live; resolves once the driver adopted them. */
export async function reconcileLeftUnfinished(reconciliation: Reconciliation): Promise<void> {
  const { leftUnfinished, tasks, driver, definitions } = reconciliation;
  const settleStopped =
    reconciliation.settleStopped ??
    ((taskArn: string, outcome: StoppedOutcome) =>
      tasks.change(taskArn, (draft, now) => markStopped(draft, now, outcome)));
  const adoptions: Array<void | Promise<void>> = [];
  for (const { taskArn } of leftUnfinished) {
    // A StopTask or the driver may have settled it since.
    const task = tasks.live(taskArn);
    if (task === undefined) continue;
    const definition = definitions.get(task.family);
    const why = whyNotAdoptable(task, driver.name, definition);
    if (why !== undefined || definition === undefined) {
      settleStopped(taskArn, {
        failedToStart: task.startedAt === undefined,
        stoppedReason: `Local stack restarted; ${why}`,
      });
      continue;
    }
    adoptions.push(driver.adopt(task, definition));
  }
  await Promise.all(adoptions);
}

/**
 * Runs {@link reconcileLeftUnfinished} on the tick after creation, so subscribers added right after
 * the emulator hear its events; skipped when the emulator is closing by then. A failure surfaces
 * through the promise, never as an unhandled rejection.
 */
export function reconcileOnNextTick(reconciliation: Reconciliation, closing: () => boolean): Promise<void> {
  const reconciled = new Promise<void>((resolve, reject) => {
    setImmediate(() => {
      if (closing()) {
        resolve();
        return;
      }
      reconcileLeftUnfinished(reconciliation).then(resolve, reject);
    });
  });
  reconciled.catch(() => {});
  return reconciled;
}
