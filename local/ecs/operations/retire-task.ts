/**
 * Fargate's task retirement, for `POST /local/simulate/task-retirement`: ECS stops a task of its own
 * accord, with the maintenance stop code and reason, and the driver stops it as a StopTask would.
 * Not an ECS API operation (no caller can do this on AWS), so it answers an outcome, not a wire error.
 */

import type { TaskDriver } from '../drivers/types.ts';
import { type TaskRecord, toWireTask } from '../task-record.ts';
import { markRetiring } from '../task-state-machine.ts';
import { type EcsCluster, taskArnFor } from './cluster.ts';

/** What a retirement did: the task retiring, or why there was nothing to retire. */
export type RetireTaskOutcome =
  | { readonly outcome: 'retiring'; readonly task: Record<string, unknown> }
  | { readonly outcome: 'unknown-task' }
  | {
      readonly outcome: 'already-stopped' | 'already-stopping';
      readonly task: Record<string, unknown>;
    };

/** Retirement over `cluster`; `reference` is a task ARN or id. */
export function createRetireTask(
  cluster: EcsCluster,
  driver: TaskDriver,
): (reference: string) => RetireTaskOutcome {
  return function retireTask(reference) {
    const taskArn = taskArnFor(cluster, reference);
    const current: TaskRecord | undefined = taskArn === undefined ? undefined : cluster.tasks.find(taskArn);
    if (taskArn === undefined || current === undefined) return { outcome: 'unknown-task' };
    if (current.lastStatus === 'STOPPED') return { outcome: 'already-stopped', task: toWireTask(current) };
    if (current.desiredStatus === 'STOPPED')
      return { outcome: 'already-stopping', task: toWireTask(current) };
    const next = cluster.tasks.change(taskArn, markRetiring);
    if (next === undefined || next === current)
      return { outcome: 'already-stopping', task: toWireTask(current) };
    driver.stop(next);
    return { outcome: 'retiring', task: toWireTask(next) };
  };
}
