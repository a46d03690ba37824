/**
 * The local stack's assembly: `startLocalStack` runs the named steps in `local/stack/` in order
 * (open the state, start the services and endpoint, build the handlers, start the invoker and
 * router, schedule the sweep) and undoes them in reverse on stop or on a failed start.
 */

import { randomUUID } from 'node:crypto';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import type { LaunchRetryPolicy } from '#functions/provision/create-handler.ts';
import { assetChannelRoute, createAssetChannel } from '#local/asset-channel/index.ts';
import { LOCAL_ACCOUNT } from '#local/clients.ts';
import type {
  DriverName,
  FaultOptions,
  LocalDatabase,
  LocalEventBus,
  QuotaOptions,
} from '#local/interfaces.ts';
import { functionDeadLetterMailboxes } from '#local/lambda/function-dead-letter-mailbox.ts';
import { invokeRoute } from '#local/lambda-api/index.ts';
import type { DeliveryCounts } from '#local/routing/delivery-store.ts';
import type { Route } from '#local/routing/routes.ts';
import { targetDeadLetterMailboxes } from '#local/routing/target-dead-letter-mailbox.ts';
import { createDeadLetterQueues, sqsRoute } from '#local/sqs/index.ts';
import type { LogWriter } from '#local/stack/activity-log.ts';
import { createCleanups } from '#local/stack/cleanups.ts';
import { stackLogOutput } from '#local/stack/log-output.ts';
import { openState } from '#local/stack/open-state.ts';
import { startDelivery, type UpstreamStandIn } from '#local/stack/start-delivery.ts';
import { releaseOrphanedLocks, startHandlers } from '#local/stack/start-handlers.ts';
import { startServices } from '#local/stack/start-services.ts';
import { DEFAULT_SWEEP_INTERVAL_MS, scheduleSweep } from '#local/stack/sweep-schedule.ts';
import type { WireRoute } from '#local/wire/index.ts';
import type { FunctionName } from '#wiring/functions.ts';

export { provisionConcurrencyFor } from '#local/stack/provision-concurrency.ts';
export {
  DEFAULT_HANDLER_THREADS,
  LOCAL_DATA_SAVE_WAIT_SECONDS,
  LOCAL_RECOVERY_DEFAULTS,
} from '#local/stack/start-handlers.ts';
export { waitForEvents } from '#local/stack/wait-for-events.ts';

