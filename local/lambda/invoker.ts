import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { AcceptedEvent, LocalDatabase } from '#local/interfaces.ts';
import type { DeliveryTarget, HandOverResult } from '#local/routing/router.ts';
import type { Route } from '#local/routing/routes.ts';
import type { FunctionName, FunctionSpec } from '#wiring/functions.ts';
import { lambdaContext, localFunctionArn } from './context.ts';
import { UnknownFunctionError } from './errors.ts';
import { InvocationStore, type StoredInvocation } from './invocation-store.ts';
import { readStoredError, storedErrorText } from './stored-error.ts';

/** An async Lambda handler, as the handler factories return it (middy-wrapped). */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** One function of the stack: its settings from wiring/flows.ts and its real handler. */
export interface FunctionDeployment {
  readonly spec: FunctionSpec;
  readonly handler: LambdaHandler;
  /** Reserved concurrency; unreserved functions get `unreservedConcurrency` each. */
  readonly reservedConcurrency?: number;
}

/** The error of a failed attempt, as Lambda reports it in an on-failure record. */
export interface InvocationError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: readonly string[];
}

/** Why an invocation was given up (Lambda's `requestContext.condition`). */
export type FailureCondition = 'RetriesExhausted' | 'EventAgeExceeded';

/** An invocation in memory. `event` is for observers; every attempt gets a fresh parse of `payload`. */
export interface Invocation {
  readonly id: number;
  readonly functionName: FunctionName;
  readonly requestId: string;
  readonly origin: string;
  readonly payload: string;
  readonly event: unknown;
  readonly enqueuedAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError: InvocationError | undefined;
}

/** What the invoker reports, for the stack's log lines. */
export interface InvokerObserver {
  succeeded?(invocation: Invocation, durationMs: number): void;
  retrying?(invocation: Invocation, error: InvocationError, delayMs: number): void;
  failed?(
    invocation: Invocation,
    condition: FailureCondition,
    error: InvocationError | undefined,
    destinations: { readonly onFailure?: FunctionName; readonly deadLetterQueue: boolean },
  ): void;
  /** The invoker's own bookkeeping failed (a bug or a broken store). */
  error?(error: unknown): void;
}

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

const LAMBDA_RETRY_GAPS_MS = [60_000, 120_000] as const;

interface Lane {
  readonly deployment: FunctionDeployment;
  readonly limit: number;
  running: number;
  readonly ready: Invocation[];
  head: number;
}

