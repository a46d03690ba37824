/**
 * The provision flow over its ports, callable without middy: at most one live task per workspace
 * (a lease serializes racing requests; ListTasks by `startedBy` plus the last launch record find a
 * live task), RunTask with the plan's deterministic client token and in-invocation retries, and
 * one outcome event per request: `Workspace Task Launched` or `Workspace Provision Failed`.
 */
import { countMetric } from '#adapters/instrumentation.ts';
import type { Catalog } from '#config/catalog.ts';
import { DETAIL_TYPES, type FailureCode } from '#contracts/names.ts';
import type { LaunchPlan } from '#core/plan-launch.ts';
import { workspaceLeaseOptions } from '#functions/launch/lease-options.ts';
import { withWorkspaceLease } from '#policies/workspace-lease.ts';
import type { WorkspaceTasks } from '#policies/workspace-tasks.ts';
import type { EventPublisher } from '#ports/event-publisher.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import type { WorkspaceLeaseStore } from '#ports/workspace-lease-store.ts';
import { METRIC } from '#wiring/names.ts';
import { type LaunchPorts, launchWithRetries } from './launch-with-retries.ts';
import { launchedDetail } from './launched-detail.ts';
import { detailContext, fail, reportExisting } from './report-outcome.ts';
import type { PlannedRequest } from './request-schema.ts';

/** What the provision flow runs on. */
export interface ProvisionPorts extends LaunchPorts {
  readonly workspaceTasks: Pick<WorkspaceTasks, 'live'>;
  readonly workspaceLeases: WorkspaceLeaseStore;
  readonly publisher: EventPublisher;
  readonly catalog: Catalog;
  readonly settings: Pick<HandlerSettings, 'launchTarget'>;
}

/** The invocation's time: what is left of it when the flow starts. */
export interface InvocationBudget {
  readonly remainingMs: number;
}

/**
 * v1.1: called with the task a request launched (or already had) before its launched event goes
 * out, so the provisioner's record names the task before ECS can report anything about it.
 */
export type OnTaskOfRequest = (taskArn: string) => Promise<void>;

/**
 * v1.2: what a caller records once the flow has found no live task and is about to launch. v1.3:
 * it may answer the plan to launch instead (a persistent workspace's, with its data volume), or a
 * failure that ends the request with nothing launched.
 */
export type BeforeLaunch = () => Promise<LaunchPreparation | undefined>;

/** v1.3: what {@link BeforeLaunch} may answer. */
export type LaunchPreparation =
  | { readonly plan: LaunchPlan }
  | { readonly failure: { readonly code: FailureCode; readonly reason: string } };

/** What a provision request came to; stored as the idempotency record's response. */
export type ProvisionResult =
  | { readonly outcome: 'rejected'; readonly errors: number }
  | { readonly outcome: 'launched'; readonly taskArn: string; readonly alreadyRunning: boolean }
  | { readonly outcome: 'failed'; readonly code: FailureCode }
  /** v1.1: Template Assets Requested is out; the launch waits for Template Assets Staged. */
  | { readonly outcome: 'awaiting-assets'; readonly destination: string }
  /** v1.1: a redelivery of a request the provisioner recorded as failed already. */
  | { readonly outcome: 'already-failed' };

/**
 * Provisions the workspace of a planned request: reports its live task if it has one, launches one
 * otherwise.
 *
 * @throws WorkspaceBusyError when another request holds the workspace past the budget.
 * @throws LaunchRetriesSpentError when retryable RunTask outcomes outlast the budget.
 */
export async function provisionWorkspace(
  { request, plan }: PlannedRequest,
  ports: ProvisionPorts,
  budget: InvocationBudget,
  onTask?: OnTaskOfRequest,
  beforeLaunch?: BeforeLaunch,
): Promise<ProvisionResult> {
  const { clock, workspaceLeases } = ports;
  const { logger, metrics } = ports.instrumentation;
  const budgetEnd = clock.now() + budget.remainingMs - ports.retry.safetyMarginMs;
  const lease = workspaceLeaseOptions(ports, budgetEnd, budget);
  return withWorkspaceLease(workspaceLeases, request.workspaceId, request.requestId, lease, async () => {
    const [existing] = await ports.workspaceTasks.live(request.workspaceId, request.requestId);
    if (existing) {
      if (existing.requestId === request.requestId) await onTask?.(existing.taskArn);
      return reportExisting(request, plan, existing, ports);
    }

    const prepared = await beforeLaunch?.();
    if (prepared && 'failure' in prepared) return fail(request, prepared.failure, ports);
    const launching = prepared?.plan ?? plan;
    const outcome = await launchWithRetries(launching, budgetEnd, ports);
    if (outcome.kind === 'final') return fail(request, outcome, ports);

    // Two stores, written together: both must hold before Task Launched goes out.
    await Promise.all([
      workspaceLeases.recordLaunch({
        workspaceId: request.workspaceId,
        requestId: request.requestId,
        taskArn: outcome.taskArn,
        launchedAt: clock.now(),
      }),
      onTask?.(outcome.taskArn),
    ]);
    const detail = launchedDetail(request, launching, outcome, detailContext(ports));
    logger.info('launched the workspace task', {
      taskArn: outcome.taskArn,
      reusedClientToken: outcome.reused,
    });
    await ports.publisher.publish([{ detailType: DETAIL_TYPES.taskLaunched, detail }]);
    countMetric(metrics, METRIC.taskLaunched);
    return { outcome: 'launched', taskArn: outcome.taskArn, alreadyRunning: false };
  });
}
