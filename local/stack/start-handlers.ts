/**
 * The handlers: built with their factories, the real SDK clients on the stack's endpoint and the
 * durable ports, on worker threads (a pool) or on the stack's own thread; then each function's
 * deployment (spec, handler, reserved concurrency) for the invoker.
 */

import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import type { LaunchRetryPolicy } from '#functions/provision/create-handler.ts';
import type { FaultOptions, LocalDatabase, QuotaOptions } from '#local/interfaces.ts';
import { startHandlerPool } from '#local/lambda/handler-pool.ts';
import type { HandlerSetup } from '#local/lambda/handlers.ts';
import { withInjectedFaults } from '#local/lambda/injected-faults.ts';
import type { FunctionDeployment, LambdaHandler } from '#local/lambda/invoker.ts';
import { SqliteIdempotencyStore } from '#local/ports/idempotency-store.ts';
import { localPorts, portOperations } from '#local/ports/remote.ts';
import { SqliteWorkspaceLeaseStore } from '#local/ports/workspace-lease-store.ts';
import { IN_MEMORY } from '#local/store/index.ts';
import { FUNCTIONS, type FunctionName } from '#wiring/functions.ts';
import { DEFAULT_RECOVERY_ATTEMPTS, DEFAULT_RECOVERY_WINDOW_SECONDS } from '#wiring/names.ts';
import type { Cleanups } from './cleanups.ts';
import { provisionConcurrencyFor } from './provision-concurrency.ts';

/** Handler threads when the stack's `handlerThreads` is not given. */
export const DEFAULT_HANDLER_THREADS = 1;

/**
 * The recovery settings the local stack's handlers get when `npm start` is given none: the
 * deployed crash-loop cap (5 recoveries within 30 minutes) and a short backoff base (2 s, not the
 * deployed 10 s), so a crash tried locally is recovered in moments.
 */
export const LOCAL_RECOVERY_DEFAULTS = {
  attempts: DEFAULT_RECOVERY_ATTEMPTS,
  windowSeconds: DEFAULT_RECOVERY_WINDOW_SECONDS,
  // Shorter than a deployment's 10 s: a crash on a developer's machine is back in seconds.
  backoffSeconds: 2,
} as const;

/**
 * v1.3: how long a persistent workspace's launch waits for the previous task's save locally
 * (`--data-save-wait`): shorter than a deployment's 240 s, as a local save is a directory copy.
 */
export const LOCAL_DATA_SAVE_WAIT_SECONDS = 60;

/** What {@link startHandlers} needs. */
export interface HandlersOptions {
  readonly database: LocalDatabase;
  readonly url: string;
  readonly region: string;
  readonly account: string;
  readonly handlerLogLevel: LogLevel;
  readonly handlerThreads?: number;
  readonly provisionRetry?: Partial<LaunchRetryPolicy>;
  /** v1.1: how long a request waits for its template assets. @default 300 */
  readonly templateAssetsTimeoutSeconds?: number;
  /** `--recovery-attempts`. @default LOCAL_RECOVERY_DEFAULTS.attempts */
  readonly recoveryAttempts?: number;
  /** `--recovery-window`. @default LOCAL_RECOVERY_DEFAULTS.windowSeconds */
  readonly recoveryWindowSeconds?: number;
  /** `--recovery-backoff`. @default LOCAL_RECOVERY_DEFAULTS.backoffSeconds */
  readonly recoveryBackoffSeconds?: number;
  /** v1.3 `--data-save-wait`. @default LOCAL_DATA_SAVE_WAIT_SECONDS */
  readonly dataSaveWaitSeconds?: number;
  /** `--reconcile-grace`. @default the deployment's (120) */
  readonly reconcileGraceSeconds?: number;
  readonly registry?: string;
  readonly tag?: string;
  readonly reservedConcurrency?: number;
  readonly quota?: QuotaOptions;
  /** Only `functionErrors` applies here. */
  readonly faults?: FaultOptions;
  /** The secret the handlers' clients prove the functions' principal with. */
  readonly principal: string;
}

