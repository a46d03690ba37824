import type { Envelope } from './events.ts';

/** Terminal outcomes per request, read from the event log. */
export type Outcome = 'launched' | 'failed' | 'rejected';

const TERMINAL: Record<string, Outcome> = {
  'Workspace Task Launched': 'launched',
  'Workspace Provision Failed': 'failed',
  'Workspace Provision Rejected': 'rejected',
};

export class OutcomeLedger {
  /** Every terminal event seen per requestId (more than one means a duplicate delivery). */
  readonly byRequest = new Map<string, Outcome[]>();
  /** Time each request first reached an outcome (ms, client clock). */
  readonly firstSeenAt = new Map<string, number>();
  /** The tasks each request was reported launched with. */
  readonly launchedTasks = new Map<string, Set<string>>();
  /** Tasks some `Workspace Provision Failed` names (task-state's carries the task, not always the request). */
  readonly failedTasks = new Set<string>();
  /** Requests with a `Workspace Provision Failed` that names no task: a failure of the whole request. */
  readonly failedWithoutTask = new Set<string>();

  add(events: readonly Envelope[], now = Date.now()): void {
    for (const event of events) {
      if (event.source !== 'platform.provisioner') continue;
      const outcome = TERMINAL[event['detail-type']];
      const requestId = event.detail.requestId;
      const taskArn = typeof event.detail.taskArn === 'string' ? event.detail.taskArn : undefined;
      if (outcome === 'failed') {
        if (taskArn !== undefined) this.failedTasks.add(taskArn);
        else if (typeof requestId === 'string') this.failedWithoutTask.add(requestId);
      }
      if (!outcome || typeof requestId !== 'string') continue;
      if (outcome === 'launched' && taskArn !== undefined) {
        const tasks = this.launchedTasks.get(requestId) ?? new Set<string>();
        tasks.add(taskArn);
        this.launchedTasks.set(requestId, tasks);
      }
      // A task-state Failed (TASK_FAILED_TO_START) can follow a launch; the first outcome is the request's.
      const seen = this.byRequest.get(requestId) ?? [];
      seen.push(outcome);
      this.byRequest.set(requestId, seen);
      if (!this.firstSeenAt.has(requestId)) this.firstSeenAt.set(requestId, now);
    }
  }

  outcomeOf(requestId: string): Outcome | undefined {
    return this.byRequest.get(requestId)?.[0];
  }

  count(requestIds: Iterable<string>, outcome: Outcome): number {
    let total = 0;
    for (const id of requestIds) if (this.outcomeOf(id) === outcome) total += 1;
    return total;
  }

  settled(requestIds: Iterable<string>): number {
    let total = 0;
    for (const id of requestIds) if (this.byRequest.has(id)) total += 1;
    return total;
  }

  /** Requests whose terminal events disagree (e.g. launched and failed). */
  conflicting(requestIds: Iterable<string>): number {
    let total = 0;
    for (const id of requestIds) if (new Set(this.byRequest.get(id) ?? []).size > 1) total += 1;
    return total;
  }

  /**
   * Requests whose events contradict each other: reported launched with a task that a
   * `Workspace Provision Failed` names too (in either order), or launched and failed as a whole.
   */
  contradictory(requestIds: Iterable<string>): number {
    let total = 0;
    for (const id of requestIds) {
      const launched = [...(this.launchedTasks.get(id) ?? [])];
      if (launched.length === 0) continue;
      if (this.failedWithoutTask.has(id) || launched.some((taskArn) => this.failedTasks.has(taskArn)))
        total += 1;
    }
    return total;
  }

  /** Requests that got more than one terminal event. */
  duplicated(requestIds: Iterable<string>): number {
    let total = 0;
    for (const id of requestIds) if ((this.byRequest.get(id)?.length ?? 0) > 1) total += 1;
    return total;
  }
}
