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

  add(events: readonly Envelope[], now = Date.now()): void {
    for (const event of events) {
      if (event.source !== 'platform.provisioner') continue;
      const outcome = TERMINAL[event['detail-type']];
      const requestId = event.detail.requestId;
      if (!outcome || typeof requestId !== 'string') continue;
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

  /** Requests that got more than one terminal event. */
  duplicated(requestIds: Iterable<string>): number {
    let total = 0;
    for (const id of requestIds) if ((this.byRequest.get(id)?.length ?? 0) > 1) total += 1;
    return total;
  }
}
