/**
 * The ECS task state machine, as pure transitions over a task record: each takes a draft of the
 * record (a copy the caller owns) and the time, changes it in place, and says whether anything
 * changed. A transition that does not apply to the task's state leaves it alone and answers `false`,
 * so a late or repeated report from a driver records nothing.
 */

import type { StoppedOutcome } from './drivers/types.ts';
import type { LocalPlacement, TaskRecord } from './task-record.ts';

/** A change of a task: mutates `task` and answers whether it changed. */
export type TaskTransition = (task: TaskRecord, now: number) => boolean;

/** PROVISIONING to PENDING (the image pull starts), while the task is still wanted. */
export function markPending(task: TaskRecord, now: number): boolean {
  if (task.lastStatus !== 'PROVISIONING' || task.desiredStatus !== 'RUNNING') return false;
  task.lastStatus = 'PENDING';
  task.pullStartedAt = now;
  for (const container of task.containers) container.lastStatus = 'PENDING';
  return true;
}

/** PROVISIONING or PENDING to RUNNING at `placement`, while the task is still wanted. */
export function markRunning(task: TaskRecord, now: number, placement: LocalPlacement): boolean {
  // Spawned again after a restart of the stack (the process driver): the same running task on a new
  // pid and port, a change of its own; its start time stays.
  if (task.desiredStatus === 'RUNNING' && task.lastStatus === 'RUNNING') {
    if (placement.pid === task.local?.pid && placement.port === task.local?.port) return false;
    task.local = { ...task.local, ...placement };
    return true;
  }
  if (
    task.desiredStatus !== 'RUNNING' ||
    (task.lastStatus !== 'PROVISIONING' && task.lastStatus !== 'PENDING')
  ) {
    return false;
  }
  task.lastStatus = 'RUNNING';
  task.pullStartedAt ??= now;
  task.pullStoppedAt = now;
  task.connectivity = 'CONNECTED';
  task.connectivityAt ??= now;
  task.startedAt = now;
  task.local = { ...task.local, ...placement };
  for (const container of task.containers) container.lastStatus = 'RUNNING';
  return true;
}

/**
 * Any state but STOPPED to STOPPED. A stop code already set (by a StopTask) is kept; otherwise the
 * outcome says whether the task failed to start or its essential container exited.
 */
export function markStopped(task: TaskRecord, now: number, outcome: StoppedOutcome): boolean {
  if (task.lastStatus === 'STOPPED') return false;
  task.desiredStatus = 'STOPPED';
  task.lastStatus = 'STOPPED';
  task.stoppingAt ??= now;
  task.executionStoppedAt = now;
  task.stoppedAt = now;
  if (task.stopCode === undefined) {
    task.stopCode = outcome.failedToStart ? 'TaskFailedToStart' : 'EssentialContainerExited';
    task.stoppedReason =
      outcome.stoppedReason ??
      (outcome.failedToStart ? 'Task failed to start' : 'Essential container in task exited');
  }
  for (const container of task.containers) {
    container.lastStatus = 'STOPPED';
    if (outcome.exitCode !== undefined) container.exitCode = outcome.exitCode;
    if (outcome.containerReason !== undefined) container.reason = outcome.containerReason;
  }
  return true;
}

/**
 * A StopTask: desiredStatus becomes STOPPED (lastStatus stays, as ECS reports it until the
 * container is gone), once; a second StopTask changes nothing.
 */
export function markStopRequested(task: TaskRecord, now: number, reason: string): boolean {
  if (task.desiredStatus === 'STOPPED') return false;
  task.desiredStatus = 'STOPPED';
  task.stopCode = 'UserInitiated';
  task.stoppedReason = reason;
  task.stoppingAt = now;
  return true;
}
