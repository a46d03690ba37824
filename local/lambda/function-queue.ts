/**
 * The per-function queues of the async invoker: one lane per function with its concurrency limit
 * and its ready list; an invocation due later waits on a timer, one due now joins its lane's ready
 * list, and the lanes are pumped once per turn of the event loop (so a hand-over never runs handler
 * code inside the bus's accept call).
 */

import type { FunctionName } from '#wiring/functions.ts';
import { UnknownFunctionError } from './errors.ts';
import type { FunctionDeployment, Invocation } from './invocation.ts';
import { isPastMaxEventAge } from './retry-policy.ts';

/** One function's queue. */
export interface Lane {
  readonly deployment: FunctionDeployment;
  readonly limit: number;
  running: number;
  readonly ready: Invocation[];
  head: number;
}

/** What the queues call out to; see {@link createFunctionQueues}. */
export interface FunctionQueuesOptions {
  readonly functions: Partial<Readonly<Record<FunctionName, FunctionDeployment>>>;
  /** Concurrency of a function without a reservation. */
  readonly unreservedConcurrency: number;
  readonly now: () => number;
  /**
   * Marks a pass's invocations started, in one transaction, each before its handler is called (so
   * an attempt a crash cuts short still counts). Answers which ones started; throws to leave them
   * queued in the store.
   */
  begin(batch: readonly Invocation[]): boolean[];
  /** Runs a started attempt. */
  run(lane: Lane, invocation: Invocation): Promise<void>;
  /** An invocation past its function's maximum event age, taken off the queue unrun. */
  expire(lane: Lane, invocation: Invocation): void;
  /** Bookkeeping failed (`begin` or `expire` threw). */
  error(error: unknown): void;
}

/** The lanes; dispatch stops with `stop` and resumes with `start`. */
export interface FunctionQueues {
  /** The function's lane; UnknownFunctionError when it has none. */
  laneOf(functionName: string): Lane;
  has(functionName: string): boolean;
  /** Dispatches `invocation` when due (now, or on a timer); nothing while stopped. */
  enqueue(invocation: Invocation): void;
  readonly stopped: boolean;
  start(): void;
  /** Stops dispatching and drops the timers; answers the attempts still running. */
  stop(): Promise<void>[];
  backlog(): Record<string, { readonly queued: number; readonly running: number }>;
}

/** A lane's ready list is compacted when this many taken slots lead it (and they are most of it). */
const COMPACT_AFTER = 1024;

export function createFunctionQueues(options: FunctionQueuesOptions): FunctionQueues {
  const { now } = options;
  const lanes = new Map<string, Lane>();
  for (const [name, deployment] of Object.entries(options.functions)) {
    if (!deployment) continue;
    const limit = deployment.reservedConcurrency ?? options.unreservedConcurrency;
    lanes.set(name, { deployment, limit, running: 0, ready: [], head: 0 });
  }
  const timers = new Set<NodeJS.Timeout>();
  const state: PumpState = { options, stopped: true, runningAttempts: new Set() };
  const lanesToPump = new Set<Lane>();
  let pumpScheduled = false;

  function laneOf(functionName: string): Lane {
    const lane = lanes.get(functionName);
    if (!lane) throw new UnknownFunctionError(functionName);
    return lane;
  }

  function enqueue(invocation: Invocation): void {
    if (state.stopped) return;
    const delay = invocation.nextAttemptAt - now();
    if (delay <= 0) {
      makeReady(invocation);
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!state.stopped) makeReady(invocation);
    }, delay);
    timers.add(timer);
  }

  function makeReady(invocation: Invocation): void {
    const lane = laneOf(invocation.functionName);
    lane.ready.push(invocation);
    lanesToPump.add(lane);
    if (!pumpScheduled) {
      pumpScheduled = true;
      setImmediate(pumpAll);
    }
  }

  function pumpAll(): void {
    pumpScheduled = false;
    const pending = [...lanesToPump];
    lanesToPump.clear();
    for (const lane of pending) pump(state, lane);
  }

  return {
    laneOf,
    has: (functionName) => lanes.has(functionName),
    enqueue,
    get stopped() {
      return state.stopped;
    },
    start() {
      state.stopped = false;
    },
    stop() {
      state.stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return [...state.runningAttempts];
    },
    backlog() {
      const result: Record<string, { queued: number; running: number }> = {};
      for (const [name, lane] of lanes)
        result[name] = { queued: lane.ready.length - lane.head, running: lane.running };
      return result;
    },
  };
}

/** What a pump pass reads and changes: shared by every lane of one set of queues. */
interface PumpState {
  readonly options: FunctionQueuesOptions;
  stopped: boolean;
  readonly runningAttempts: Set<Promise<void>>;
}

/** Takes the next ready invocation off the lane, compacting the list now and then. */
function takeReady(lane: Lane): Invocation {
  const invocation = lane.ready[lane.head] as Invocation;
  lane.ready[lane.head] = undefined as unknown as Invocation;
  lane.head++;
  if (lane.head > COMPACT_AFTER && lane.head * 2 > lane.ready.length) {
    lane.ready.splice(0, lane.head);
    lane.head = 0;
  }
  return invocation;
}

/** Starts what the lane has room for; the starts of one pass are one `begin`. */
function pump(state: PumpState, lane: Lane): void {
  const { options } = state;
  const { now } = options;
  const batch: Invocation[] = [];
  while (!state.stopped && lane.running + batch.length < lane.limit && lane.head < lane.ready.length) {
    const invocation = takeReady(lane);
    if (isPastMaxEventAge(invocation.enqueuedAt, lane.deployment.spec, now())) {
      try {
        options.expire(lane, invocation);
      } catch (error) {
        options.error(error);
      }
      continue;
    }
    batch.push(invocation);
  }
  if (batch.length === 0) return;
  let started: boolean[];
  try {
    started = options.begin(batch);
  } catch (error) {
    // Still queued in the store: a restart picks them up.
    options.error(error);
    return;
  }
  for (const [index, invocation] of batch.entries()) {
    if (!started[index]) continue;
    lane.running++;
    const attempt = options.run(lane, invocation).finally(() => {
      state.runningAttempts.delete(attempt);
      lane.running--;
      pump(state, lane);
    });
    state.runningAttempts.add(attempt);
  }
}
