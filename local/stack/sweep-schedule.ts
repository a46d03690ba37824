/** The timeout sweep on its schedule: an `aws.events` `Scheduled Event` to the sweep function every interval. */

import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '#local/interfaces.ts';
import { TIMEOUT_SWEEP_SCHEDULE } from '#wiring/flows.ts';
import type { FunctionName } from '#wiring/functions.ts';
import type { Cleanups } from './cleanups.ts';

/** What the schedule invokes through (the async invoker). */
export interface ScheduleTarget {
  invokeAsync(functionName: FunctionName, event: unknown, origin: string): unknown;
}

/** The deployed schedule's interval, rate(1 minute). */
export const DEFAULT_SWEEP_INTERVAL_MS = TIMEOUT_SWEEP_SCHEDULE.rateMinutes * 60_000;

/** Invokes the timeout sweep every `intervalMs` (not keeping the process alive); the cleanup stops it. */
export function scheduleSweep(
  target: ScheduleTarget,
  scope: { readonly region: string; readonly account: string },
  intervalMs: number,
  cleanups: Cleanups,
): void {
  const sweepTimer = setInterval(() => {
    const at = new Date();
    target.invokeAsync(
      'timeout-sweep',
      scheduledEvent(scope.region, scope.account, at),
      `schedule:${TIMEOUT_SWEEP_SCHEDULE.id}:${at.toISOString()}`,
    );
  }, intervalMs);
  sweepTimer.unref();
  cleanups.add(() => clearInterval(sweepTimer));
}

/** The envelope EventBridge Scheduler-style rules send: `aws.events` `Scheduled Event`. */
export function scheduledEvent(region: string, account: string, at: Date): EventEnvelope {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account,
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:${account}:rule/${TIMEOUT_SWEEP_SCHEDULE.id}`],
    detail: {},
  };
}
