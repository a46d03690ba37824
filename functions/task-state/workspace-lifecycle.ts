/**
 * v1.2: what a workspace event of task-state means for the workspace record (decision 019). Running
 * of the workspace's task makes it `running`; a stop of its task makes it `stopped`, or, for a
 * crash, out-of-memory kill or the platform under it and with recovery on, `recovering`: the
 * record takes the recovery (attempt, cause, when it is due) and `Workspace Recovering` goes out,
 * which the lifecycle function acts on after the backoff. A crash loop ends in `failed` and
 * `Workspace Recovery Abandoned`. A task the record does not name (a replaced one, a task started
 * by hand) changes nothing. Written after the workspace event, so a retry repeats the event
 * rather than losing the recovery; a retry finds the recovery recorded and publishes it again.
 */
import { countMetric, type FlowInstrumentation } from '#adapters/instrumentation.ts';
import type { EcsTaskStateChangeDetail } from '#contracts/ecs.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { RecoveringDetail, RecoveryAbandonedDetail, StoppedDetail } from '#contracts/outbound.ts';
import type { DomainEvent } from '#core/overlay.ts';
import { decideRecovery } from '#core/recovery-policy.ts';
import { updateWorkspaceRecord } from '#functions/launch/workspace-record-writes.ts';
import type { Clock } from '#ports/clock.ts';
import type { EventPublisher } from '#ports/event-publisher.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import type { WorkspaceRecord, WorkspaceRecordStore } from '#ports/workspace-record-store.ts';
import {
  DEFAULT_RECOVERY_ATTEMPTS,
  DEFAULT_RECOVERY_BACKOFF_SECONDS,
  DEFAULT_RECOVERY_WINDOW_SECONDS,
  METRIC,
} from '#wiring/names.ts';
import { requestIdOfTask } from './boot-evidence.ts';

/** The crash-loop cap and the backoff (deploy options; `--recovery-*` locally). */
export interface RecoverySettings {
  readonly maxAttempts: number;
  readonly windowMs: number;
  readonly backoffBaseMs: number;
}

/** The recovery settings from the handler settings, defaults applied. */
export function recoverySettingsOf(
  settings: Pick<HandlerSettings, 'recoveryAttempts' | 'recoveryWindowSeconds' | 'recoveryBackoffSeconds'>,
): RecoverySettings {
  return {
    maxAttempts: settings.recoveryAttempts ?? DEFAULT_RECOVERY_ATTEMPTS,
    windowMs: (settings.recoveryWindowSeconds ?? DEFAULT_RECOVERY_WINDOW_SECONDS) * 1000,
    backoffBaseMs: (settings.recoveryBackoffSeconds ?? DEFAULT_RECOVERY_BACKOFF_SECONDS) * 1000,
  };
}

/** What updating the record runs on. */
export interface WorkspaceLifecyclePorts {
  readonly workspaceRecords: WorkspaceRecordStore;
  readonly recovery: RecoverySettings;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly instrumentation: FlowInstrumentation;
}

/** The record the task's event is about: the one naming the task, or a fresh launch not yet named. */
function isRecordOf(record: WorkspaceRecord, detail: EcsTaskStateChangeDetail): boolean {
  // A task a relaunch replaces shares the workspace's request: its stop is the relaunch's doing.
  if (record.replacedTaskArns?.includes(detail.taskArn)) return false;
  if (record.taskArn !== undefined) return record.taskArn === detail.taskArn;
  // Its request-id tag, or (ECS's events need not carry tags) the boot bundle the provisioner gave it.
  const requestId = requestIdOfTask(detail);
  return (
    (record.state === 'provisioning' || record.state === 'recovering') &&
    requestId !== undefined &&
    requestId === record.request.requestId
  );
}

/** Applies the emitted workspace event to the workspace record; see the file's summary. */
export async function followWorkspaceEvent(
  event: DomainEvent,
  detail: EcsTaskStateChangeDetail,
  ports: WorkspaceLifecyclePorts,
): Promise<void> {
  const workspaceId = String((event.detail as { workspaceId?: unknown }).workspaceId ?? '');
  if (!workspaceId) return;
  let publish: DomainEvent | undefined;
  const settled = await updateWorkspaceRecord(workspaceId, ports, (record) => {
    publish = undefined;
    if (!isRecordOf(record, detail) || record.state === 'deprovisioned') return undefined;
    const next = nextRecord(record, event, detail, ports);
    publish = next?.publish;
    return next?.record;
  });
  if (!settled) {
    ports.instrumentation.logger.warn('the workspace record kept changing; left to the reconciliation', {
      workspaceId,
    });
    return;
  }
  if (publish) await publishLifecycle(publish, ports);
}

