/**
 * The delivery side: the async invoker over the functions' deployments and the router built from
 * wiring/flows.ts (plus any upstream stand-in's own route), started invoker first (so the router's
 * recovery can hand events straight to it), each picking up what a previous run left.
 */

import type { Catalog } from '#config/catalog.ts';
import type { EventEnvelope, LocalDatabase, LocalEventBus } from '#local/interfaces.ts';
import {
  type AsyncInvoker,
  createAsyncInvoker,
  type FunctionDeployment,
  type Invocation,
} from '#local/lambda/invoker.ts';
import { createRouter, type DeliveryTarget, type Router } from '#local/routing/router.ts';
import { isUpstreamRoute, localRoutes, type Route, type UpstreamRoute } from '#local/routing/routes.ts';
import type { FunctionName } from '#wiring/functions.ts';
import { activityLog, type LogWriter } from './activity-log.ts';
import type { Cleanups } from './cleanups.ts';

/**
 * A system outside the provisioner that the local stack stands in for (upstream's template asset
 * channel): its rule, and where the rule's matches go. Delivery is at most once and never waited
 * for: the stand-in answers through the stack's public endpoint, as the real system would.
 */
export interface UpstreamStandIn {
  readonly route: UpstreamRoute;
  deliver(envelope: EventEnvelope): void;
}

/** What {@link startDelivery} needs. */
export interface DeliveryOptions {
  readonly database: LocalDatabase;
  readonly bus: LocalEventBus;
  readonly catalog: Catalog;
  readonly functions: Partial<Record<FunctionName, FunctionDeployment>>;
  readonly region: string;
  readonly account: string;
  readonly retryDelayScale?: number;
  readonly unreservedConcurrency?: number;
  /** Upstream stand-ins with a rule of their own on the stack's bus. @default none */
  readonly upstream?: readonly UpstreamStandIn[];
  /** Only errors are reported when quiet. */
  readonly quiet: boolean;
  readonly log: LogWriter;
}

/** The started invoker and router, and what each recovered. */
export interface Delivery {
  readonly invoker: AsyncInvoker;
  readonly router: Router;
  readonly routes: readonly Route[];
  readonly invokerRecovery: ReturnType<AsyncInvoker['start']>;
  readonly routerRecovery: ReturnType<Router['start']>;
}

/** Creates and starts the invoker and the router, registering their cleanups. */
export function startDelivery(options: DeliveryOptions, cleanups: Cleanups): Delivery {
  const { database, region, account, quiet } = options;
  const observers = activityLog(options.log);
  const invoker = createAsyncInvoker({
    database,
    functions: options.functions,
    region,
    account,
    observer: quiet ? { error: observers.invoker.error } : observers.invoker,
    ...(options.retryDelayScale !== undefined ? { retryDelayScale: options.retryDelayScale } : {}),
    ...(options.unreservedConcurrency !== undefined
      ? { unreservedConcurrency: options.unreservedConcurrency }
      : {}),
  });
  const routes = localRoutes({ region, account, catalog: options.catalog });
  const upstream = options.upstream ?? [];
  const router = createRouter({
    database,
    bus: options.bus,
    routes: [...routes, ...upstream.map((standIn) => standIn.route)],
    target: functionsAndStandIns(invoker, upstream),
    observer: quiet ? { error: observers.router.error } : observers.router,
    ...(options.retryDelayScale !== undefined ? { retryDelayScale: options.retryDelayScale } : {}),
  });
  const invokerRecovery = invoker.start();
  cleanups.add(() => invoker.stop());
  const routerRecovery = router.start();
  cleanups.add(() => router.stop());
  return { invoker, router, routes, invokerRecovery, routerRecovery };
}

/** What the router stages: a function's invocation, or an event for an upstream stand-in. */
type Staged =
  | { readonly kind: 'function'; readonly invocation: Invocation }
  | { readonly kind: 'upstream'; readonly standIn: UpstreamStandIn; readonly envelope: EventEnvelope };

/**
 * The router's target: function routes go to the invoker (queued in the routing transaction);
 * an upstream route's match is handed to its stand-in once that transaction has committed.
 */
function functionsAndStandIns(
  invoker: AsyncInvoker,
  upstream: readonly UpstreamStandIn[],
): DeliveryTarget<Staged> {
  const standIns = new Map(upstream.map((standIn) => [standIn.route.id, standIn]));
  return {
    handOver(route, event) {
      if (!isUpstreamRoute(route)) {
        const result = invoker.handOver(route, event);
        return result.ok ? { ok: true, staged: { kind: 'function', invocation: result.staged } } : result;
      }
      const standIn = standIns.get(route.id);
      if (!standIn) {
        const errorMessage = `no stand-in for ${route.target}`;
        return { ok: false, retryable: false, errorCode: 'ResourceNotFoundException', errorMessage };
      }
      return { ok: true, staged: { kind: 'upstream', standIn, envelope: event.envelope } };
    },
    commit(staged) {
      const invocations: Invocation[] = [];
      for (const item of staged) {
        if (item.kind === 'function') invocations.push(item.invocation);
        else item.standIn.deliver(item.envelope);
      }
      if (invocations.length > 0) invoker.commit(invocations);
    },
  };
}