/** Creates the async invoker. Call `start()` before events are routed to it. */
export function createAsyncInvoker(options: AsyncInvokerOptions): AsyncInvoker {
  const { database, region, account, observer = {} } = options;
  const now = options.now ?? Date.now;
  const scale = options.retryDelayScale ?? 1 / 60;
  const unreserved = options.unreservedConcurrency ?? 64;
  const store = new InvocationStore(database);

  const lanes = new Map<string, Lane>();
  for (const [name, deployment] of Object.entries(options.functions)) {
    if (!deployment) continue;
    lanes.set(name, {
      deployment,
      limit: deployment.reservedConcurrency ?? unreserved,
      running: 0,
      ready: [],
      head: 0,
    });
  }

  const timers = new Set<NodeJS.Timeout>();
  const runningAttempts = new Set<Promise<void>>();
  let stopped = true;
  let pumpScheduled = false;
  const lanesToPump = new Set<Lane>();

  const laneOf = (functionName: string): Lane => {
    const lane = lanes.get(functionName);
    if (!lane) throw new UnknownFunctionError(functionName);
    return lane;
  };

  const stage = (functionName: FunctionName, event: unknown, origin: string): Invocation => {
    laneOf(functionName);
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
  };

  const enqueue = (invocation: Invocation) => {
    if (stopped) return;
    const delay = invocation.nextAttemptAt - now();
    if (delay <= 0) {
      makeReady(invocation);
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) makeReady(invocation);
    }, delay);
    timers.add(timer);
  };

  const makeReady = (invocation: Invocation) => {
    const lane = laneOf(invocation.functionName);
    lane.ready.push(invocation);
    lanesToPump.add(lane);
    if (!pumpScheduled) {
      pumpScheduled = true;
      // Deferred so a hand-over never runs handler code inside the bus's accept call.
      setImmediate(pumpAll);
    }
  };

  function pumpAll() {
    pumpScheduled = false;
    const pending = [...lanesToPump];
    lanesToPump.clear();
    for (const lane of pending) pump(lane);
  }

  /**
   * Starts what the lane has room for: the starts of one pass are one transaction (each written
   * before its handler is called, so an attempt a crash cuts short still counts).
   */
  function pump(lane: Lane) {
    const batch: Invocation[] = [];
    while (!stopped && lane.running + batch.length < lane.limit && lane.head < lane.ready.length) {
      const invocation = lane.ready[lane.head] as Invocation;
      lane.ready[lane.head] = undefined as unknown as Invocation;
      lane.head++;
      if (lane.head > 1024 && lane.head * 2 > lane.ready.length) {
        lane.ready.splice(0, lane.head);
        lane.head = 0;
      }
      if (now() - invocation.enqueuedAt > lane.deployment.spec.asyncMaxEventAgeSeconds * 1000) {
        try {
          giveUp(lane, invocation, 'EventAgeExceeded');
        } catch (error) {
          observer.error?.(error);
        }
        continue;
      }
      batch.push(invocation);
    }
    if (batch.length === 0) return;
    let started: boolean[];
    try {
      started = database.transaction(() => batch.map((invocation) => store.start(invocation.id)));
    } catch (error) {
      // Still queued in the store: a restart picks them up.
      observer.error?.(error);
      return;
    }
    for (const [index, invocation] of batch.entries()) {
      if (!started[index]) continue;
      lane.running++;
      const attempt = runAttempt(lane, invocation).finally(() => {
        runningAttempts.delete(attempt);
        lane.running--;
        pump(lane);
      });
      runningAttempts.add(attempt);
    }
  }

  // Successes are recorded together, once per turn of the event loop. A crash before that write is
  // the same as a crash just before the handler returned: the attempt counts as cut short and runs
  // again (the handlers are idempotent, as Lambda's async invocation requires).
  let succeeded: Array<{ invocation: Invocation; at: number; durationMs: number }> = [];
  let flushScheduled = false;
  const flushSucceeded = () => {
    flushScheduled = false;
    if (succeeded.length === 0) return;
    const batch = succeeded;
    succeeded = [];
    try {
      database.transaction(() => {
        for (const { invocation, at } of batch) store.succeed(invocation.id, at);
      });
    } catch (error) {
      observer.error?.(error);
      return;
    }
    for (const { invocation, durationMs } of batch) observer.succeeded?.(invocation, durationMs);
  };

  const retryGapMs = (attempts: number): number =>
    Math.max(1, Math.round((LAMBDA_RETRY_GAPS_MS[attempts - 1] ?? LAMBDA_RETRY_GAPS_MS[1]) * scale));

  /** Retries spent or event too old: one transaction for the state, the DLQ and the on-failure record. */
  const giveUp = (lane: Lane, invocation: Invocation, condition: FailureCondition) => {
    const { spec } = lane.deployment;
    const error = invocation.lastError;
    const at = now();
    let onFailure: Invocation | undefined;
    const settled = database.transaction(() => {
      if (!store.fail(invocation.id, error ? storedErrorText(error) : condition, at)) return false;
      if (spec.deadLetterQueue) {
        store.deadLetter({
          invocationId: invocation.id,
          functionName: spec.name,
          requestId: invocation.requestId,
          payload: invocation.payload,
          condition,
          errorType: error?.errorType ?? null,
          errorMessage: error?.errorMessage ?? null,
          attempts: invocation.attempts,
          now: at,
        });
      }
      if (spec.onFailure && lanes.has(spec.onFailure)) {
        onFailure = stage(
          spec.onFailure,
          onFailureRecord(invocation, spec, condition, at),
          `on-failure:${invocation.id}`,
        );
      }
      return true;
    });
    if (!settled) return;
    if (onFailure) enqueue(onFailure);
    observer.failed?.(invocation, condition, error, {
      ...(onFailure ? { onFailure: spec.onFailure } : {}),
      deadLetterQueue: spec.deadLetterQueue,
    });
  };

  const onFailureRecord = (
    invocation: Invocation,
    spec: FunctionSpec,
    condition: FailureCondition,
    at: number,
  ) => ({
    version: '1.0',
    timestamp: new Date(at).toISOString(),
    requestContext: {
      requestId: invocation.requestId,
      functionArn: `${localFunctionArn(region, account, spec.name)}:$LATEST`,
      condition,
      approximateInvokeCount: invocation.attempts,
    },
    requestPayload: JSON.parse(invocation.payload),
    ...(invocation.lastError
      ? {
          responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
          responsePayload: { ...invocation.lastError, trace: [...invocation.lastError.trace] },
        }
      : {}),
  });

  /** After a failed attempt: the next retry, or give up. */
  const afterFailure = (lane: Lane, invocation: Invocation, error: InvocationError) => {
    invocation.lastError = error;
    if (invocation.attempts <= lane.deployment.spec.asyncRetryAttempts) {
      const delay = retryGapMs(invocation.attempts);
      invocation.nextAttemptAt = now() + delay;
      store.requeue(invocation.id, invocation.nextAttemptAt, storedErrorText(error));
      observer.retrying?.(invocation, error, delay);
      enqueue(invocation);
      return;
    }
    giveUp(lane, invocation, 'RetriesExhausted');
  };

  async function runAttempt(lane: Lane, invocation: Invocation): Promise<void> {
    const { spec, handler } = lane.deployment;
    try {
      invocation.attempts++;
      const started = now();
      const deadline = Date.now() + spec.timeoutSeconds * 1000;
      const context = lambdaContext({ spec, region, account, awsRequestId: invocation.requestId, deadline });
      const error = await callWithTimeout(
        handler,
        JSON.parse(invocation.payload),
        context,
        spec.timeoutSeconds,
      );
      if (error) {
        afterFailure(lane, invocation, error);
        return;
      }
      const at = now();
      succeeded.push({ invocation, at, durationMs: at - started });
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushSucceeded);
      }
    } catch (error) {
      observer.error?.(error);
    }
  }

  return {
    stage,
    commit(staged) {
      for (const invocation of staged) enqueue(invocation);
    },
    handOver(route: Route, event: AcceptedEvent): HandOverResult<Invocation> {
      if (!lanes.has(route.target)) {
        return {
          ok: false,
          retryable: false,
          errorCode: 'ResourceNotFoundException',
          errorMessage: `Function not found: ${route.target}`,
        };
      }
      if (stopped) {
        return {
          ok: false,
          retryable: true,
          errorCode: 'ServiceUnavailable',
          errorMessage: 'the invoker is stopping',
        };
      }
      return { ok: true, staged: stage(route.target, event.envelope, `event:${event.seq}:${route.id}`) };
    },
    invokeAsync(functionName, event, origin) {
      const invocation = stage(functionName, event, origin);
      enqueue(invocation);
      return invocation;
    },
    start() {
      stopped = false;
      let queued = 0;
      let interrupted = 0;
      for (const row of store.open()) {
        const lane = lanes.get(row.functionName);
        if (!lane) continue;
        const invocation = fromStored(row);
        if (row.status === 'running') {
          // The previous process died during this attempt: like a Lambda environment that
          // crashed, it counts as a failed attempt and follows the retry rules.
          interrupted++;
          afterFailure(lane, invocation, {
            errorType: 'Runtime.ExitError',
            errorMessage: 'the local stack stopped while the invocation was running',
            trace: [],
          });
        } else {
          queued++;
          enqueue(invocation);
        }
      }
      return { queued, interrupted };
    },
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const grace = options.stopGraceMs ?? 5000;
      let graceTimer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...runningAttempts]),
        new Promise<void>((resolve) => {
          graceTimer = setTimeout(resolve, grace);
        }),
      ]);
      clearTimeout(graceTimer);
      flushSucceeded();
    },
    backlog() {
      const result: Record<string, { queued: number; running: number }> = {};
      for (const [name, lane] of lanes)
        result[name] = { queued: lane.ready.length - lane.head, running: lane.running };
      return result;
    },
  };
}

function fromStored(row: StoredInvocation): Invocation {
  let event: unknown;
  try {
    event = JSON.parse(row.payload);
  } catch {
    event = undefined;
  }
  return {
    id: row.id,
    functionName: row.functionName as FunctionName,
    requestId: row.requestId,
    origin: row.origin,
    payload: row.payload,
    event,
    enqueuedAt: row.enqueuedAt,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    lastError: row.lastError ? readStoredError(row.lastError) : undefined,
  };
}

/** Runs one attempt; resolves with the error, or undefined on success. Times out like Lambda. */
async function callWithTimeout(
  handler: LambdaHandler,
  event: unknown,
  context: Context,
  timeoutSeconds: number,
): Promise<InvocationError | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<InvocationError>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          errorType: 'Sandbox.Timedout',
          errorMessage: `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`,
          trace: [],
        }),
      timeoutSeconds * 1000,
    );
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(() => handler(event, context))
        .then(
          () => undefined,
          (error: unknown) => toInvocationError(error),
        ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Lambda's error shape: `errorType` is the error's name, `trace` its stack lines. */
export function toInvocationError(error: unknown): InvocationError {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n').slice(0, 20),
    };
  }
  return { errorType: 'Error', errorMessage: String(error), trace: [] };
}
