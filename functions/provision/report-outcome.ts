/**
 * The provision flow's outcome events besides a fresh launch: a live task the workspace already
 * has (reported, never launched twice), and a launch that failed for good.
 */
import { countByCode, countMetric } from '#adapters/instrumentation.ts';
import type { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import { DETAIL_TYPES, type FailureCode } from '#contracts/names.ts';
import type { ProvisionFailedDetail } from '#contracts/outbound.ts';
import type { LaunchPlan } from '#core/plan-launch.ts';
import type { LiveTask } from '#policies/workspace-tasks.ts';
import { METRIC } from '#wiring/names.ts';
import { launchedDetail } from './launched-detail.ts';
import type { ProvisionPorts, ProvisionResult } from './provision-flow.ts';

/** The catalog and cluster a launched detail falls back on. */
export const detailContext = (ports: Pick<ProvisionPorts, 'catalog' | 'settings'>) => ({
  catalog: ports.catalog,
  cluster: ports.settings.launchTarget.cluster,
});

/** The workspace already has a live task: report it, and never launch a second one. */
export async function reportExisting(
  request: ProvisionRequestedDetail,
  plan: LaunchPlan,
  task: LiveTask,
  ports: ProvisionPorts,
): Promise<ProvisionResult> {
  const { logger, metrics } = ports.instrumentation;
  const sameRequest = task.requestId === request.requestId;
  const detail = {
    ...launchedDetail(request, plan, task, detailContext(ports)),
    ...(sameRequest ? {} : { alreadyRunning: true }),
  };
  logger.info(
    sameRequest
      ? 'reporting the task this request already launched'
      : 'the workspace already has a live task',
    { taskArn: task.taskArn, source: task.source },
  );
  await ports.publisher.publish([{ detailType: DETAIL_TYPES.taskLaunched, detail }]);
  countMetric(metrics, sameRequest ? METRIC.taskLaunched : METRIC.taskAlreadyRunning);
  return { outcome: 'launched', taskArn: task.taskArn, alreadyRunning: !sameRequest };
}

/**
 * The launch failed for good: say so once, with the code, and do not retry. A task that never ran
 * (TASK_FAILED_TO_START) is named, and the failure is retryable with a new request, exactly as the
 * task's own STOPPED event reports it, so both events about that task say the same.
 */
export async function fail(
  request: ProvisionRequestedDetail,
  failure: { readonly code: FailureCode; readonly reason: string; readonly taskArn?: string },
  ports: ProvisionPorts,
): Promise<ProvisionResult> {
  const { code, reason, taskArn } = failure;
  const detail: ProvisionFailedDetail = {
    requestId: request.requestId,
    workspaceId: request.workspaceId,
    code,
    reason,
    retryable: code === 'TASK_FAILED_TO_START',
    runtime: request.runtime,
    kind: request.kind,
    ...(taskArn !== undefined ? { taskArn } : {}),
  };
  ports.instrumentation.logger.error('the launch failed for good', { code, ...(taskArn ? { taskArn } : {}) });
  await ports.publisher.publish([{ detailType: DETAIL_TYPES.provisionFailed, detail }]);
  countByCode(ports.instrumentation.metrics, METRIC.provisionFailed, code);
  return { outcome: 'failed', code };
}