/** Options of {@link startLocalStack}; every one has a default that suits `npm start`. */
export interface LocalStackOptions {
  /** Directory of the durable store (created if missing). */
  readonly stateDir: string;
  /** @default 4010; 0 picks a free port */
  readonly port?: number;
  /** Loopback address to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** @default 'process' */
  readonly driver?: DriverName;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** ECS RunTask quota emulation. @default off */
  readonly quota?: QuotaOptions;
  /** Fault injection. @default off */
  readonly faults?: FaultOptions;
  /**
   * Multiplies AWS's retry gaps: Lambda's async retries (1 min, then 2 min) and EventBridge's
   * target retries (modelled as 1 min doubling to 10 min, jittered). @default 1/60 (1 s, then 2 s)
   */
  readonly retryDelayScale?: number;
  /** Reserved concurrency of the provision function. @default sized to `quota` (see provisionConcurrencyFor); infra's 10 without one */
  readonly reservedConcurrency?: number;
  /** Concurrency of each function without a reservation. @default 64 */
  readonly unreservedConcurrency?: number;
  /** Image registry of the catalog. @default config/runtimes.json's */
  readonly registry?: string;
  /** Image tag of the catalog. @default config/runtimes.json's */
  readonly tag?: string;
  /** How often the timeout sweep runs. @default 60000 (the deployed schedule, rate(1 minute)) */
  readonly sweepIntervalMs?: number;
  /** The provision handler's in-invocation RunTask retries. @default the handler's own */
  readonly provisionRetry?: Partial<LaunchRetryPolicy>;
  /** v1.1: how long a request waits for its template assets (`--template-assets-timeout`). @default 300 */
  readonly templateAssetsTimeoutSeconds?: number;
  /**
   * Recoveries of a crashing workspace allowed within `recoveryWindowSeconds` before `Workspace
   * Recovery Abandoned` (`--recovery-attempts`). @default 5 (as deployed)
   */
  readonly recoveryAttempts?: number;
  /** The crash-loop window the recoveries are counted in (`--recovery-window`). @default 1800 (as deployed) */
  readonly recoveryWindowSeconds?: number;
  /**
   * Base of the backoff before a recovery relaunches, doubling per attempt up to 120 s
   * (`--recovery-backoff`). @default 2 (10 when deployed: short, so a local crash recovers at once)
   */
  readonly recoveryBackoffSeconds?: number;
  /**
   * v1.3: how long a persistent workspace's launch waits for the previous task's data save before
   * `DATA_SAVE_PENDING` (`--data-save-wait`). @default 60 (240 when deployed)
   */
  readonly dataSaveWaitSeconds?: number;
  /**
   * How long the sweep leaves a task, a workspace or a data volume alone before it counts as a
   * finding (`--reconcile-grace`). @default 120, as deployed
   */
  readonly reconcileGraceSeconds?: number;
  /** Step delay of the `simulated` driver. @default the emulator's (2 ms) */
  readonly simulatedStepMs?: number;
  /**
   * Worker threads the handlers run on, beside the thread of the endpoint, bus, ECS emulator and
   * bookkeeping; 0 runs them on that thread (always so for an in-memory store).
   * @default 1
   */
  readonly handlerThreads?: number;
  /**
   * Runs the stand-in for upstream's template asset channel (local/asset-channel/): it answers
   * `Workspace Template Assets Requested` by staging `config/templates/<template>/` and publishing
   * `Workspace Template Assets Staged`. Off for upstream teams testing their own channel.
   * @default true
   */
  readonly assetChannel?: boolean;
  /**
   * Routes to serve on the endpoint beside the stack's own, built once the store and the endpoint
   * exist (`npm start` mounts the local console, `local/console/`, here). @default none
   */
  readonly mountRoutes?: (context: MountContext) => readonly WireRoute[];
  /** Removes the state before starting. @default false */
  readonly reset?: boolean;
  /** Level of the handlers' own Powertools logs. @default 'WARN' ('SILENT' when quiet) */
  readonly handlerLogLevel?: LogLevel;
  /** Receives the stack's log lines. @default stdout */
  readonly log?: LogWriter;
  /** No log lines at all (tests, benchmarks). @default false */
  readonly quiet?: boolean;
}

/** What {@link LocalStackOptions.mountRoutes} builds its routes over. */
export interface MountContext {
  readonly database: LocalDatabase;
  /** The endpoint's URL. */
  readonly url: string;
  readonly region: string;
  readonly account: string;
}

/** The state of the durable bookkeeping, for tests and `GET`-less inspection. */
export interface LocalStackState {
  readonly deliveries: DeliveryCounts;
  readonly backlog: Record<string, { readonly queued: number; readonly running: number }>;
}

/** A running local stack. */
export interface LocalStack {
  /** `http://127.0.0.1:<port>`: give it to the SDK as `endpoint`, or to the CLI as `--endpoint`. */
  readonly url: string;
  readonly region: string;
  readonly stateDir: string;
  readonly driver: DriverName;
  /** Path of the sqlite database (read-only inspection while running is safe: WAL). */
  readonly databasePath: string;
  /** The routes, built from wiring/flows.ts. */
  readonly routes: readonly Route[];
  /** What was picked up from a previous run. */
  readonly recovered: {
    readonly routedOnStart: number;
    readonly pendingRetries: number;
    readonly queuedInvocations: number;
    readonly interruptedInvocations: number;
    readonly releasedLocks: number;
  };
  /** The bus, for in-process tests that want to read the log without HTTP. */
  readonly bus: LocalEventBus;
  state(): LocalStackState;
  /** Stops the schedule, the routing, the invocations (with a grace), the tasks and the endpoint. */
  stop(): Promise<void>;
}