/**
 * Only this process ever holds locks and leases, so whatever a killed run left is orphaned: frees
 * them, and answers how many.
 */
export function releaseOrphanedLocks(database: LocalDatabase): number {
  return (
    SqliteIdempotencyStore.releaseOrphanedLocks(database) + SqliteWorkspaceLeaseStore.releaseAll(database)
  );
}

/** Threads for the handlers: none for an in-memory store (worker threads cannot share it). */
export function handlerThreadsFor(databasePath: string, handlerThreads: number | undefined): number {
  return databasePath === IN_MEMORY ? 0 : (handlerThreads ?? DEFAULT_HANDLER_THREADS);
}

/**
 * The plain data the handlers are built from (on the stack's thread or each handler thread): the
 * stack's options as the handlers read them, the recovery settings filled in with
 * {@link LOCAL_RECOVERY_DEFAULTS}.
 */
export function handlerSetupOf(options: HandlersOptions): HandlerSetup {
  return {
    url: options.url,
    region: options.region,
    handlerLogLevel: options.handlerLogLevel,
    principal: options.principal,
    ...(options.provisionRetry ? { provisionRetry: options.provisionRetry } : {}),
    ...(options.templateAssetsTimeoutSeconds !== undefined
      ? { templateAssetsTimeoutSeconds: options.templateAssetsTimeoutSeconds }
      : {}),
    recoveryAttempts: options.recoveryAttempts ?? LOCAL_RECOVERY_DEFAULTS.attempts,
    recoveryWindowSeconds: options.recoveryWindowSeconds ?? LOCAL_RECOVERY_DEFAULTS.windowSeconds,
    recoveryBackoffSeconds: options.recoveryBackoffSeconds ?? LOCAL_RECOVERY_DEFAULTS.backoffSeconds,
    dataSaveWaitSeconds: options.dataSaveWaitSeconds ?? LOCAL_DATA_SAVE_WAIT_SECONDS,
    ...(options.reconcileGraceSeconds !== undefined
      ? { reconcileGraceSeconds: options.reconcileGraceSeconds }
      : {}),
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.tag ? { tag: options.tag } : {}),
  };
}

/** Builds the handlers, registering their cleanup, and answers each function's deployment. */
export async function startHandlers(
  options: HandlersOptions,
  cleanups: Cleanups,
): Promise<Partial<Record<FunctionName, FunctionDeployment>>> {
  const { database, account } = options;
  const setup = handlerSetupOf(options);
  const threads = handlerThreadsFor(database.path, options.handlerThreads);
  let handlers: Record<FunctionName, LambdaHandler>;
  if (threads > 0) {
    const pool = await startHandlerPool(threads, { ...setup, account }, portOperations(database));
    cleanups.add(() => pool.close());
    handlers = Object.fromEntries(
      Object.keys(FUNCTIONS).map((name) => [name, pool.handler(name as FunctionName)]),
    ) as Record<FunctionName, LambdaHandler>;
  } else {
    const { buildHandlers } = await import('#local/lambda/handlers.ts');
    const built = buildHandlers(setup, localPorts(database));
    cleanups.add(() => built.close());
    handlers = built.handlers;
  }
  handlers = withInjectedFaults(handlers, options.faults?.functionErrors);
  return deploymentsOf(handlers, options.reservedConcurrency ?? provisionConcurrencyFor(options.quota));
}

/** Each function's spec and handler; the provision function gets its reserved concurrency. */
export function deploymentsOf(
  handlers: Record<FunctionName, LambdaHandler>,
  provisionConcurrency: number,
): Partial<Record<FunctionName, FunctionDeployment>> {
  const functions: Partial<Record<FunctionName, FunctionDeployment>> = {};
  for (const name of Object.keys(handlers) as FunctionName[]) {
    functions[name] = {
      spec: FUNCTIONS[name],
      handler: handlers[name],
      ...(name === 'provision' ? { reservedConcurrency: provisionConcurrency } : {}),
    };
  }
  return functions;
}
