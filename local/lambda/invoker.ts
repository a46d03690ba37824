/**
 * The async invoker's assembly: the per-function queues (`function-queue.ts`) dispatch attempts
 * (`attempt.ts`); a failed attempt follows the retry policy (`retry-policy.ts`) or is given up with
 * its dead-letter row and on-failure record (`on-failure-record.ts`) in one transaction; successes
 * are written in batches (`success-batch.ts`).
 */

import { randomUUID } from 'node:crypto';
import type { AcceptedEvent, LocalDatabase } from '#local/interfaces.ts';
import type { DeliveryTarget, HandOverResult } from '#local/routing/router.ts';
import { type AnyRoute, isUpstreamRoute } from '#local/routing/routes.ts';
import type { FunctionName } from '#wiring/functions.ts';
import { type AttemptContext, runAttempt } from './attempt.ts';
import { createFunctionQueues, type FunctionQueues } from './function-queue.ts';
import type { FunctionDeployment, Invocation, InvokerObserver } from './invocation.ts';
import { createInvocationFailures } from './invocation-failures.ts';
import { InvocationStore } from './invocation-store.ts';
import { recoverOpenInvocations } from './recovery.ts';
import { createSuccessBatch } from './success-batch.ts';

export { toInvocationError } from './attempt.ts';
export type {
  FailureCondition,
  FunctionDeployment,
  Invocation,
  InvocationError,
  InvokerObserver,
  LambdaHandler,
} from './invocation.ts';

export interface AsyncInvokerOptions {
  readonly database: LocalDatabase;
  readonly functions: Partial<Readonly<Record<FunctionName, FunctionDeployment>>>;
  readonly region: string;
  readonly account: string;
  /**
   * Multiplies Lambda's async retry gaps (1 min, then 2 min).
   * @default 1/60, so 1 s and then 2 s
   */
  readonly retryDelayScale?: number;
  /** @default 64 */
  readonly unreservedConcurrency?: number;
  /** How long `stop` waits for running attempts. @default 5000 */
  readonly stopGraceMs?: number;
  readonly observer?: InvokerObserver;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Lambda's asynchronous invocation, locally: each function has a durable queue drained at its
 * concurrency; a function error is retried after Lambda's gaps (scaled) up to the function's
 * `asyncRetryAttempts`; an event older than `asyncMaxEventAgeSeconds` is not run again; a spent
 * invocation goes to the on-failure destination (Lambda's standard record) and, when the function
 * has one, its dead-letter table with the original event for redrive.
 */
export interface AsyncInvoker extends DeliveryTarget<Invocation> {
  /** Queues an invocation inside the caller's transaction (or its own). Call `commit` after it. */
  stage(functionName: FunctionName, event: unknown, origin: string): Invocation;
  /** Queues and dispatches an invocation in its own transaction. */
  invokeAsync(functionName: FunctionName, event: unknown, origin: string): Invocation;
  /** Picks up what a previous process left: queued invocations, and attempts a crash cut short. */
  start(): { readonly queued: number; readonly interrupted: number };
  /** Stops dispatching and waits (up to the grace) for the running attempts. */
  stop(): Promise<void>;
  /** Queued and running invocations per function. */
  backlog(): Record<string, { readonly queued: number; readonly running: number }>;
}

/** Creates the async invoker. Call `start()` before events are routed to it. */
export function createAsyncInvoker(options: AsyncInvokerOptions): AsyncInvoker {
  const { database, region, account, observer = {} } = options;
  const now = options.now ?? Date.now;
  const store = new InvocationStore(database);
  const successes = createSuccessBatch({ database, store, observer });
  const queues = createFunctionQueues({
    functions: options.functions,
    unreservedConcurrency: options.unreservedConcurrency ?? 64,
    now,
    begin: (batch) => database.transaction(() => batch.map((invocation) => store.start(invocation.id))),
    run: (lane, invocation) => runAttempt(attempts, lane, invocation),
    expire: (lane, invocation) => failures.giveUp(lane, invocation, 'EventAgeExceeded'),
    error: (error) => observer.error?.(error),
  });
  const failures = createInvocationFailures({
    database,
    store,
    queues,
    stage,
    observer,
    now,
    retryDelayScale: options.retryDelayScale ?? 1 / 60,
    scope: { region, account },
  });
  const attempts: AttemptContext = {
    region,
    account,
    now,
    afterFailure: failures.afterFailure,
    successes,
    observer,
  };

  function stage(functionName: FunctionName, event: unknown, origin: string): Invocation {
    queues.laneOf(functionName);
    const payload = JSON.stringify(event);
    const at = now();
    const requestId = randomUUID();
    const id = database.transaction(() =>
      store.insert({ functionName, requestId, origin, payload, enqueuedAt: at, nextAttemptAt: at }),
    );
    return {
      id,
      functionName,
      requestId,
      origin,
      payload,
      event,
      enqueuedAt: at,
      attempts: 0,
      nextAttemptAt: at,
      lastError: undefined,
    };
  }

  return {
    stage,
    commit(staged) {
      for (const invocation of staged) queues.enqueue(invocation);
    },
    handOver: (route, event) => handOver(queues, stage, route, event),
    invokeAsync(functionName, event, origin) {
      const invocation = stage(functionName, event, origin);
      queues.enqueue(invocation);
      return invocation;
    },
    start() {
      queues.start();
      return recoverOpenInvocations(store, queues, failures);
    },
    async stop() {
      const running = queues.stop();
      let graceTimer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(running),
        new Promise<void>((resolve) => {
          graceTimer = setTimeout(resolve, options.stopGraceMs ?? 5000);
        }),
      ]);
      clearTimeout(graceTimer);
      successes.flush();
    },
    backlog: () => queues.backlog(),
  };
}

/** The router's hand-over: staged in the router's transaction, or refused as Lambda's Invoke would. */
function handOver(
  queues: Pick<FunctionQueues, 'has' | 'stopped'>,
  stage: AsyncInvoker['stage'],
  route: AnyRoute,
  event: AcceptedEvent,
): HandOverResult<Invocation> {
  // An upstream stand-in's route is never a function's: the stack hands those to the stand-in.
  if (isUpstreamRoute(route) || !queues.has(route.target)) {
    const errorMessage = `Function not found: ${route.target}`;
    return { ok: false, retryable: false, errorCode: 'ResourceNotFoundException', errorMessage };
  }
  if (queues.stopped) {
    const errorMessage = 'the invoker is stopping';
    return { ok: false, retryable: true, errorCode: 'ServiceUnavailable', errorMessage };
  }
  return { ok: true, staged: stage(route.target, event.envelope, `event:${event.seq}:${route.id}`) };
}
