/** StopTask: asks a task to stop (desiredStatus STOPPED) and has its driver stop it. */

import { optionalString, wireObject } from '#local/wire/wire-input.ts';
import type { TaskDriver } from '../drivers/types.ts';
import { toWireTask } from '../task-record.ts';
import { markStopRequested } from '../task-state-machine.ts';
import { type EcsCluster, invalidParameter, resolveCluster, taskArnFor } from './cluster.ts';

export interface StopTaskResponse {
  readonly task: Record<string, unknown>;
}

/** ECS caps a StopTask `reason` at this many characters. */
const MAX_REASON_CHARS = 255;

/**
 * StopTask over `cluster`: the first call records the change of desiredStatus (lastStatus stays, as
 * ECS reports it) and tells the driver; a repeat answers the task as it is.
 */
export function createStopTask(
  cluster: EcsCluster,
  driver: TaskDriver,
): (input: unknown) => StopTaskResponse {
  return function stopTask(input) {
    const request = wireObject(input);
    resolveCluster(cluster, request);
    const reference = optionalString(request, 'task');
    if (!reference) throw invalidParameter('Task can not be blank.');
    const taskArn = taskArnFor(cluster, reference);
    const current = taskArn === undefined ? undefined : cluster.tasks.find(taskArn);
    if (taskArn === undefined || current === undefined) {
      throw invalidParameter('The referenced task was not found.');
    }
    const reason = (optionalString(request, 'reason') || 'Task stopped by user').slice(0, MAX_REASON_CHARS);
    const next = cluster.tasks.change(taskArn, (task, now) => markStopRequested(task, now, reason));
    const task = next ?? current;
    if (next !== current && next !== undefined) driver.stop(next);
    return { task: toWireTask(task) };
  };
}
