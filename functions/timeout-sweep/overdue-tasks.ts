/**
 * Which tasks the sweep treats as overdue, and the `Workspace Provision Failed` (PROVISION_TIMEOUT)
 * report for one. Pure: the sweep's I/O is in `timeout-sweep-flow.ts`.
 */
import type { RuntimeSpec } from '#config/catalog.ts';
import { workspaceIdField } from '#contracts/fields.ts';
import { KINDS, type Kind, TAG_KEYS } from '#contracts/names.ts';
import type { ProvisionFailedDetail } from '#contracts/outbound.ts';
import { PRE_RUNNING_STATUSES, type TaskSummary } from '#ports/task-runner.ts';

/** Overdue: still before RUNNING, never started, and older than the runtime's provision timeout. */
export function isOverdue(task: TaskSummary, runtime: RuntimeSpec, now: number): boolean {
  if (!PRE_RUNNING_STATUSES.has(task.lastStatus ?? '') || task.startedAt || task.desiredStatus === 'STOPPED')
    return false;
  if (!task.createdAt) return false;
  return now - task.createdAt.getTime() > runtime.provisionTimeoutSeconds * 1000;
}

const kindOf = (task: TaskSummary): Kind | undefined => {
  const raw = task.tags[TAG_KEYS.kind] ?? task.systemEnvironment.WORKSPACE_KIND;
  return (KINDS as readonly string[]).includes(raw ?? '') ? (raw as Kind) : undefined;
};

/** The workspace a task belongs to: `startedBy`, the tag, or the system environment, if valid. */
export const workspaceOf = (task: TaskSummary): string | undefined => {
  for (const candidate of [
    task.startedBy,
    task.tags[TAG_KEYS.workspaceId],
    task.systemEnvironment.WORKSPACE_ID,
  ]) {
    const parsed = workspaceIdField.safeParse(candidate);
    if (parsed.success) return parsed.data;
  }
  return undefined;
};

/** The PROVISION_TIMEOUT report of an overdue task of a known workspace. */
export function timeoutReportOf(
  task: TaskSummary,
  runtime: RuntimeSpec,
  workspaceId: string,
): ProvisionFailedDetail {
  const kind = kindOf(task);
  const requestId = task.tags[TAG_KEYS.requestId];
  return {
    workspaceId,
    code: 'PROVISION_TIMEOUT',
    reason: `the task did not reach RUNNING within ${runtime.provisionTimeoutSeconds} seconds`,
    retryable: true,
    runtime: runtime.name,
    taskArn: task.taskArn,
    ...(kind ? { kind } : {}),
    ...(requestId ? { requestId } : {}),
  };
}
