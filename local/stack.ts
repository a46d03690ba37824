import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { loadCatalog } from '#config/catalog.ts';
import { CONTAINER_NAME, DEFAULT_CLUSTER_NAME } from '#contracts/names.ts';
import type { LaunchRetryPolicy } from '#functions/provision/create-handler.ts';
import { LOCAL_ACCOUNT, readEventPage } from '#local/clients.ts';
import { createEcsEmulator } from '#local/ecs/index.ts';
import { createEventBridgeEmulator, createEventBus } from '#local/eventbridge/index.ts';
import type {
  DriverName,
  EventEnvelope,
  FaultOptions,
  LocalEventBus,
  QuotaOptions,
} from '#local/interfaces.ts';
import { startHandlerPool } from '#local/lambda/handler-pool.ts';
import type { HandlerSetup } from '#local/lambda/handlers.ts';
import { createAsyncInvoker, type FunctionDeployment, type LambdaHandler } from '#local/lambda/invoker.ts';
import { SqliteIdempotencyStore } from '#local/ports/idempotency-store.ts';
import { localPorts, portOperations } from '#local/ports/remote.ts';
import { SqliteWorkspaceLeaseStore } from '#local/ports/workspace-lease-store.ts';
import type { DeliveryCounts } from '#local/routing/delivery-store.ts';
import { createRouter } from '#local/routing/router.ts';
import { localRoutes, type Route } from '#local/routing/routes.ts';
import { activityLog, type LogWriter } from '#local/stack/activity-log.ts';
import { DATABASE_FILE, IN_MEMORY, openDatabase } from '#local/store/index.ts';
import { createLocalServer } from '#local/wire/index.ts';
import { safeText } from '#local/wire/safe-text.ts';
import { TIMEOUT_SWEEP_SCHEDULE } from '#wiring/flows.ts';
import { FUNCTIONS, type FunctionName } from '#wiring/functions.ts';
import { AWS_DEFAULT_BUS, DEFAULT_PROVISION_RESERVED_CONCURRENCY } from '#wiring/names.ts';

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
  /** Step delay of the `simulated` driver. @default the emulator's (2 ms) */
  readonly simulatedStepMs?: number;
  /**
   * Worker threads the handlers run on, beside the thread of the endpoint, bus, ECS emulator and
   * bookkeeping; 0 runs them on that thread (always so for an in-memory store).
   * @default 1
   */
  readonly handlerThreads?: number;
  /** Removes the state before starting. @default false */
  readonly reset?: boolean;
  /** Level of the handlers' own Powertools logs. @default 'WARN' ('SILENT' when quiet) */
  readonly handlerLogLevel?: LogLevel;
  /** Receives the stack's log lines. @default stdout */
  readonly log?: LogWriter;
  /** No log lines at all (tests, benchmarks). @default false */
  readonly quiet?: boolean;
}

/** The state of the durable bookkeeping, for tests and `GET`-less inspection. */
export interface LocalStackState {
  readonly deliveries: DeliveryCounts;
  readonly backlog: Record<string, { readonly queued: number; readonly running: number }>;
}

/**
 * How long a local provision invocation takes under load (measured: 50 to 100 ms). The deployed
 * sizing rule (docs/decisions/011) is reservation = RunTask rate x invocation time.
 */
const LOCAL_PROVISION_SECONDS = 0.1;

/**
 * The provision function's reserved concurrency, sized to the RunTask quota it runs against, as the
 * deployed one is: the deployed default when no quota is emulated, else enough concurrent
 * invocations to use the emulated rate (never less than the default).
 */
