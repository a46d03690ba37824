/**
 * The answer to `Workspace Status Requested` (v1.2), from what the provisioner recorded and what
 * ECS says of the recorded task. Pure: the caller reads the record and, for a workspace recorded
 * `running`, describes its task.
 *
 * The record is the authority on everything but one thing it cannot see: a `running` task that ECS
 * has stopped (or no longer knows) while no task state change reached the provisioner. Then the
 * answer is `stopped`, which the reconciliation sweep will act on.
 */
import type { WorkspaceStatusDetail } from '#contracts/outbound.ts';
import type { WorkspaceRecord } from '#ports/workspace-record-store.ts';

/** What ECS says of the recorded task (a DescribeTasks task); only these fields are read. */
export interface EcsTaskView {
  readonly lastStatus?: string;
  /** When ECS stopped it: DescribeTasks gives a Date, the state change event an ISO string. */
  readonly stoppedAt?: Date | string;
}

/** `Workspace Status` without the ids the handler adds (`requestId`, `workspaceId`). */
export type WorkspaceStatus = Omit<WorkspaceStatusDetail, 'requestId' | 'workspaceId'>;

const isoOf = (at: number | Date | string): string | undefined => {
  const time = new Date(at);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
};

/** True when ECS shows the recorded task is gone: STOPPED, or not known to ECS at all (`null`). */
function ecsLostTask(ecsTask: EcsTaskView | null | undefined): boolean {
  return ecsTask === null || ecsTask?.lastStatus === 'STOPPED';
}

/**
 * The workspace's status.
 *
 * @param record - the workspace record, or `undefined` when there is none (`unknown`).
 * @param ecsTask - ECS's view of `record.taskArn`: omitted when not asked, `null` when ECS does not
 *   know the task. Read only for a record that says `running`.
 *
 * `since` is the record's last state change, or ECS's `stoppedAt` for a running record whose task
 * ECS stopped (left out when ECS does not say when). `url` is given only while `running`: the
 * address of a stopped task is no longer the workspace's.
 */
export function statusOf(record: WorkspaceRecord | undefined, ecsTask?: EcsTaskView | null): WorkspaceStatus {
  if (record === undefined) return { state: 'unknown' };
  const identity = {
    kind: record.kind,
    runtime: record.runtime,
    ...(record.taskArn === undefined ? {} : { taskArn: record.taskArn }),
  };
  if (record.state === 'running' && ecsLostTask(ecsTask)) {
    const stoppedAt = ecsTask?.stoppedAt === undefined ? undefined : isoOf(ecsTask.stoppedAt);
    return { state: 'stopped', ...identity, ...(stoppedAt === undefined ? {} : { since: stoppedAt }) };
  }
  const since = isoOf(record.since);
  return {
    state: record.state,
    ...identity,
    ...(record.state === 'running' && record.url !== undefined ? { url: record.url } : {}),
    ...(since === undefined ? {} : { since }),
  };
}
