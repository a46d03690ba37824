/**
 * The task-runner port: what the handlers ask of ECS, and the task facts they read back.
 * `adapters/ecs-task-runner.ts` implements it with the ECS API; this file stays SDK-free so the
 * policies and flows can be tested over a fake runner.
 */
import type { RunTaskInput } from '#core/plan-launch.ts';
import type { RunTaskOutcome } from '#core/run-task-outcome.ts';

/** ECS's `DesiredStatus` values, a ListTasks filter. */
export type TaskDesiredStatus = 'PENDING' | 'RUNNING' | 'STOPPED';

/** Statuses of a task that has not reached RUNNING yet. */
export const PRE_RUNNING_STATUSES: ReadonlySet<string> = new Set(['PROVISIONING', 'PENDING', 'ACTIVATING']);

/**
 * What the handlers need to know about a task, read from DescribeTasks. `systemEnvironment` holds
 * only the variables the system sets (WORKSPACE_ID, ORG_ID, WORKSPACE_KIND, WORKSPACE_RUNTIME,
 * TIER): a request's own `env` values are never read, so they cannot leak into logs or events.
 */
export interface TaskSummary {
  readonly taskArn: string;
  readonly clusterArn?: string;
  readonly lastStatus?: string;
  readonly desiredStatus?: string;
  readonly startedBy?: string;
  readonly group?: string;
  readonly taskDefinitionArn?: string;
  /** `workspace-<runtime>`, from the task definition ARN or the group. */
  readonly family?: string;
  readonly createdAt?: Date;
  readonly startedAt?: Date;
  /** When the task stopped, once it has. */
  readonly stoppedAt?: Date;
  readonly cpu?: number;
  readonly memory?: number;
  readonly image?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly systemEnvironment: Readonly<Record<string, string>>;
}

export interface DescribedTasks {
  readonly tasks: TaskSummary[];
  /** ARNs ECS did not return (MISSING: not visible yet, or gone). */
  readonly missing: string[];
}

/** A task is live while neither its desired nor its last status is STOPPED. */
export const isLive = (task: TaskSummary): boolean =>
  task.desiredStatus !== 'STOPPED' && task.lastStatus !== 'STOPPED';

/** The task-runner port: what the handlers ask of ECS. */
export interface TaskRunner {
  runTask(input: RunTaskInput): Promise<RunTaskOutcome>;
  listTaskArns(filter: TaskListFilter): Promise<string[]>;
  describeTasks(taskArns: readonly string[]): Promise<DescribedTasks>;
  stopTask(taskArn: string, reason: string): Promise<void>;
}

/**
 * ListTasks filters. `startedBy` must be the only filter when it is used (ECS refuses it combined
 * with `family` or `desiredStatus`; the default desired status, RUNNING, applies).
 */
export type TaskListFilter =
  | { readonly startedBy: string }
  | { readonly family: string; readonly desiredStatus?: TaskDesiredStatus };