export function provisionConcurrencyFor(quota: QuotaOptions | undefined): number {
  if (!quota) return DEFAULT_PROVISION_RESERVED_CONCURRENCY;
  return Math.max(
    DEFAULT_PROVISION_RESERVED_CONCURRENCY,
    Math.ceil(quota.ratePerSecond * LOCAL_PROVISION_SECONDS),
  );
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

/** Handler threads when {@link LocalStackOptions.handlerThreads} is not given. */
export const DEFAULT_HANDLER_THREADS = 1;

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
  const stdout = options.log ? undefined : bufferedStdout();
  const sink = options.log ?? (stdout as BufferedWriter).write;
  const write: LogWriter = quiet
    ? () => {}
    : (line) => sink(`${new Date().toISOString().slice(11, 23)} ${safeText(line)}`);
  const handlerLogLevel: LogLevel = options.handlerLogLevel ?? (quiet ? 'SILENT' : 'WARN');

  if (options.reset) {
    for (const suffix of ['', '-wal', '-shm'])
      rmSync(join(options.stateDir, `${DATABASE_FILE}${suffix}`), { force: true });
  }

  const catalog = loadCatalog({
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.tag ? { tag: options.tag } : {}),
  });
  const database = openDatabase(options.stateDir);
  const cleanups: Array<() => Promise<void> | void> = [() => database.close(), () => stdout?.flush()];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };

  try {
    const bus = createEventBus(database);
    const ecs = createEcsEmulator({
      database,
      bus,
      region,
      account,
      clusterName: DEFAULT_CLUSTER_NAME,
      // As in AWS: ECS's own events reach the default bus, where the task-state rule sits.
      eventBusName: AWS_DEFAULT_BUS,
      driver,
      taskDefinitions: Object.values(catalog.runtimes).map((runtime) => ({
        family: runtime.family,
        image: runtime.image,
        containerName: CONTAINER_NAME,
        containerPort: runtime.containerPort,
        ...(runtime.localCommand ? { localCommand: runtime.localCommand } : {}),
      })),
      ...(options.quota ? { quota: options.quota } : {}),
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.simulatedStepMs !== undefined ? { simulatedStepMs: options.simulatedStepMs } : {}),
      log: write,
    });
    cleanups.push(() => ecs.close());
    const eventBridge = createEventBridgeEmulator({
      bus,
      region,
      account,
      ...(options.faults ? { faults: options.faults } : {}),
      log: write,
    });

    let ready = false;
    const server = await createLocalServer({
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 4010,
      eventBridge,
      ecs,
      bus,
      ready: () => ready,
      log: write,
    });
    cleanups.push(() => server.close());

    // Only this process ever holds locks and leases, so whatever a killed run left is orphaned.
    const releasedLocks =
      SqliteIdempotencyStore.releaseOrphanedLocks(database) + SqliteWorkspaceLeaseStore.releaseAll(database);
    // The handlers: their factories, the real SDK clients on the stack's endpoint, the durable stores.
    const setup: HandlerSetup = {
      url: server.url,
      region,
      handlerLogLevel,
      ...(options.provisionRetry ? { provisionRetry: options.provisionRetry } : {}),
      ...(options.registry ? { registry: options.registry } : {}),
      ...(options.tag ? { tag: options.tag } : {}),
    };
    const handlerThreads =
      database.path === IN_MEMORY ? 0 : (options.handlerThreads ?? DEFAULT_HANDLER_THREADS);
    let handlers: Record<FunctionName, LambdaHandler>;
    if (handlerThreads > 0) {
      const pool = await startHandlerPool(handlerThreads, { ...setup, account }, portOperations(database));
      cleanups.push(() => pool.close());
      handlers = Object.fromEntries(
        Object.keys(FUNCTIONS).map((name) => [name, pool.handler(name as FunctionName)]),
      ) as Record<FunctionName, LambdaHandler>;
    } else {
      const { buildHandlers } = await import('#local/lambda/handlers.ts');
      const built = buildHandlers(setup, localPorts(database));
      cleanups.push(() => built.close());
      handlers = built.handlers;
    }
    const functions: Partial<Record<FunctionName, FunctionDeployment>> = {};
    for (const name of Object.keys(handlers) as FunctionName[]) {
      functions[name] = {
        spec: FUNCTIONS[name],
        handler: handlers[name],
        ...(name === 'provision'
          ? { reservedConcurrency: options.reservedConcurrency ?? provisionConcurrencyFor(options.quota) }
          : {}),
      };
    }

    const observers = activityLog(write);
    const invoker = createAsyncInvoker({
      database,
      functions,
      region,
      account,
      observer: quiet ? { error: observers.invoker.error } : observers.invoker,
      ...(options.retryDelayScale !== undefined ? { retryDelayScale: options.retryDelayScale } : {}),
      ...(options.unreservedConcurrency !== undefined
        ? { unreservedConcurrency: options.unreservedConcurrency }
        : {}),
    });
    const routes = localRoutes({ region, account, catalog });
    const router = createRouter({
      database,
      bus,
      routes,
      target: invoker,
      observer: quiet ? { error: observers.router.error } : observers.router,
      ...(options.retryDelayScale !== undefined ? { retryDelayScale: options.retryDelayScale } : {}),
    });

    // Invoker first, so the router's recovery can hand events straight to it.
    const invokerRecovery = invoker.start();
    cleanups.push(() => invoker.stop());
    const routerRecovery = router.start();
    cleanups.push(() => router.stop());
    await ecs.reconciled;

    const sweepEvery = options.sweepIntervalMs ?? TIMEOUT_SWEEP_SCHEDULE.rateMinutes * 60_000;
    const sweepTimer = setInterval(() => {
      const at = new Date();
      invoker.invokeAsync(
        'timeout-sweep',
        scheduledEvent(region, account, at),
        `schedule:${TIMEOUT_SWEEP_SCHEDULE.id}:${at.toISOString()}`,
      );
    }, sweepEvery);
    sweepTimer.unref();
    cleanups.push(() => clearInterval(sweepTimer));

    ready = true;
    let stopping: Promise<void> | undefined;
    return {
      url: server.url,
      region,
      stateDir: options.stateDir,
      driver,
      databasePath: database.path,
      routes,
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
        ready = false;
        stopping ??= cleanUp();
        return stopping;
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

interface BufferedWriter {
  readonly write: (line: string) => void;
  readonly flush: () => void;
}

/**
 * Log lines to stdout, gathered and written once per turn of the event loop: under load the stack
 * logs several lines per request, and one write per line (a system call each on a pipe) costs the
 * stack's thread more than the work it reports.
 */
function bufferedStdout(): BufferedWriter {
  let lines: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (lines.length === 0) return;
    const text = `${lines.join('\n')}\n`;
    lines = [];
    process.stdout.write(text);
  };
  return {
    write(line) {
      lines.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

/** The envelope EventBridge Scheduler-style rules send: `aws.events` `Scheduled Event`. */
function scheduledEvent(region: string, account: string, at: Date): EventEnvelope {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account,
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:${account}:rule/${TIMEOUT_SWEEP_SCHEDULE.id}`],
    detail: {},
  };
}

/**
 * Waits until the stack's event log (`GET /local/events`) holds events that satisfy `predicate`,
 * and resolves with the whole log read then. Polls every 20 ms; rejects after `timeoutMs`.
 *
 * @example
 * await waitForEvents(stack.url, (events) => events.some((e) => e['detail-type'] === 'Workspace Running'), 10_000);
 */
export async function waitForEvents(
  url: string,
  predicate: (events: readonly EventEnvelope[]) => boolean,
  timeoutMs = 10_000,
): Promise<EventEnvelope[]> {
  const deadline = Date.now() + timeoutMs;
  const events: EventEnvelope[] = [];
  let after = 0;
  for (;;) {
    const page = await readEventPage(url, { after });
    events.push(...page.events);
    after = page.lastSeq;
    if (predicate(events)) return events;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for events; the log holds: ${events.map((event) => event['detail-type']).join(', ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
