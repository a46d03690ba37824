/**
 * The lifecycle flows over their ports, callable without middy (v1.2, decision 019): a restart on
 * request, the delayed relaunch of a recovery, the replacement of tasks AWS Health says will be
 * retired, and the answer to a status request. Each acts on what the provisioner recorded of the
 * workspace (`ports/workspace-record-store.ts`), never on what the event says beyond its ids.
 * v1.3: the save of a persistent workspace's data when its task stops (`data-save.ts`, then
 * `data-saved.ts` when EBS says the snapshot is done).
 */
import { countMetric } from '#adapters/instrumentation.ts';
import type { RestartRequestedDetail, StatusRequestedDetail } from '#contracts/inbound.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type {
  RecoveringDetail,
  RecoveryAbandonedDetail,
  RestartFailedDetail,
  WorkspaceStatusDetail,
} from '#contracts/outbound.ts';
import { restartStopReason } from '#core/stop-reasons.ts';
import { statusOf } from '#core/workspace-status.ts';
import type { WorkspaceRecord } from '#ports/workspace-record-store.ts';
import { METRIC } from '#wiring/names.ts';
import { type RelaunchPorts, type RelaunchResult, relaunchWorkspace } from './relaunch.ts';

// v1.3: the two halves of a persistent workspace's save, on the same function.
export { type DataSavePorts, type DataSaveResult, onDataTaskStopped } from './data-save.ts';
export { type DataSavedPorts, type DataSavedResult, onSnapshotNotification } from './data-saved.ts';

/** The invocation's time: what is left of it when the flow starts. */
export interface LifecycleBudget {
  readonly remainingMs: number;
}

/** Time kept back from the invocation when waiting out a recovery's backoff. */
const BACKOFF_SAFETY_MARGIN_MS = 20_000;

export type RestartResult = RelaunchResult | { readonly outcome: 'refused'; readonly code: string };

/**
 * `Workspace Restart Requested`: the workspace's task replaced by a new one from the same request.
 * A restart wins over a recovery waiting out its backoff (the relaunch moves the record on, and
 * the recovery then finds it changed).
 */
export async function onRestartRequested(
  request: RestartRequestedDetail,
  ports: RelaunchPorts,
  budget: LifecycleBudget,
): Promise<RestartResult> {
  const { logger, metrics } = ports.instrumentation;
  const record = await ports.workspaceRecords.get(request.workspaceId);
  const refusal = !record
    ? ({ code: 'WORKSPACE_UNKNOWN', reason: 'the provisioner has no record of this workspace' } as const)
    : record.state === 'deprovisioned'
      ? ({
          code: 'WORKSPACE_DEPROVISIONED',
          reason: 'the workspace was deprovisioned; provision it again',
        } as const)
      : undefined;
  if (refusal) {
    await publishRestartFailed(request, refusal, ports);
    return { outcome: 'refused', code: refusal.code };
  }
  const result = await relaunchWorkspace(
    {
      workspaceId: request.workspaceId,
      launchId: `restart\u0000${request.requestId}`,
      stopReason: restartStopReason(request.requestId),
      stillStands: (current) =>
        current.state === 'deprovisioned' ? 'the workspace was deprovisioned before the restart' : undefined,
      state: 'provisioning',
    },
    ports,
    budget,
  );
  if (result.outcome === 'relaunched') {
    countMetric(metrics, METRIC.workspaceRestarted);
    logger.info('restarted the workspace', { requestId: request.requestId, taskArn: result.taskArn });
  } else if (result.outcome === 'skipped') {
    await publishRestartFailed(request, { code: 'WORKSPACE_DEPROVISIONED', reason: result.reason }, ports);
  } else {
    await publishRestartFailed(
      request,
      { code: 'RESTART_FAILED', reason: `${result.code}: ${result.reason}`.slice(0, 512) },
      ports,
    );
  }
  return result;
}

async function publishRestartFailed(
  request: RestartRequestedDetail,
  failure: Pick<RestartFailedDetail, 'code' | 'reason'>,
  ports: Pick<RelaunchPorts, 'publisher' | 'instrumentation'>,
): Promise<void> {
  const detail: RestartFailedDetail = {
    requestId: request.requestId,
    workspaceId: request.workspaceId,
    ...failure,
  };
  ports.instrumentation.logger.warn('refused a restart', { code: failure.code });
  await ports.publisher.publish([{ detailType: DETAIL_TYPES.restartFailed, detail: { ...detail } }]);
}

/**
 * `Workspace Recovering` (the provisioner's own event): wait out the backoff the record set, then
 * relaunch, unless a deprovision, a restart or another recovery moved the record on meanwhile.
 */
