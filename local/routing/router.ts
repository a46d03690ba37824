import { EventRuleSet, isInvalidEventPatternError } from '#local/event-pattern/index.ts';
import type { AcceptedEvent, LocalDatabase, LocalEventBus } from '#local/interfaces.ts';
import { type DeliveryCounts, type DeliveryStatus, DeliveryStore } from './delivery-store.ts';
import { InvalidRouteError } from './errors.ts';
import type { AnyRoute } from './routes.ts';

/** What a target said when an event was handed to it. */
export type HandOverResult<S> =
  | { readonly ok: true; readonly staged: S }
  | {
      readonly ok: false;
      /** AWS retries only throttles and server errors; other refusals go straight to the DLQ. */
      readonly retryable: boolean;
      readonly errorCode: string;
      readonly errorMessage: string;
    };

/**
 * Where routed events go: for Lambda targets, the function's async queue. `handOver` runs inside
 * the router's transaction and must write through the same database, so the delivery row and the
 * target's own record commit together; `commit` is called once that transaction has committed.
 */
export interface DeliveryTarget<S> {
  handOver(route: AnyRoute, event: AcceptedEvent): HandOverResult<S>;
  commit(staged: readonly S[]): void;
}

/** What the router reports, for the stack's log lines. */
export interface RouterObserver {
  /** Every accepted event, once, with the routes it matched (possibly none). */
  routed?(event: AcceptedEvent, routes: readonly AnyRoute[]): void;
  /** A hand-over failed and will be tried again. */
  retrying?(
    event: AcceptedEvent,
    route: AnyRoute,
    attempts: number,
    delayMs: number,
    errorMessage: string,
  ): void;
  /** A delivery is given up: to the target DLQ (`dlq`) or dropped (`failed`). */
  gaveUp?(event: AcceptedEvent, route: AnyRoute, status: 'dlq' | 'failed', errorMessage: string): void;
  /** Routing itself failed (a bug or a broken store); the router catches up from its mark later. */
  error?(error: unknown): void;
}

export interface RouterOptions<S> {
  readonly database: LocalDatabase;
  readonly bus: LocalEventBus;
  readonly routes: readonly AnyRoute[];
  readonly target: DeliveryTarget<S>;
  /**
   * Multiplies the modelled EventBridge retry gaps (1 min doubling to 10 min, jittered).
   * @default 1/60
   */
  readonly retryDelayScale?: number;
  readonly observer?: RouterObserver;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default Math.random */
  readonly random?: () => number;
}

export interface RecoveryReport {
  /** Events accepted before the crash or stop but never routed, routed now. */
  readonly routedOnStart: number;
  /** Deliveries whose retry was still due. */
  readonly pendingRetries: number;
}

export interface Router {
  readonly routes: readonly AnyRoute[];
  /** Routes what was accepted but not routed, schedules pending retries, then follows the bus. */
  start(): RecoveryReport;
  stop(): void;
  counts(): DeliveryCounts;
}

const PAGE = 500;
const EVENTBRIDGE_FIRST_GAP_MS = 60_000;
const EVENTBRIDGE_MAX_GAP_MS = 600_000;
// After a routing failure (not a hand-over failure), how soon to catch up from the mark.
const CATCH_UP_DELAY_MS = 250;

/**
 * The local EventBridge rule engine: matches each accepted event against the routes of its bus
 * (the table the CDK stack is built from) and hands it to each matching target with the target's
 * RetryPolicy (maximum attempts and maximum event age, then the target dead-letter table).
 *
 * Bookkeeping is durable: the delivery rows, the routed-up-to mark and the target's record of the
 * event commit in one transaction, so after a SIGKILL every accepted event is routed exactly once
 * per matching route, and none twice.
 */
