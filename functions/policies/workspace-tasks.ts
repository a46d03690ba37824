import { TAG_KEYS } from '#contracts/names.ts';
import type { Clock } from '#ports/clock.ts';
import { isLive, type TaskRunner, type TaskSummary } from '#ports/task-runner.ts';
import type { WorkspaceLeaseStore } from '#ports/workspace-lease-store.ts';

/** A live task of a workspace, as ECS lists it or as the last launch record presumes it. */
export interface LiveTask {
  readonly taskArn: string;
  /** The request that launched it (the `request-id` tag, or the launch record). */
  readonly requestId?: string;
  /** DescribeTasks' view; absent when ECS does not show the task yet. */
  readonly summary?: TaskSummary;
  readonly source: 'ecs' | 'launch-record';
}

export interface WorkspaceTasksOptions {
  /**
   * How long after a launch the launch record is trusted for a task ListTasks does not show yet
   * (ListTasks is eventually consistent). @default 300000 (5 minutes)
   */
  readonly consistencyWindowMs?: number;
}

/**
 * The tasks of one workspace: ListTasks by `startedBy` (the workspace id; it must be the only
 * filter), DescribeTasks for status and tags, and the workspace's last launch record to cover a
 * task launched moments ago that ListTasks does not list yet.
 */
export class WorkspaceTasks {
  readonly #runner: TaskRunner;
  readonly #leases: WorkspaceLeaseStore;
  readonly #clock: Clock;
  readonly #consistencyWindowMs: number;

  constructor(
    runner: TaskRunner,
    leases: WorkspaceLeaseStore,
    clock: Clock,
    options: WorkspaceTasksOptions = {},
  ) {
    this.#runner = runner;
    this.#leases = leases;
    this.#clock = clock;
    this.#consistencyWindowMs = options.consistencyWindowMs ?? 300_000;
  }

  /** The workspace's live tasks; the one from `preferRequestId` first when there is one. */
  async live(workspaceId: string, preferRequestId?: string): Promise<LiveTask[]> {
    const arns = await this.#runner.listTaskArns({ startedBy: workspaceId });
    const record = await this.#leases.lastLaunch(workspaceId);
    const recent =
      record && this.#clock.now() - record.launchedAt <= this.#consistencyWindowMs ? record : undefined;
    const toDescribe = recent && !arns.includes(recent.taskArn) ? [...arns, recent.taskArn] : arns;
    const described =
      toDescribe.length > 0 ? await this.#runner.describeTasks(toDescribe) : { tasks: [], missing: [] };

    const live: LiveTask[] = described.tasks
      // ListTasks filters on startedBy already; checking again keeps another workspace's task out for sure.
      .filter(
        (task) =>
          isLive(task) && (task.startedBy === workspaceId || task.tags[TAG_KEYS.workspaceId] === workspaceId),
      )
      .map((task) => ({
        taskArn: task.taskArn,
        summary: task,
        source: 'ecs' as const,
        ...requestIdOf(task, recent),
      }));
    if (recent && described.missing.includes(recent.taskArn)) {
      // Launched moments ago and not visible yet: presume it live rather than launch a second one.
      live.push({ taskArn: recent.taskArn, requestId: recent.requestId, source: 'launch-record' });
    }
    if (preferRequestId)
      live.sort((a, b) => Number(b.requestId === preferRequestId) - Number(a.requestId === preferRequestId));
    return live;
  }
}

const requestIdOf = (
  task: TaskSummary,
  record: { taskArn: string; requestId: string } | undefined,
): { requestId?: string } => {
  const tagged = task.tags[TAG_KEYS.requestId];
  if (tagged) return { requestId: tagged };
  return record?.taskArn === task.taskArn ? { requestId: record.requestId } : {};
};