export async function onRecovering(
  recovering: RecoveringDetail,
  ports: RelaunchPorts,
  budget: LifecycleBudget,
): Promise<RelaunchResult> {
  const { clock } = ports;
  const stands = (record: WorkspaceRecord): string | undefined =>
    record.state !== 'recovering' ||
    record.pendingRecovery?.attempt !== recovering.attempt ||
    record.pendingRecovery.previousTaskArn !== recovering.previousTaskArn
      ? 'the workspace moved on since this recovery was decided'
      : undefined;
  const before = await ports.workspaceRecords.get(recovering.workspaceId);
  const early = before ? stands(before) : 'the workspace has no record';
  if (!before || early) {
    ports.instrumentation.logger.info('a recovery no longer stands', { reason: early });
    return { outcome: 'skipped', reason: early ?? 'the workspace has no record' };
  }
  const wait = Math.min(
    Math.max(0, (before.pendingRecovery?.dueAt ?? 0) - clock.now()),
    Math.max(0, budget.remainingMs - BACKOFF_SAFETY_MARGIN_MS),
  );
  if (wait > 0) await clock.sleep(wait);
  const result = await relaunchWorkspace(
    {
      workspaceId: recovering.workspaceId,
      launchId: `recovery\u0000${recovering.attempt}\u0000${before.generation}`,
      stopReason: restartStopReason(`recovery-${recovering.attempt}`),
      stillStands: stands,
      state: 'recovering',
    },
    ports,
    { remainingMs: budget.remainingMs - wait },
  );
  if (result.outcome === 'failed') await abandon(recovering, result, ports);
  return result;
}

/** A recovery whose relaunch failed for good: the recovery is over, and says why in the log. */
async function abandon(
  recovering: Pick<
    RecoveringDetail,
    'workspaceId' | 'cause' | 'attempt' | 'previousTaskArn' | 'requestId' | 'kind'
  >,
  failure: Extract<RelaunchResult, { outcome: 'failed' }>,
  ports: Pick<RelaunchPorts, 'publisher' | 'instrumentation'>,
): Promise<void> {
  const detail: RecoveryAbandonedDetail = {
    workspaceId: recovering.workspaceId,
    cause: recovering.cause,
    attempts: recovering.attempt,
    ...(recovering.previousTaskArn ? { previousTaskArn: recovering.previousTaskArn } : {}),
    requestId: recovering.requestId,
    kind: recovering.kind,
  };
  ports.instrumentation.logger.error('the relaunch of a recovery failed for good', { code: failure.code });
  await ports.publisher.publish([{ detailType: DETAIL_TYPES.recoveryAbandoned, detail: { ...detail } }]);
  countMetric(ports.instrumentation.metrics, METRIC.recoveryAbandoned);
}

/**
 * AWS Health's scheduled retirement of tasks: each affected task that is a workspace's current one
 * is replaced now, as a restart, with `Workspace Recovering` cause `scheduled-retirement` first (once
 * the relaunch is certain: a deprovision that takes the workspace first leaves nothing said).
 */
export async function onTasksRetiring(
  taskArns: readonly string[],
  ports: RelaunchPorts,
  budget: LifecycleBudget,
): Promise<RelaunchResult[]> {
  const { clock } = ports;
  const { logger, metrics } = ports.instrumentation;
  const started = clock.now();
  const { tasks } = taskArns.length > 0 ? await ports.runner.describeTasks(taskArns) : { tasks: [] };
  const results: RelaunchResult[] = [];
  for (const task of tasks) {
    const workspaceId = task.startedBy;
    const record = workspaceId ? await ports.workspaceRecords.get(workspaceId) : undefined;
    if (!record || record.taskArn !== task.taskArn || record.state === 'deprovisioned') {
      logger.info('a retiring task is no workspace’s current task', { taskArn: task.taskArn });
      continue;
    }
    const detail: RecoveringDetail = {
      workspaceId: record.workspaceId,
      cause: 'scheduled-retirement',
      attempt: 1,
      previousTaskArn: task.taskArn,
      requestId: record.request.requestId,
      kind: record.kind,
      backoffSeconds: 0,
    };
    const result = await relaunchWorkspace(
      {
        workspaceId: record.workspaceId,
        launchId: `retirement\u0000${task.taskArn}`,
        stopReason: restartStopReason('scheduled-retirement'),
        stillStands: (current) =>
          current.taskArn === task.taskArn ? undefined : 'the retiring task is no longer the workspace’s',
        state: 'recovering',
        // Said only once the replacement is certain, and before the old task's Stopped.
        announce: async () => {
          await ports.publisher.publish([{ detailType: DETAIL_TYPES.recovering, detail: { ...detail } }]);
          countMetric(metrics, METRIC.workspaceRecovering);
        },
      },
      ports,
      { remainingMs: budget.remainingMs - (clock.now() - started) },
    );
    if (result.outcome === 'failed') await abandon(detail, result, ports);
    results.push(result);
  }
  return results;
}

/** `Workspace Status Requested`: the recorded state, checked against what ECS says of the task. */
export async function onStatusRequested(
  request: StatusRequestedDetail,
  ports: Pick<RelaunchPorts, 'workspaceRecords' | 'runner' | 'publisher' | 'instrumentation'>,
): Promise<WorkspaceStatusDetail> {
  const record = await ports.workspaceRecords.get(request.workspaceId);
  let task: { lastStatus?: string } | null | undefined;
  if (record?.taskArn && record.state === 'running') {
    const described = await ports.runner.describeTasks([record.taskArn]);
    task = described.tasks.find((candidate) => candidate.taskArn === record.taskArn) ?? null;
  }
  const status = statusOf(record, task);
  const detail: WorkspaceStatusDetail = {
    requestId: request.requestId,
    workspaceId: request.workspaceId,
    ...status,
  };
  await ports.publisher.publish([{ detailType: DETAIL_TYPES.status, detail: { ...detail } }]);
  countMetric(ports.instrumentation.metrics, METRIC.statusAnswered);
  return detail;
}
