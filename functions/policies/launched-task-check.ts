/**
 * Checks a `Workspace Task Launched` against ECS before anything acts on it. The event carries the
 * provisioner's source, but anyone who may put events on the bus could send one: its content is
 * only believed when ECS shows the same task, in our cluster, started by the same workspace, with
 * the same request id and kind tags. A `kind=platform` claim for a `kind=workspace` task is the one
 * that matters most: it would earn the concierge overlay and the platform-MCP plugin install.
 */
import { TAG_KEYS } from '#contracts/names.ts';
import type { TaskLaunchedDetail } from '#contracts/outbound.ts';
import type { Clock } from '#ports/clock.ts';
import type { TaskRunner, TaskSummary } from '#ports/task-runner.ts';
import { LaunchedTaskNotVisibleError } from './errors.ts';

/** How long to wait for a just-launched task to become visible to DescribeTasks. */
export interface VisibilityPolicy {
  /** DescribeTasks calls before the task is declared not visible. */
  readonly attempts: number;
  /** Delay before the first re-check; doubles each time. */
  readonly baseDelayMs: number;
}

/**
 * Four calls spread over about 1.4 s: DescribeTasks right after RunTask may answer MISSING for a
 * moment (ECS's API is eventually consistent), and the overlay's 30 s timeout leaves room.
 * @default { attempts: 4, baseDelayMs: 200 }
 */
export const DEFAULT_VISIBILITY_POLICY: VisibilityPolicy = { attempts: 4, baseDelayMs: 200 };

/** Why an event is not believed. */
export type ForgeryReason = 'other-cluster' | 'workspace-mismatch' | 'request-mismatch' | 'kind-mismatch';

export type LaunchedTaskCheck =
  | { readonly verdict: 'genuine'; readonly task: TaskSummary }
  | { readonly verdict: 'forged'; readonly reason: ForgeryReason };

/** What the check runs on. */
export interface LaunchedTaskCheckPorts {
  readonly runner: Pick<TaskRunner, 'describeTasks'>;
  readonly clock: Pick<Clock, 'sleep'>;
  /** The configured cluster's ARN (`CLUSTER_ARN`). */
  readonly clusterArn: string;
}

/** `arn:aws:ecs:<region>:<account>:cluster/<name>` -> `<name>`; a bare name stays itself. */
const clusterNameOf = (cluster: string): string => cluster.slice(cluster.lastIndexOf('/') + 1);

/**
 * The cluster a task ARN names (`…:task/<cluster>/<id>`), or undefined for the old format
 * (`…:task/<id>`), which names none.
 */
const clusterOfTaskArn = (taskArn: string): string | undefined => {
  const parts = taskArn.split(':task/')[1]?.split('/');
  return parts && parts.length === 2 ? parts[0] : undefined;
};

/** Whether an event's claims about a task match what ECS reports, and if not, the first mismatch. */
export function compareWithTask(
  launched: TaskLaunchedDetail,
  task: TaskSummary,
  clusterArn: string,
): ForgeryReason | undefined {
  if (task.clusterArn !== undefined && clusterNameOf(task.clusterArn) !== clusterNameOf(clusterArn))
    return 'other-cluster';
  if (task.startedBy !== launched.workspaceId) return 'workspace-mismatch';
  // An `alreadyRunning` event reports a task an earlier request launched: its request tag is that
  // request's. Workspace and kind still have to match, so it earns only the overlay it already had.
  if (!launched.alreadyRunning && task.tags[TAG_KEYS.requestId] !== launched.requestId)
    return 'request-mismatch';
  if (task.tags[TAG_KEYS.kind] !== launched.kind) return 'kind-mismatch';
  return undefined;
}

/**
 * Checks a launched event against ECS. A task that exists and does not match, or an event that
 * names another cluster, is forged. A task ECS does not show yet is re-checked with a short
 * backoff, since DescribeTasks lags RunTask.
 *
 * @throws LaunchedTaskNotVisibleError when ECS still does not show the task after every attempt.
 */
export async function checkLaunchedTask(
  launched: TaskLaunchedDetail,
  ports: LaunchedTaskCheckPorts,
  policy: VisibilityPolicy = DEFAULT_VISIBILITY_POLICY,
): Promise<LaunchedTaskCheck> {
  const ours = clusterNameOf(ports.clusterArn);
  const arnCluster = clusterOfTaskArn(launched.taskArn);
  if (clusterNameOf(launched.clusterArn) !== ours || (arnCluster !== undefined && arnCluster !== ours))
    return { verdict: 'forged', reason: 'other-cluster' };
  for (let attempt = 0; attempt < policy.attempts; attempt += 1) {
    if (attempt > 0) await ports.clock.sleep(policy.baseDelayMs * 2 ** (attempt - 1));
    const { tasks } = await ports.runner.describeTasks([launched.taskArn]);
    const task = tasks.find((candidate) => candidate.taskArn === launched.taskArn);
    if (!task) continue;
    const mismatch = compareWithTask(launched, task, ports.clusterArn);
    return mismatch ? { verdict: 'forged', reason: mismatch } : { verdict: 'genuine', task };
  }
  throw new LaunchedTaskNotVisibleError(
    `ECS does not show the launched task after ${policy.attempts} DescribeTasks calls`,
  );
}