export function createRouter<S>(options: RouterOptions<S>): Router {
  const { database, bus, routes, target, observer = {} } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const scale = options.retryDelayScale ?? 1 / 60;
  const store = new DeliveryStore(database);

  const ruleSets = new Map<string, EventRuleSet<AnyRoute>>();
  const routesById = new Map<string, AnyRoute>();
  for (const route of routes) {
    let ruleSet = ruleSets.get(route.bus);
    if (!ruleSet) {
      ruleSet = new EventRuleSet<AnyRoute>();
      ruleSets.set(route.bus, ruleSet);
    }
    try {
      ruleSet.add(route.id, route.pattern, route);
    } catch (error) {
      if (isInvalidEventPatternError(error)) {
        throw new InvalidRouteError(`route ${route.id}: ${error.message}`, { cause: error });
      }
      throw error;
    }
    routesById.set(route.id, route);
  }

  let mark = 0;
  let unsubscribe: (() => void) | undefined;
  let catchUpTimer: NodeJS.Timeout | undefined;
  const retryTimers = new Map<string, NodeJS.Timeout>();
  let stopped = false;

  const gapMs = (attempts: number): number => {
    const modelled = Math.min(EVENTBRIDGE_FIRST_GAP_MS * 2 ** (attempts - 1), EVENTBRIDGE_MAX_GAP_MS);
    return Math.max(1, Math.round(modelled * scale * (0.5 + random() / 2)));
  };

  interface Outcome {
    readonly status: DeliveryStatus;
    readonly nextAttemptAt: number | null;
    readonly error: string | null;
    readonly notify?: () => void;
  }

  /** One hand-over attempt and what it leaves the delivery as. Runs inside the routing transaction. */
  const attempt = (event: AcceptedEvent, route: AnyRoute, attempts: number, staged: S[]): Outcome => {
    const at = now();
    let result: HandOverResult<S>;
    try {
      result = target.handOver(route, event);
    } catch (error) {
      result = { ok: false, retryable: true, errorCode: 'InternalFailure', errorMessage: messageOf(error) };
    }
    if (result.ok) {
      staged.push(result.staged);
      return { status: 'delivered', nextAttemptAt: null, error: null };
    }
    const error = `${result.errorCode}: ${result.errorMessage}`;
    const retriesLeft = attempts <= route.retryPolicy.maximumRetryAttempts;
    const young = at - event.acceptedAt < route.retryPolicy.maximumEventAgeSeconds * 1000;
    if (result.retryable && retriesLeft && young) {
      const delay = gapMs(attempts);
      return {
        status: 'pending',
        nextAttemptAt: at + delay,
        error,
        notify: () => {
          observer.retrying?.(event, route, attempts, delay, error);
          scheduleRetry(event.seq, route.id, attempts, at + delay);
        },
      };
    }
    if (route.deadLetterQueue) {
      store.deadLetter({
        seq: event.seq,
        routeId: route.id,
        target: route.target,
        envelope: event.envelope,
        errorCode: result.errorCode,
        errorMessage: result.errorMessage,
        attempts,
        now: at,
      });
    }
    const status = route.deadLetterQueue ? 'dlq' : 'failed';
    return {
      status,
      nextAttemptAt: null,
      error,
      notify: () => observer.gaveUp?.(event, route, status, error),
    };
  };

  /** Routes a batch of accepted events: one transaction for the rows, the target records and the mark. */
  const routeEvents = (events: readonly AcceptedEvent[]): number => {
    const fresh = events.filter((event) => event.seq > mark);
    if (fresh.length === 0) return 0;
    const staged: S[] = [];
    const after: Array<() => void> = [];
    const matchedRoutes: Array<readonly AnyRoute[]> = [];
    database.transaction(() => {
      for (const event of fresh) {
        const matched = ruleSets.get(event.bus)?.match(event.envelope) ?? [];
        matchedRoutes.push(matched);
        for (const route of matched) {
          const outcome = attempt(event, route, 1, staged);
          const created = store.create({
            seq: event.seq,
            routeId: route.id,
            target: route.target,
            status: outcome.status,
            attempts: 1,
            nextAttemptAt: outcome.nextAttemptAt,
            lastError: outcome.error,
            now: now(),
          });
          if (!created) throw new InvalidRouteError(`event #${event.seq} was routed to ${route.id} twice`);
          if (outcome.notify) after.push(outcome.notify);
        }
      }
      store.advanceMark((fresh[fresh.length - 1] as AcceptedEvent).seq);
    });
    mark = Math.max(mark, (fresh[fresh.length - 1] as AcceptedEvent).seq);
    if (staged.length > 0) target.commit(staged);
    if (observer.routed) {
      for (const [index, event] of fresh.entries()) observer.routed(event, matchedRoutes[index] ?? []);
    }
    for (const notify of after) notify();
    return fresh.length;
  };

  /** Routes everything after the mark, in pages. */
  const catchUp = (): number => {
    let routed = 0;
    for (;;) {
      const page = bus.list({ afterSeq: mark, limit: PAGE });
      if (page.length === 0) return routed;
      routed += routeEvents(page);
      if (page.length < PAGE) return routed;
    }
  };

  const scheduleCatchUp = () => {
    if (stopped || catchUpTimer) return;
    catchUpTimer = setTimeout(() => {
      catchUpTimer = undefined;
      try {
        catchUp();
      } catch (error) {
        observer.error?.(error);
        scheduleCatchUp();
      }
    }, CATCH_UP_DELAY_MS);
  };

  const retry = (seq: number, routeId: string, attempts: number) => {
    const route = routesById.get(routeId);
    const event = bus.list({ afterSeq: seq - 1, limit: 1 })[0];
    if (!route || !event || event.seq !== seq) return;
    const staged: S[] = [];
    let notify: (() => void) | undefined;
    database.transaction(() => {
      const outcome = attempt(event, route, attempts + 1, staged);
      const settled = store.settle({
        seq,
        routeId,
        status: outcome.status,
        attempts: attempts + 1,
        nextAttemptAt: outcome.nextAttemptAt,
        lastError: outcome.error,
        now: now(),
      });
      if (!settled)
        throw new InvalidRouteError(`delivery of event #${seq} to ${routeId} is no longer pending`);
      notify = outcome.notify;
    });
    if (staged.length > 0) target.commit(staged);
    notify?.();
  };

  function scheduleRetry(seq: number, routeId: string, attempts: number, at: number) {
    if (stopped) return;
    const key = `${seq}\u0000${routeId}`;
    clearTimeout(retryTimers.get(key));
    const timer = setTimeout(
      () => {
        retryTimers.delete(key);
        try {
          retry(seq, routeId, attempts);
        } catch (error) {
          observer.error?.(error);
        }
      },
      Math.max(0, at - now()),
    );
    retryTimers.set(key, timer);
  }

  return {
    routes,
    start() {
      stopped = false;
      mark = store.routedUpTo();
      const routedOnStart = catchUp();
      const pending = store.pending();
      for (const delivery of pending) {
        scheduleRetry(delivery.seq, delivery.routeId, delivery.attempts, delivery.nextAttemptAt);
      }
      unsubscribe = bus.subscribe((events) => {
        if (stopped) return;
        try {
          routeEvents(events);
        } catch (error) {
          // The events are durable on the bus and after the mark: catch up from there.
          observer.error?.(error);
          scheduleCatchUp();
        }
      });
      return { routedOnStart, pendingRetries: pending.length };
    },
    stop() {
      stopped = true;
      unsubscribe?.();
      unsubscribe = undefined;
      clearTimeout(catchUpTimer);
      catchUpTimer = undefined;
      for (const timer of retryTimers.values()) clearTimeout(timer);
      retryTimers.clear();
    },
    counts: () => store.counts(),
  };
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