interface NextRecord {
  readonly record: WorkspaceRecord;
  readonly publish?: DomainEvent;
}

function nextRecord(
  record: WorkspaceRecord,
  event: DomainEvent,
  detail: EcsTaskStateChangeDetail,
  ports: WorkspaceLifecyclePorts,
): NextRecord | undefined {
  const now = ports.clock.now();
  const moved = (changes: Partial<WorkspaceRecord>): WorkspaceRecord => ({
    ...record,
    ...changes,
    since: now,
    generation: record.generation + 1,
  });
  if (event.detailType === DETAIL_TYPES.running) {
    if (record.state === 'running' && record.taskArn === detail.taskArn) return undefined;
    const url = (event.detail as { url?: unknown }).url;
    const { pendingRecovery: _done, replacedTaskArns: _replaced, ...rest } = record;
    return {
      record: {
        ...rest,
        state: 'running',
        taskArn: detail.taskArn,
        ...(typeof url === 'string' ? { url } : {}),
        since: now,
        generation: record.generation + 1,
      },
    };
  }
  if (event.detailType === DETAIL_TYPES.provisionFailed) return { record: moved({ state: 'failed' }) };
  if (event.detailType !== DETAIL_TYPES.stopped) return undefined;
  const stopped = event.detail as unknown as StoppedDetail;
  if (record.state === 'recovering' && record.pendingRecovery?.previousTaskArn === detail.taskArn) {
    // Decided by an earlier delivery whose publish failed: say it again.
    return { record, publish: recoveringEvent(record) };
  }
  const decision = decideRecovery({
    // Every Stopped task-state emits has a cause; one without is not the workspace's own doing.
    cause: stopped.cause ?? 'requested',
    mode: record.request.recovery ?? 'on-failure',
    recoveries: record.recoveries,
    now,
    maxAttempts: ports.recovery.maxAttempts,
    windowMs: ports.recovery.windowMs,
    backoffBaseMs: ports.recovery.backoffBaseMs,
  });
  if (decision.action === 'none') return { record: moved({ state: 'stopped' }) };
  if (decision.action === 'abandon') {
    const abandoned: RecoveryAbandonedDetail = {
      workspaceId: record.workspaceId,
      cause: stopped.cause as RecoveryAbandonedDetail['cause'],
      attempts: decision.attempts,
      previousTaskArn: detail.taskArn,
      requestId: record.request.requestId,
      kind: record.kind,
    };
    return {
      record: moved({ state: 'failed' }),
      publish: { detailType: DETAIL_TYPES.recoveryAbandoned, detail: { ...abandoned } },
    };
  }
  const recovering = moved({
    state: 'recovering',
    recoveries: decision.recoveries,
    pendingRecovery: {
      attempt: decision.attempt,
      cause: stopped.cause as RecoveringDetail['cause'],
      previousTaskArn: detail.taskArn,
      dueAt: now + decision.backoffMs,
    },
  });
  return { record: recovering, publish: recoveringEvent(recovering) };
}

/** `Workspace Recovering` for the recovery a record holds. */
export function recoveringEvent(record: WorkspaceRecord): DomainEvent {
  const pending = record.pendingRecovery;
  const detail: RecoveringDetail = {
    workspaceId: record.workspaceId,
    cause: pending?.cause ?? 'lost',
    attempt: pending?.attempt ?? 1,
    ...(pending?.previousTaskArn ? { previousTaskArn: pending.previousTaskArn } : {}),
    requestId: record.request.requestId,
    kind: record.kind,
    backoffSeconds: Math.max(0, Math.round(((pending?.dueAt ?? record.since) - record.since) / 1000)),
  };
  return { detailType: DETAIL_TYPES.recovering, detail: { ...detail } };
}

async function publishLifecycle(event: DomainEvent, ports: WorkspaceLifecyclePorts): Promise<void> {
  await ports.publisher.publish([event]);
  const { metrics, logger } = ports.instrumentation;
  if (event.detailType === DETAIL_TYPES.recovering) countMetric(metrics, METRIC.workspaceRecovering);
  else countMetric(metrics, METRIC.recoveryAbandoned);
  logger.info('the workspace stopped by itself', { detailType: event.detailType });
}
