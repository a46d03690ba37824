/**
 * Why a workspace's task stopped, read from what ECS says about the stopped task: its `stopCode`,
 * its `stoppedReason` and the `workspace` container's exit code and reason. The answer is the
 * `cause` of `Workspace Stopped`, and what decides whether a stop is worth recovering from. Pure:
 * it reads a task state change event as well as a DescribeTasks task.
 *
 * Sources for the codes and texts (the table-driven tests cite them row by row):
 * - stop codes: `TaskStopCode` (https://docs.aws.amazon.com/sdk-for-python/v4/reference/clients/ecs/enums/TaskStopCode/)
 *   and `stopCode` in https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html;
 * - retirement and maintenance: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-maintenance.html;
 * - out of memory: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/out-of-memory.html
 *   and https://repost.aws/knowledge-center/ecs-resolve-outofmemory-errors.
 */
import { CONTAINER_NAME, type StopCause } from '#contracts/names.ts';
import { provisionerStopOf } from './stop-reasons.ts';

/** The parts of a stopped task's container the classification reads. */
export interface StoppedContainerShape {
  readonly name?: string;
  readonly exitCode?: number;
  readonly reason?: string;
}

/** The parts of a stopped task the classification reads. */
export interface StoppedTaskShape {
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly startedAt?: unknown;
  readonly containers?: ReadonlyArray<StoppedContainerShape>;
}

/**
 * Stop codes with which ECS itself ends a task because of the platform under it: a Fargate Spot
 * interruption and its termination notice, and an unhealthy host.
 */
const INFRASTRUCTURE_STOP_CODES: ReadonlySet<string> = new Set([
  'SpotInterruption',
  'TerminationNotice',
  'InfrastructureHealth',
]);

/**
 * AWS: "The stoppedReason containing a `ECS is performing maintenance on the underlying
 * infrastructure hosting the task` message indicates that the task was stopped due to a task
 * maintenance issue" (task-maintenance.html). Matched as a contained text, as AWS words it.
 */
const MAINTENANCE_TEXT = 'ECS is performing maintenance on the underlying infrastructure hosting the task';

/**
 * AWS documents "OutOfMemoryError: Container killed due to memory usage"; the prefix is what is
 * matched, since the text after it is not promised.
 */
const OUT_OF_MEMORY_ERROR = 'OutOfMemoryError';
/** The kernel's OOM kill is a SIGKILL: exit code 128 + 9. */
const SIGKILL_EXIT_CODE = 137;
const OUT_OF_MEMORY_WORDS = /out of memory|\bOOM/i;

/**
 * True when a STOPPED task never ran: ECS says TaskFailedToStart, or the task stopped without ever
 * being started and nobody asked it to stop. Reads only `stopCode` and `startedAt`, so a
 * DescribeTasks or RunTask task answers it as well as a state change event.
 */
export function neverRan(task: { readonly stopCode?: string; readonly startedAt?: unknown }): boolean {
  if (task.stopCode === 'TaskFailedToStart') return true;
  return (
    !task.startedAt && task.stopCode !== 'UserInitiated' && task.stopCode !== 'ServiceSchedulerInitiated'
  );
}

/** The `workspace` container as ECS reports it, or the only container when none is named so. */
function workspaceContainerOf(task: StoppedTaskShape): StoppedContainerShape | undefined {
  const containers = task.containers ?? [];
  return (
    containers.find((container) => container.name === CONTAINER_NAME) ??
    (containers.length === 1 ? containers[0] : undefined)
  );
}

function ranOutOfMemory(task: StoppedTaskShape): boolean {
  const container = workspaceContainerOf(task);
  const containerReason = container?.reason ?? '';
  if (containerReason.includes(OUT_OF_MEMORY_ERROR)) return true;
  if ((task.stoppedReason ?? '').includes(OUT_OF_MEMORY_ERROR)) return true;
  return container?.exitCode === SIGKILL_EXIT_CODE && OUT_OF_MEMORY_WORDS.test(containerReason);
}

/**
 * Classifies a stopped task, first match wins:
 * 1. `timed-out`: the timeout sweep's own StopTask reason;
 * 2. `requested`: the provisioner's other StopTask reasons (deprovision, restart, the clean-up of a
 *    launch that could not be reported);
 * 3. `infrastructure`: a Spot interruption or termination notice, an unhealthy host
 *    (`InfrastructureHealth`), Fargate maintenance or retirement (its stopped reason), or a stop
 *    by an ECS service scheduler (not ours: a standalone task has none, so only the platform is left);
 * 4. `failed-to-start`: the task never ran (see {@link neverRan});
 * 5. `out-of-memory`: the documented `OutOfMemoryError` on the workspace container or the task, or
 *    the workspace container killed (exit 137) with an out-of-memory reason;
 * 6. `crashed`: an essential container exited by itself (`EssentialContainerExited`);
 * 7. `requested`: any other `UserInitiated` stop. Only a caller of StopTask produces that code (ECS's
 *    own stops carry the codes above), so someone with the right to stop the task chose to: an
 *    operator in the console, a script, another system. It is not the workspace failing, and a
 *    recovery that relaunched it would fight that person; its `stoppedReason` stays in the event,
 *    so whose stop it was can still be told;
 * 8. `crashed` for anything else (no stop code, or a code ECS adds later): the task ran and ended
 *    without anyone asking, which is what a crash looks like from outside; recovery's crash-loop
 *    limit bounds the cost of being wrong.
 */
export function stopCauseOf(task: StoppedTaskShape): StopCause {
  const askedByCaller = task.stopCode === 'UserInitiated' || task.stopCode === undefined;
  const own = askedByCaller ? provisionerStopOf(task.stoppedReason) : undefined;
  if (own === 'provision-timeout') return 'timed-out';
  if (own !== undefined) return 'requested';
  if (task.stopCode !== undefined && INFRASTRUCTURE_STOP_CODES.has(task.stopCode)) return 'infrastructure';
  if ((task.stoppedReason ?? '').includes(MAINTENANCE_TEXT)) return 'infrastructure';
  if (task.stopCode === 'ServiceSchedulerInitiated') return 'infrastructure';
  if (neverRan(task)) return 'failed-to-start';
  if (ranOutOfMemory(task)) return 'out-of-memory';
  if (task.stopCode === 'EssentialContainerExited') return 'crashed';
  if (task.stopCode === 'UserInitiated') return 'requested';
  return 'crashed';
}
