/**
 * The ECS task state machine, as pure transitions over a task record: each takes a draft of the
 * record (a copy the caller owns) and the time, changes it in place, and says whether anything
 * changed. A transition that does not apply to the task's state leaves it alone and answers `false`,
 * so a late or repeated report from a driver records nothing.
 */

import type { StoppedOutcome } from './drivers/types.ts';
import type { ContainerRecord, LocalPlacement, TaskRecord } from './task-record.ts';

/** The essential container: the one the task's life follows (the workspace). */
const isEssential = (container: ContainerRecord): boolean => container.essential !== false;

/** The ENI's details once attached, derived from the task id so a transition stays a pure function. */
function attach(task: TaskRecord, address: string): void {
  if (task.attachment === undefined) return;
  const octets = task.taskId.slice(0, 12).match(/../g) ?? [];
  const details = [
    {
      name: 'subnetId',
      value: task.attachment.details.find((detail) => detail.name === 'subnetId')?.value ?? 'subnet-local',
    },
    { name: 'networkInterfaceId', value: `eni-${task.taskId.slice(0, 17)}` },
    { name: 'macAddress', value: ['0a', ...octets.slice(1, 6)].join(':') },
    {
      name: 'privateDnsName',
      value: `ip-${address.replace(/\./g, '-')}.${task.availabilityZone.slice(0, -1)}.compute.internal`,
    },
    { name: 'privateIPv4Address', value: address },
  ];
  task.attachment.status = 'ATTACHED';
  task.attachment.details = details;
}

/** Where a driver says the task is reached: its address on the ENI and the essential container's bindings. */
function place(task: TaskRecord, placement: LocalPlacement): void {
  if (placement.privateIPv4Address !== undefined) attach(task, placement.privateIPv4Address);
  for (const container of task.containers) {
    if (!isEssential(container)) continue;
    if (placement.privateIPv4Address !== undefined)
      container.privateIPv4Address = placement.privateIPv4Address;
    if (placement.networkBindings !== undefined) container.networkBindings = [...placement.networkBindings];
  }
}

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
    place(task, placement);
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
  for (const container of task.containers) {
    // The boot step ran to completion before the workspace started.
    if (container.lastStatus !== 'STOPPED') container.lastStatus = 'RUNNING';
  }
  place(task, placement);
  return true;
}

/**
 * The boot step (a non-essential container the essential one depends on) exited with `exitCode`,
 * while the task is still starting: its container is STOPPED with that exit code. A non-zero exit
 * is followed by {@link markStopped} (the essential container never starts).
 */
export function markBootStepExited(
  task: TaskRecord,
  _now: number,
  containerName: string,
  exitCode: number,
): boolean {
  if (task.lastStatus !== 'PROVISIONING' && task.lastStatus !== 'PENDING') return false;
  const container = task.containers.find((candidate) => candidate.name === containerName);
  if (container === undefined || container.lastStatus === 'STOPPED') return false;
  container.lastStatus = 'STOPPED';
  container.exitCode = exitCode;
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
    // A container that already exited (the boot step) keeps its own exit code.
    if (container.lastStatus === 'STOPPED') continue;
    container.lastStatus = 'STOPPED';
    if (outcome.exitCode !== undefined && isEssential(container)) container.exitCode = outcome.exitCode;
    if (outcome.containerReason !== undefined) container.reason = outcome.containerReason;
  }
  if (task.attachment !== undefined) task.attachment.status = 'DELETED';
  settleDataVolume(task, outcome);
  return true;
}

/**
 * The EBS attachment of a stopping task: FAILED with its reason when the volume could not be created;
 * else DETACHED when the volume is kept, DELETED when `deleteOnTermination` deleted it or it was never
 * created. The agent releases the volume before this change is recorded.
 */
function settleDataVolume(task: TaskRecord, outcome: StoppedOutcome): void {
  const volume = task.dataVolume;
  if (volume === undefined) return;
  if (outcome.dataVolumeFailure !== undefined) {
    volume.status = 'FAILED';
    volume.statusReason = outcome.dataVolumeFailure;
    return;
  }
  if (volume.status === 'FAILED') return;
  volume.status =
    volume.volumeId !== undefined && !volume.request.deleteOnTermination ? 'DETACHED' : 'DELETED';
}

/** v1.3: the task's managed EBS volume exists and is attached, while the task is still starting. */
export function markDataVolumeAttached(task: TaskRecord, _now: number, volumeId: string): boolean {
  const volume = task.dataVolume;
  if (volume === undefined || volume.volumeId !== undefined || task.lastStatus === 'STOPPED') return false;
  volume.volumeId = volumeId;
  volume.status = 'ATTACHED';
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

/**
 * The stopped reason Fargate gives a task it stops for maintenance or retirement. AWS: "The
 * stoppedReason containing a `ECS is performing maintenance on the underlying infrastructure hosting
 * the task` message indicates that the task was stopped due to a task maintenance issue"
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-maintenance.html).
 */
export const FARGATE_MAINTENANCE_REASON =
  'ECS is performing maintenance on the underlying infrastructure hosting the task';

/**
 * The stop code of such a stop. The maintenance page documents the stopped reason only and no AWS
 * page names the code (the `TaskStopCode` enum lists the values without saying which stop uses
 * which). ECS itself, not a caller of StopTask, ends the task, so it is not `UserInitiated`;
 * `ServiceSchedulerInitiated` is the code ECS's own scheduler stops carry, and the one reported with
 * this reason in published stopped tasks. `stopCauseOf` reads the reason first, so either way the
 * provisioner classifies the stop as `infrastructure`.
 */
export const FARGATE_MAINTENANCE_STOP_CODE = 'ServiceSchedulerInitiated' as const;

/**
 * Fargate retires the task (`POST /local/simulate/task-retirement`): desiredStatus becomes STOPPED
 * with the maintenance stop code and reason, as ECS reports a stop of its own; the driver then
 * stops the task and {@link markStopped} keeps them. A task already asked to stop changes nothing.
 */
export function markRetiring(task: TaskRecord, now: number): boolean {
  if (task.desiredStatus === 'STOPPED') return false;
  task.desiredStatus = 'STOPPED';
  task.stopCode = FARGATE_MAINTENANCE_STOP_CODE;
  task.stoppedReason = FARGATE_MAINTENANCE_REASON;
  task.stoppingAt = now;
  return true;
}
