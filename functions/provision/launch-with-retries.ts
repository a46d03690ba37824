/**
 * RunTask with in-invocation retries: a retryable outcome (capacity, throttling, a server error)
 * is retried with full-jitter backoff while the invocation's time allows, then thrown for the
 * platform to retry the event.
 */
import { countByCode, type FlowInstrumentation } from '#adapters/instrumentation.ts';
import { clientTokenFor, type LaunchPlan } from '#core/plan-launch.ts';
import { type RunTaskOutcome, spentReasonFor } from '#core/run-task-outcome.ts';
import { type BackoffPolicy, fullJitterDelay } from '#policies/retry-backoff.ts';
import type { Clock } from '#ports/clock.ts';
import type { TaskRunner } from '#ports/task-runner.ts';
import { METRIC } from '#wiring/names.ts';
import { LaunchRetriesSpentError } from './errors.ts';

/** In-invocation retries of RunTask. */
export interface LaunchRetryPolicy extends BackoffPolicy {
  /**
   * Time kept back from the invocation's remaining time: the last RunTask call, the events, the
   * idempotency record and the lease release must still fit.
   */
  readonly safetyMarginMs: number;
}

/** What the retry loop runs on. */
export interface LaunchPorts {
  readonly runner: TaskRunner;
  readonly clock: Clock;
  readonly random: () => number;
  readonly retry: LaunchRetryPolicy;
  readonly instrumentation: FlowInstrumentation;
}

/** A RunTask outcome that is not retryable: launched, or failed for good. */
export type SettledOutcome = Exclude<RunTaskOutcome, { kind: 'retryable' }>;

/**
 * RunTask until it launches, fails for good, or the time budget ends. After a launch that started
 * no task, the next attempt takes a new client token (ECS would return the same empty answer).
 *
 * @throws LaunchRetriesSpentError when the next wait would pass `budgetEnd` (clock ms).
 */
export async function launchWithRetries(
  plan: LaunchPlan,
  budgetEnd: number,
  ports: LaunchPorts,
): Promise<SettledOutcome> {
  const { runner, clock, random, retry } = ports;
  const { logger, metrics } = ports.instrumentation;
  let generation = 0;
  for (let attempt = 0; ; attempt++) {
    const input =
      generation === 0
        ? plan.runTaskInput
        : {
            ...plan.runTaskInput,
            clientToken: clientTokenFor(plan.workspaceId, plan.requestId, generation),
          };
    const outcome = await runner.runTask(input);
    if (outcome.kind !== 'retryable') return outcome;
    if (outcome.startedNoTask) generation += 1;
    const delay = fullJitterDelay(attempt, retry, random);
    if (clock.now() + delay > budgetEnd) {
      countByCode(metrics, METRIC.launchRetriesSpent, outcome.code);
      logger.warn('RunTask retries spent for this invocation; the platform retries the event', {
        code: outcome.code,
        attempts: attempt + 1,
      });
      throw new LaunchRetriesSpentError(outcome.code, spentReasonFor(outcome.code));
    }
    countByCode(metrics, METRIC.runTaskRetried, outcome.code);
    logger.info('retrying RunTask', { code: outcome.code, attempt: attempt + 1, delayMs: delay });
    await clock.sleep(delay);
  }
}
