import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult, ParsedResultError } from '@aws-lambda-powertools/parser/types';
import type { Context } from 'aws-lambda';
import { EcsTaskRunner, runtimeOfFamily } from '#adapters/ecs-task-runner.ts';
import { EventBridgePublisher } from '#adapters/event-publisher.ts';
import { EventBridgeDetailEnvelope } from '#adapters/eventbridge-envelope.ts';
import { idempotentOn } from '#adapters/idempotency.ts';
import {
  countByCode,
  countMetric,
  type Instrumentation,
  instrumentedHandler,
} from '#adapters/instrumentation.ts';
import { rejectionOf } from '#adapters/request-rejection.ts';
import { type BackoffPolicy, fullJitterDelay } from '#adapters/retry-backoff.ts';
import { acquireWorkspaceLease } from '#adapters/workspace-lease.ts';
import { type LiveTask, WorkspaceTasks } from '#adapters/workspace-tasks.ts';
import type { Catalog, TierKey } from '#config/catalog.ts';
import { orgIdField } from '#contracts/fields.ts';
import { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import {
  DETAIL_TYPES,
  type FailureCode,
  KINDS,
  type Kind,
  TAG_KEYS,
  TIERS,
  type Tier,
} from '#contracts/names.ts';
import type { ProvisionFailedDetail, TaskLaunchedDetail } from '#contracts/outbound.ts';
import { LaunchPlanError } from '#core/errors.ts';
import { clientTokenFor, type LaunchPlan, type LaunchTarget, planLaunch } from '#core/plan-launch.ts';
import { type RunTaskOutcome, spentReasonFor } from '#core/run-task-outcome.ts';
import type { HandlerPorts } from '#functions/ports.ts';
import { METRIC } from '#wiring/names.ts';
import { LaunchRetriesSpentError, RejectionNotPublishedError } from './errors.ts';

/** What the provision handler is built from. */
export type ProvisionHandlerPorts = Pick<
  HandlerPorts,
  'ecs' | 'eventBridge' | 'idempotencyStore' | 'workspaceLeases' | 'catalog' | 'settings' | 'clock' | 'random'
>;

/** In-invocation retries of RunTask. */
export interface LaunchRetryPolicy extends BackoffPolicy {
  /**
   * Time kept back from the invocation's remaining time: the last RunTask call, the events, the
   * idempotency record and the lease release must still fit.
   */
  readonly safetyMarginMs: number;
}

export interface ProvisionHandlerOptions {
  /** Logger, metrics and (in Lambda) tracer; see adapters/lambda-instrumentation.ts. */
  readonly instrumentation: Instrumentation;
  /** @default { baseDelayMs: 250, maxDelayMs: 8000, safetyMarginMs: 10000 } */
  readonly retry?: Partial<LaunchRetryPolicy>;
  /** How long a launch record stands in for a task ListTasks does not show yet. @default 300000 */
  readonly consistencyWindowMs?: number;
  /** PutEvents entry size limit. @default 262144 */
  readonly maxEntryBytes?: number;
}

/** What an invocation came to; stored as the idempotency record's response. */
export type ProvisionResult =
  | { readonly outcome: 'rejected'; readonly errors: number }
  | { readonly outcome: 'launched'; readonly taskArn: string; readonly alreadyRunning: boolean }
  | { readonly outcome: 'failed'; readonly code: FailureCode };

const DEFAULT_RETRY: LaunchRetryPolicy = { baseDelayMs: 250, maxDelayMs: 8_000, safetyMarginMs: 10_000 };

/** Extra life of a lease past the invocation's own deadline, should the invocation die holding it. */
const LEASE_GRACE_MS = 5_000;

/**
 * The provision request contract plus the launch plan's own checks (reserved env names, ECS's
 * overrides budget), so a request that cannot be planned is rejected exactly like one that breaks
 * the contract, with the field at fault.
 */
export function provisionRequestSchema(catalog: Catalog, target: LaunchTarget) {
  return ProvisionRequestedDetail.superRefine((request, context) => {
    try {
      planLaunch(request, catalog, target);
    } catch (error) {
      if (!(error instanceof LaunchPlanError)) throw error;
      context.addIssue({ code: 'custom', path: [error.path], message: error.message });
    }
  });
}

const isKind = (value: string | undefined): value is Kind =>
  (KINDS as readonly string[]).includes(value ?? '');
const asTier = (value: string | undefined): Tier | undefined => TIERS.find((tier) => String(tier) === value);

/**
 * Creates the `Workspace Provision Requested` handler.
 *
 * Middy chain: logger (correlation id `detail.requestId`), tracer, metrics, then the parser (the
 * EventBridge envelope and the contract, as a safe parse so a bad request becomes a rejection and
 * never a retry), then Powertools idempotency keyed on the parsed `requestId`.
 *
 * Per request: at most one live task per workspace (a lease serializes racing requests; ListTasks by
 * `startedBy` plus the last launch record find a live task); RunTask with the core's plan and its
 * deterministic client token; retryable outcomes retried with full-jitter backoff while the
 * invocation's time allows, then thrown as `CODE: reason` for the platform to retry; final
 * outcomes emitted as `Workspace Provision Failed`.
 *
 * @example
 * export const handler = createProvisionHandler({ ecs, eventBridge, idempotencyStore, workspaceLeases, catalog, settings, clock });
 */
export function createProvisionHandler(ports: ProvisionHandlerPorts, options: ProvisionHandlerOptions) {
  const instrumentation = options.instrumentation;
  const { logger, metrics } = instrumentation;
  const retry: LaunchRetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const { catalog, clock, settings, workspaceLeases } = ports;
  const random = ports.random ?? Math.random;
  const runner = new EcsTaskRunner(ports.ecs, { cluster: settings.launchTarget.cluster });
  const workspaceTasks = new WorkspaceTasks(runner, workspaceLeases, clock, {
    ...(options.consistencyWindowMs !== undefined
      ? { consistencyWindowMs: options.consistencyWindowMs }
      : {}),
  });
  const publisher = new EventBridgePublisher(ports.eventBridge, {
    eventBusName: settings.eventBusName,
    source: settings.provisionerSource,
    clock,
    random,
    onRetry: (entries) => countMetric(metrics, METRIC.putEventsEntriesRetried, entries),
    ...(options.maxEntryBytes !== undefined ? { maxEntryBytes: options.maxEntryBytes } : {}),
  });

  async function reject(failure: ParsedResultError<unknown>): Promise<ProvisionResult> {
    const detail = rejectionOf(failure, DETAIL_TYPES.provisionRequested);
    // Field paths only: a message could quote a field the request got wrong, never worth the risk.
    logger.warn('rejected a provision request that breaks the contract', {
      rejectedEventId: detail.rejectedEventId,
      fields: detail.errors.map((error) => error.path),
    });
    try {
      await publisher.publish([{ detailType: DETAIL_TYPES.provisionRejected, detail }]);
    } catch (error) {
      throw new RejectionNotPublishedError({ cause: error });
    }
    countMetric(metrics, METRIC.provisionRejected);
    return { outcome: 'rejected', errors: detail.errors.length };
  }

  /** The launched event for a task: the task's own facts where ECS has them, the plan's otherwise. */
  function launchedDetail(
    request: ProvisionRequestedDetail,
    plan: LaunchPlan,
    task: { taskArn: string; clusterArn?: string | undefined; summary?: LiveTask['summary'] },
  ): TaskLaunchedDetail {
    const summary = task.summary;
    const taggedRuntime = runtimeOfFamily(summary?.family) ?? summary?.tags[TAG_KEYS.runtime];
    const runtime = taggedRuntime && catalog.runtimes[taggedRuntime] ? taggedRuntime : request.runtime;
    const taggedKind = summary?.tags[TAG_KEYS.kind] ?? summary?.systemEnvironment.WORKSPACE_KIND;
    const tier = asTier(summary?.systemEnvironment.TIER) ?? request.tier;
    const sizing = catalog.tiers[String(tier) as TierKey];
    const orgId = orgIdField.safeParse(summary?.tags[TAG_KEYS.orgId]);
    return {
      requestId: request.requestId,
      workspaceId: request.workspaceId,
      orgId: orgId.success ? orgId.data : request.orgId,
      runtime,
      kind: isKind(taggedKind) ? taggedKind : request.kind,
      tier,
      image: summary?.image ?? catalog.runtimes[runtime]?.image ?? plan.image,
      taskArn: task.taskArn,
      clusterArn: task.clusterArn ?? summary?.clusterArn ?? settings.launchTarget.cluster,
      cpu: summary?.cpu ?? sizing?.cpu ?? plan.cpu,
      memory: summary?.memory ?? sizing?.memory ?? plan.memory,
      ...(request.template ? { template: request.template } : {}),
    };
  }

  /** The workspace already has a live task: report it, and never launch a second one. */
  async function reportExisting(
    request: ProvisionRequestedDetail,
    plan: LaunchPlan,
    task: LiveTask,
  ): Promise<ProvisionResult> {
    const sameRequest = task.requestId === request.requestId;
    const detail: TaskLaunchedDetail = {
      ...launchedDetail(request, plan, task),
      ...(sameRequest ? {} : { alreadyRunning: true }),
    };
    logger.info(
      sameRequest
        ? 'reporting the task this request already launched'
        : 'the workspace already has a live task',
      {
        taskArn: task.taskArn,
        source: task.source,
      },
    );
    await publisher.publish([{ detailType: DETAIL_TYPES.taskLaunched, detail }]);
    countMetric(metrics, sameRequest ? METRIC.taskLaunched : METRIC.taskAlreadyRunning);
    return { outcome: 'launched', taskArn: task.taskArn, alreadyRunning: !sameRequest };
  }

  /** RunTask until it launches, fails for good, or the time budget ends (then throws for the platform). */
  async function launchWithRetries(
    plan: LaunchPlan,
    budgetEnd: number,
  ): Promise<Exclude<RunTaskOutcome, { kind: 'retryable' }>> {
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

  async function fail(
    request: ProvisionRequestedDetail,
    code: FailureCode,
    reason: string,
  ): Promise<ProvisionResult> {
    const detail: ProvisionFailedDetail = {
      requestId: request.requestId,
      workspaceId: request.workspaceId,
      code,
      reason,
      retryable: false,
      runtime: request.runtime,
      kind: request.kind,
    };
    logger.error('the launch failed for good', { code });
    await publisher.publish([{ detailType: DETAIL_TYPES.provisionFailed, detail }]);
    countByCode(metrics, METRIC.provisionFailed, code);
    return { outcome: 'failed', code };
  }

  async function provision(
    parsed: ParsedResult<unknown, ProvisionRequestedDetail>,
    context: Context,
  ): Promise<ProvisionResult> {
    if (!parsed.success) return reject(parsed);
    const request = parsed.data;
    logger.appendKeys({
      workspaceId: request.workspaceId,
      runtime: request.runtime,
      kind: request.kind,
      tier: request.tier,
      envCount: Object.keys(request.env ?? {}).length,
    });
    // The schema already ran the plan, so this cannot throw a LaunchPlanError.
    const plan = planLaunch(request, catalog, settings.launchTarget);
    const remainingMs = context.getRemainingTimeInMillis();
    const budgetEnd = clock.now() + remainingMs - retry.safetyMarginMs;

    await acquireWorkspaceLease(workspaceLeases, request.workspaceId, request.requestId, {
      clock,
      random,
      deadline: budgetEnd,
      ttlMs: remainingMs + LEASE_GRACE_MS,
      onWait: () => countMetric(metrics, METRIC.leaseWaited),
    });
    try {
      const [existing] = await workspaceTasks.live(request.workspaceId, request.requestId);
      if (existing) return await reportExisting(request, plan, existing);

      const outcome = await launchWithRetries(plan, budgetEnd);
      if (outcome.kind === 'final') return await fail(request, outcome.code, outcome.reason);

      await workspaceLeases.recordLaunch({
        workspaceId: request.workspaceId,
        requestId: request.requestId,
        taskArn: outcome.taskArn,
        launchedAt: clock.now(),
      });
      const detail = launchedDetail(request, plan, {
        taskArn: outcome.taskArn,
        clusterArn: outcome.clusterArn,
      });
      logger.info('launched the workspace task', {
        taskArn: outcome.taskArn,
        reusedClientToken: outcome.reused,
      });
      await publisher.publish([{ detailType: DETAIL_TYPES.taskLaunched, detail }]);
      countMetric(metrics, METRIC.taskLaunched);
      return { outcome: 'launched', taskArn: outcome.taskArn, alreadyRunning: false };
    } finally {
      await workspaceLeases.release(request.workspaceId, request.requestId).catch((error: unknown) => {
        // The lease expires on its own; a failed release must not hide the invocation's outcome.
        logger.warn('could not release the workspace lease', { error: error as Error });
      });
    }
  }

  return instrumentedHandler(instrumentation, { correlationIdPath: 'detail.requestId' })
    .use(
      parser({
        schema: provisionRequestSchema(catalog, settings.launchTarget),
        envelope: EventBridgeDetailEnvelope,
        safeParse: true,
      }),
    )
    .use(
      idempotentOn(ports.idempotencyStore, {
        scope: 'provision',
        eventKeyJmesPath: 'data.requestId',
        onReplay: () => countMetric(metrics, METRIC.idempotentReplay),
      }),
    )
    .handler<unknown, ProvisionResult>(provision);
}
