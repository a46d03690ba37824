import type { Clock } from '#ports/clock.ts';
import type { WorkspaceLeaseStore } from '#ports/workspace-lease-store.ts';
import { WorkspaceBusyError } from './errors.ts';
import { type BackoffPolicy, fullJitterDelay } from './retry-backoff.ts';

/*
 * Waiting for a workspace's lease needs only the lease store, so it lives apart from
 * `WorkspaceTasks`: the task-state function takes leases but never calls ECS, and must not bundle
 * the ECS client.
 */

export interface LeaseWaitOptions {
  readonly clock: Clock;
  readonly random: () => number;
  /** Give up when the next wait would pass this instant (clock ms). */
  readonly deadline: number;
  /** How long the lease lasts if this invocation dies holding it. */
  readonly ttlMs: number;
  /** @default { baseDelayMs: 250, maxDelayMs: 4000 } */
  readonly backoff?: BackoffPolicy;
  /** Told before each wait (for a metric). */
  readonly onWait?: () => void;
}

/**
 * Takes the workspace's lease for `owner`, waiting with full-jitter backoff while another
 * invocation holds it and the deadline allows.
 *
 * @throws WorkspaceBusyError when the lease is still held at the deadline (retryable).
 */
export async function acquireWorkspaceLease(
  leases: WorkspaceLeaseStore,
  workspaceId: string,
  owner: string,
  options: LeaseWaitOptions,
): Promise<void> {
  const backoff = options.backoff ?? { baseDelayMs: 250, maxDelayMs: 4_000 };
  for (let attempt = 0; ; attempt++) {
    if (await leases.acquire(workspaceId, owner, options.ttlMs)) return;
    const delay = Math.max(1, fullJitterDelay(attempt, backoff, options.random));
    if (options.clock.now() + delay > options.deadline) {
      throw new WorkspaceBusyError(
        `workspace ${workspaceId} is busy with another request; the platform will retry`,
      );
    }
    options.onWait?.();
    await options.clock.sleep(delay);
  }
}

/** What {@link withWorkspaceLease} needs besides the wait options. */
export interface LeaseHoldOptions extends LeaseWaitOptions {
  /** Told when the release fails; the lease then expires on its own after `ttlMs`. */
  readonly onReleaseFailed: (error: Error) => void;
}

/**
 * Runs `work` holding the workspace's lease, and releases it afterwards whatever `work` did. A
 * failed release never hides the work's own outcome: the lease expires on its own.
 *
 * @throws WorkspaceBusyError when the lease is still held by another owner at the deadline.
 */
export async function withWorkspaceLease<T>(
  leases: WorkspaceLeaseStore,
  workspaceId: string,
  owner: string,
  options: LeaseHoldOptions,
  work: () => Promise<T>,
): Promise<T> {
  await acquireWorkspaceLease(leases, workspaceId, owner, options);
  try {
    return await work();
  } finally {
    await leases.release(workspaceId, owner).catch((error: unknown) => {
      options.onReleaseFailed(error as Error);
    });
  }
}
