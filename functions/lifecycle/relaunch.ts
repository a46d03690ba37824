/**
 * A workspace's task replaced by a new one from the same request: what restart, recovery, a
 * scheduled retirement and the reconciliation of a lost task all come to (decision 019). Under the
 * workspace's lease (so a provision, a deprovision or another relaunch never interleaves with it):
 * the provisioner's own workspace record decides whether the relaunch still stands; the record
 * then stops naming the old task, the old task is stopped (its `Workspace Stopped` says
 * `requested`), the boot bundle is written again (so it does not expire under a workspace that
 * lives longer than a week), and RunTask launches the same plan with a client token of this
 * relaunch. The new task is recorded in the workspace record and the request record, and
 * `Workspace Task Launched` goes out; Overlay Applied and Running follow from task-state exactly as
 * for a first launch. At most one live task at every moment: the old one is stopped first.
 */
import { countMetric } from '#adapters/instrumentation.ts';
import type { Catalog } from '#config/catalog.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { clientTokenFor, type LaunchPlan, planLaunch } from '#core/plan-launch.ts';
import { workspaceLeaseOptions } from '#functions/launch/lease-options.ts';
import { withRestoredData } from '#functions/launch/restore-data.ts';
import { recordTask } from '#functions/launch/workspace-record-writes.ts';
import {
  type LaunchPorts,
  launchWithRetries,
  type SettledOutcome,
} from '#functions/provision/launch-with-retries.ts';
import { launchedDetail } from '#functions/provision/launched-detail.ts';
import { withWorkspaceLease } from '#policies/workspace-lease.ts';
import type { WorkspaceTasks } from '#policies/workspace-tasks.ts';
import type { EventPublisher } from '#ports/event-publisher.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import type { ProvisionRequestStore } from '#ports/provision-request-store.ts';
import type { WorkspaceFiles } from '#ports/workspace-files.ts';
import type { WorkspaceLeaseStore } from '#ports/workspace-lease-store.ts';
import type { WorkspaceRecord, WorkspaceRecordStore, WorkspaceState } from '#ports/workspace-record-store.ts';
import type { WorkspaceVolumes } from '#ports/workspace-volumes.ts';
import { METRIC } from '#wiring/names.ts';

/** What a relaunch runs on. */
export interface RelaunchPorts extends LaunchPorts {
  readonly workspaceTasks: Pick<WorkspaceTasks, 'live'>;
  readonly workspaceLeases: WorkspaceLeaseStore;
  readonly publisher: EventPublisher;
  readonly catalog: Catalog;
  readonly settings: Pick<HandlerSettings, 'launchTarget' | 'dataVolumes' | 'dataSaveWaitSeconds'>;
  readonly files: WorkspaceFiles;
  readonly requests: ProvisionRequestStore;
  readonly workspaceRecords: WorkspaceRecordStore;
  /** v1.3: a persistent workspace's volumes and snapshots: the new task restores the old one's data. */
  readonly workspaceVolumes: WorkspaceVolumes;
}

/** One relaunch: who asks, and what must still hold of the record when it runs. */
export interface Relaunch {
  readonly workspaceId: string;
  /** Unique to this relaunch (a restart's requestId, `recovery-<attempt>-<generation>`): the client token. */
  readonly launchId: string;
  /** StopTask's reason for the task it replaces (`core/stop-reasons.ts`). */
  readonly stopReason: string;
  /** Checked on the record under the lease; the reason it no longer stands, or undefined. */
  readonly stillStands: (record: WorkspaceRecord) => string | undefined;
  /** The state the record shows until the new task runs. */
  readonly state: Extract<WorkspaceState, 'provisioning' | 'recovering'>;
  /** Told once the relaunch is certain (the record handed over), before anything is stopped. */
  readonly announce?: () => Promise<void>;
}

export type RelaunchResult =
  | { readonly outcome: 'relaunched'; readonly taskArn: string; readonly stopped: readonly string[] }
  | { readonly outcome: 'skipped'; readonly reason: string }
  | { readonly outcome: 'failed'; readonly code: string; readonly reason: string };

/** The plan of a relaunch: the request's plan, with a client token of its own. */
export function relaunchPlan(
  record: WorkspaceRecord,
  launchId: string,
  ports: Pick<RelaunchPorts, 'catalog' | 'settings'>,
): LaunchPlan {
  const plan = planLaunch(record.request, ports.catalog, ports.settings.launchTarget);
  const token = `${record.request.requestId}\u0000${launchId}`;
  return {
    ...plan,
    // launchWithRetries derives the tokens of later attempts from the plan's requestId.
    requestId: token,
    runTaskInput: { ...plan.runTaskInput, clientToken: clientTokenFor(record.workspaceId, token) },
  };
}

/**
 * Replaces the workspace's task; see the file's summary.
 *
 * @throws WorkspaceBusyError, LaunchRetriesSpentError (retryable: the platform retries the event).
 */
