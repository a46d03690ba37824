/**
 * The options a flow holds a workspace's lease with (provision, deprovision, relaunch): wait with
 * jitter until its deadline, count each wait, and let the lease outlive the invocation by a grace
 * period should the invocation die holding it.
 */
import { countMetric, type FlowInstrumentation } from '#adapters/instrumentation.ts';
import type { LeaseHoldOptions } from '#policies/workspace-lease.ts';
import type { Clock } from '#ports/clock.ts';
import { METRIC } from '#wiring/names.ts';

/** Extra life of a lease past the invocation's own deadline, should the invocation die holding it. */
export const LEASE_GRACE_MS = 5_000;

/** The lease options of a flow that gives up waiting at `deadline` (clock ms). */
export function workspaceLeaseOptions(
  ports: {
    readonly clock: Clock;
    readonly random: () => number;
    readonly instrumentation: FlowInstrumentation;
  },
  deadline: number,
  budget: { readonly remainingMs: number },
): LeaseHoldOptions {
  const { logger, metrics } = ports.instrumentation;
  return {
    clock: ports.clock,
    random: ports.random,
    deadline,
    ttlMs: budget.remainingMs + LEASE_GRACE_MS,
    onWait: () => countMetric(metrics, METRIC.leaseWaited),
    onReleaseFailed: (error: Error) => logger.warn('could not release the workspace lease', { error }),
  };
}
