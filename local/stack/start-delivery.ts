/**
 * The delivery side: the async invoker over the functions' deployments and the router built from
 * wiring/flows.ts, started invoker first (so the router's recovery can hand events straight to it),
 * each picking up what a previous run left.
 */

import type { Catalog } from '#config/catalog.ts';
import type { LocalDatabase, LocalEventBus } from '#local/interfaces.ts';
import { type AsyncInvoker, createAsyncInvoker, type FunctionDeployment } from '#local/lambda/invoker.ts';
import { createRouter, type Router } from '#local/routing/router.ts';
import { localRoutes, type Route } from '#local/routing/routes.ts';
import type { FunctionName } from '#wiring/functions.ts';
import { activityLog, type LogWriter } from './activity-log.ts';
import type { Cleanups } from './cleanups.ts';

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
  const router = createRouter({
    database,
    bus: options.bus,
    routes,
    target: invoker,
    observer: quiet ? { error: observers.router.error } : observers.router,
    ...(options.retryDelayScale !== undefined ? { retryDelayScale: options.retryDelayScale } : {}),
  });
  const invokerRecovery = invoker.start();
  cleanups.add(() => invoker.stop());
  const routerRecovery = router.start();
  cleanups.add(() => router.stop());
  return { invoker, router, routes, invokerRecovery, routerRecovery };
}