export async function relaunchWorkspace(
  relaunch: Relaunch,
  ports: RelaunchPorts,
  budget: { readonly remainingMs: number },
): Promise<RelaunchResult> {
  const { clock, workspaceRecords } = ports;
  const { logger, metrics } = ports.instrumentation;
  const startedAt = clock.now();
  const budgetEnd = startedAt + budget.remainingMs - ports.retry.safetyMarginMs;
  const lease = workspaceLeaseOptions(ports, budgetEnd, budget);
  const owner = `relaunch:${relaunch.launchId}`;
  return withWorkspaceLease(ports.workspaceLeases, relaunch.workspaceId, owner, lease, async () => {
    const record = await workspaceRecords.get(relaunch.workspaceId);
    const reason = record ? relaunch.stillStands(record) : 'the workspace has no record';
    if (!record || reason) return { outcome: 'skipped', reason: reason ?? 'the workspace has no record' };

    // The record stops naming the old task, and names every task it replaces, before any is
    // stopped: their stops are the relaunch's own, never taken for a crash. A recovery's pending
    // entry stays until the new task is recorded, so a relaunch that dies half way is retried.
    const live = await ports.workspaceTasks.live(relaunch.workspaceId);
    const replaced = [
      ...new Set([
        ...(record.replacedTaskArns ?? []),
        ...(record.taskArn ? [record.taskArn] : []),
        ...live.map((task) => task.taskArn),
      ]),
    ];
    const { taskArn: _previous, url: _url, ...rest } = record;
    const handedOver: WorkspaceRecord = {
      ...rest,
      state: relaunch.state,
      since: clock.now(),
      ...(replaced.length > 0 ? { replacedTaskArns: replaced } : {}),
      generation: record.generation + 1,
    };
    if (!(await workspaceRecords.put(handedOver, record.generation))) {
      return { outcome: 'skipped', reason: 'the workspace record changed under the relaunch' };
    }
    await relaunch.announce?.();
    const stopped: string[] = [];
    for (const task of live) {
      await ports.runner.stopTask(task.taskArn, relaunch.stopReason);
      stopped.push(task.taskArn);
    }
    const failed = (): Promise<boolean> => {
      const { replacedTaskArns: _replaced, pendingRecovery: _over, ...kept } = handedOver;
      return workspaceRecords.put(
        { ...kept, state: 'failed', since: clock.now(), generation: handedOver.generation + 1 },
        handedOver.generation,
      );
    };

    const plan = relaunchPlan(record, relaunch.launchId, ports);
    // Written again under the same key: read once at each task start, it expires a week after its
    // last write, and a relaunch must never find it gone.
    let bundle: Buffer;
    try {
      bundle = await ports.files.get(plan.bootBundleKey);
    } catch (error) {
      logger.error('the boot bundle of the workspace cannot be read', { error });
      await failed();
      return {
        outcome: 'failed',
        code: 'BOOT_BUNDLE_UNAVAILABLE',
        reason: 'the boot bundle of the workspace cannot be read',
      };
    }
    await ports.files.put(plan.bootBundleKey, bundle);

    // v1.3: a persistent workspace's new task starts from the data the old one leaves: the old
    // task was stopped above, and its save (snapshot) must finish before the launch.
    const restored = await withRestoredData(plan, record.request, ports, {
      waitingSince: startedAt,
      budgetEnd,
    });
    if (restored.outcome === 'failed') {
      await failed();
      return { outcome: 'failed', code: restored.code, reason: restored.reason };
    }
    // The request is `launching` again until the new task's Task Launched is out: task-state holds
    // that task's Overlay Applied meanwhile, so a consumer sees the launch first.
    const requestId = record.request.requestId;
    await ports.requests.transition(requestId, ['launched', 'launching'], 'launching');
    const outcome: SettledOutcome = await launchWithRetries(restored.plan, budgetEnd, ports);
    if (outcome.kind === 'final') {
      // Nothing new launched: the request is back to naming its last task.
      await ports.requests.transition(requestId, ['launching'], 'launched');
      await failed();
      return { outcome: 'failed', code: outcome.code, reason: outcome.reason };
    }
    const [, stored] = await Promise.all([
      ports.workspaceLeases.recordLaunch({
        workspaceId: record.workspaceId,
        requestId,
        taskArn: outcome.taskArn,
        launchedAt: clock.now(),
      }),
      ports.requests.get(requestId),
      // Unless task-state named it first (the new task's Running can be quicker than this).
      recordTask(record.workspaceId, requestId, outcome.taskArn, ports, handedOver),
    ]);
    // Overlay Applied for the new task is reported from the request record: it names the new task
    // (still `launching`, until Task Launched is out below).
    if (
      !(await ports.requests.transition(requestId, ['launched', 'launching'], 'launching', {
        taskArn: outcome.taskArn,
      }))
    ) {
      logger.warn('the request record of the workspace is gone; Overlay Applied will not follow', {
        requestId,
      });
    }
    const template = stored?.template ?? record.request.template;
    const detail = launchedDetail(
      { ...record.request, ...(template ? { template } : {}) },
      restored.plan,
      outcome,
      {
        catalog: ports.catalog,
        cluster: ports.settings.launchTarget.cluster,
      },
    );
    await ports.publisher.publish([{ detailType: DETAIL_TYPES.taskLaunched, detail: { ...detail } }]);
    await ports.requests.transition(requestId, ['launching'], 'launched');
    countMetric(metrics, METRIC.taskLaunched);
    logger.info('relaunched the workspace', { taskArn: outcome.taskArn, stopped });
    return { outcome: 'relaunched', taskArn: outcome.taskArn, stopped };
  });
}