/**
 * Starts the embedded local stack: the durable store, the bus, the ECS emulator and its task
 * driver, the loopback endpoint, then the real handlers (built with their factories and the real
 * SDK clients pointed at that endpoint), the async invoker and the router built from
 * wiring/flows.ts, and the timeout sweep on its schedule. What a previous run left (events not yet
 * routed, retries due, invocations queued or cut short) is picked up before `/local/health` says ready.
 *
 * @example
 * const stack = await startLocalStack({ port: 0, stateDir: mkdtempSync(join(tmpdir(), 'stack-')), driver: 'simulated', quiet: true });
 * const events = new EventBridgeClient({ endpoint: stack.url, region: stack.region, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
 * // ... publish, then waitForEvents(stack.url, ...)
 * await stack.stop();
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const region = options.region ?? 'us-east-1';
  const driver = options.driver ?? 'process';
  const account = LOCAL_ACCOUNT;
  const quiet = options.quiet ?? false;
  const output = stackLogOutput({ ...(options.log ? { log: options.log } : {}), quiet });
  const log = output.write;

  const { database, catalog, stateLock } = openState(options);
  const cleanups = createCleanups();
  cleanups.add(() => stateLock.release());
  cleanups.add(() => database.close());
  cleanups.add(() => output.flush());

  try {
    // The functions' stand-in for their IAM roles: as the deployed bus policy does, the local bus
    // lets only them put events with the provisioner's source.
    const functionsPrincipal = randomUUID();
    // SQS and Lambda Invoke need the invoker and the router's tables, which need the endpoint's URL
    // (the handlers' clients point at it): their routes are added once those exist, before ready.
    const wireRoutes: WireRoute[] = [];
    const services = await startServices(
      {
        database,
        stateDir: options.stateDir,
        catalog,
        region,
        account,
        driver,
        host: options.host ?? '127.0.0.1',
        port: options.port ?? 4010,
        ...(options.quota ? { quota: options.quota } : {}),
        ...(options.faults ? { faults: options.faults } : {}),
        ...(options.simulatedStepMs !== undefined ? { simulatedStepMs: options.simulatedStepMs } : {}),
        log,
        functionsPrincipal,
        wireRoutes,
      },
      cleanups,
    );
    stateLock.recordEndpoint(services.server.url, services.server.port);
    const releasedLocks = releaseOrphanedLocks(database);
    const functions = await startHandlers(
      {
        ...options,
        database,
        url: services.server.url,
        region,
        account,
        handlerLogLevel: options.handlerLogLevel ?? (quiet ? 'SILENT' : 'WARN'),
        principal: functionsPrincipal,
      },
      cleanups,
    );
    const { bus, ecs } = services;
    const upstream: UpstreamStandIn[] = [];
    const channel =
      (options.assetChannel ?? true)
        ? createAssetChannel({ url: services.server.url, region, log })
        : undefined;
    if (channel) {
      // Upstream's channel, outside the provisioner: it reaches the stack only through its endpoint.
      cleanups.add(() => channel.close());
      upstream.push({ route: assetChannelRoute(), deliver: channel.deliver });
    }
    const delivery = startDelivery(
      { ...options, database, bus, catalog, functions, region, account, quiet, log, upstream },
      cleanups,
    );
    const { invoker, router, invokerRecovery, routerRecovery } = delivery;
    const deadLetterQueues = createDeadLetterQueues({
      mailboxes: [
        ...targetDeadLetterMailboxes({ database, routes: delivery.routes, region, account }),
        ...functionDeadLetterMailboxes(database),
      ],
      region,
      account,
      endpointUrl: () => services.server.url,
    });
    wireRoutes.push(
      sqsRoute(deadLetterQueues, log),
      invokeRoute({ invoker, functions: Object.keys(functions) as FunctionName[], region, account }),
    );
    // Mounted paths (`/console`, `/local/...`) go first: S3's path-style route claims `/<bucket>/...`.
    wireRoutes.unshift(
      ...(options.mountRoutes?.({ database, url: services.server.url, region, account }) ?? []),
    );
    await ecs.reconciled;
    scheduleSweep(
      invoker,
      { region, account },
      options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS,
      cleanups,
    );

    services.markReady(true);
    channel?.recover();
    let stopping: Promise<void> | undefined;
    return {
      url: services.server.url,
      region,
      stateDir: options.stateDir,
      driver,
      databasePath: database.path,
      routes: delivery.routes,
      bus,
      recovered: {
        routedOnStart: routerRecovery.routedOnStart,
        pendingRetries: routerRecovery.pendingRetries,
        queuedInvocations: invokerRecovery.queued,
        interruptedInvocations: invokerRecovery.interrupted,
        releasedLocks,
      },
      state: () => ({ deliveries: router.counts(), backlog: invoker.backlog() }),
      stop() {
        services.markReady(false);
        stopping ??= cleanups.runAll();
        return stopping;
      },
    };
  } catch (error) {
    await cleanups.runAll();
    throw error;
  }
}
