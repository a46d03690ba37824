/**
 * v1.3: a persistent workspace's data volume for a launch (decision 020). Every launch of a
 * persistent workspace (provision, the launch after template assets, every relaunch) asks EC2 for
 * the workspace's volumes and snapshots and lets `core/workspace-data.ts` decide: restore the
 * latest snapshot (or start empty the first time), wait while an earlier task's data is still
 * being saved, or fail when the last save failed. Waiting is bounded twice: by the deployment's
 * `dataSaveWaitSeconds`, counted from when the launch was first asked for (then
 * `DATA_SAVE_PENDING`, nothing launched on older data), and by the invocation's own time (then a
 * retryable error: the platform redelivers the event and the wait goes on).
 */
import type { FlowInstrumentation } from '#adapters/instrumentation.ts';
import type { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import { type LaunchPlan, withDataVolume } from '#core/plan-launch.ts';
import { decideRestore, storageOf, volumeConfigurationFor } from '#core/workspace-data.ts';
import { DataSaveInProgressError } from '#policies/errors.ts';
import type { Clock } from '#ports/clock.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import type { WorkspaceVolumes } from '#ports/workspace-volumes.ts';
import { DEFAULT_DATA_SAVE_WAIT_SECONDS } from '#wiring/names.ts';

/** How often a waiting launch looks again: Describe calls are cheap, and a local save takes a second. */
export const DATA_SAVE_POLL_MS = 1_000;

/** What the restore runs on. */
export interface RestorePorts {
  readonly workspaceVolumes: WorkspaceVolumes;
  readonly clock: Clock;
  readonly settings: Pick<HandlerSettings, 'dataVolumes' | 'dataSaveWaitSeconds'>;
  readonly instrumentation: FlowInstrumentation;
}

/** The plan to launch (with its data volume), or why the launch must not happen. */
export type RestoreOutcome =
  | { readonly outcome: 'ready'; readonly plan: LaunchPlan }
  | {
      readonly outcome: 'failed';
      readonly code: 'DATA_SAVE_PENDING' | 'DATA_SAVE_FAILED' | 'LAUNCH_FAILED';
      readonly reason: string;
    };

/** When the wait started (the request's or relaunch's first attempt) and when this invocation must stop. */
export interface RestoreBounds {
  readonly waitingSince: number;
  readonly budgetEnd: number;
}

/**
 * The plan with the workspace's data volume, for a persistent workspace; the plan itself for an
 * ephemeral one (no EC2 call).
 *
 * @throws DataSaveInProgressError when the invocation's time runs out before the deployment's wait does.
 */
export async function withRestoredData(
  plan: LaunchPlan,
  request: Pick<ProvisionRequestedDetail, 'workspaceId' | 'orgId' | 'kind' | 'storage'>,
  ports: RestorePorts,
  bounds: RestoreBounds,
): Promise<RestoreOutcome> {
  const storage = storageOf(request, plan.runtime);
  if (!storage) return { outcome: 'ready', plan };
  const volumes = ports.settings.dataVolumes;
  if (!volumes) {
    return {
      outcome: 'failed',
      code: 'LAUNCH_FAILED',
      reason: 'persistent storage is not set up in this deployment (it has no data volume role)',
    };
  }
  const { clock, workspaceVolumes } = ports;
  const waitSeconds = ports.settings.dataSaveWaitSeconds ?? DEFAULT_DATA_SAVE_WAIT_SECONDS;
  const waitEnd = bounds.waitingSince + waitSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    const [listed, snapshots] = await Promise.all([
      workspaceVolumes.volumesOf(request.workspaceId),
      workspaceVolumes.snapshotsOf(request.workspaceId),
    ]);
    const decision = decideRestore(listed, snapshots);
    if (decision.action === 'fail')
      return { outcome: 'failed', code: decision.code, reason: decision.reason };
    if (decision.action === 'restore') {
      const owner = {
        workspaceId: request.workspaceId,
        orgId: request.orgId,
        kind: request.kind,
        runtime: plan.runtime.name,
      };
      ports.instrumentation.logger.info('restoring the workspace data', {
        snapshotId: decision.snapshot?.snapshotId ?? null,
        polls: attempt,
      });
      return {
        outcome: 'ready',
        plan: withDataVolume(plan, volumeConfigurationFor(storage, decision.snapshot, owner, volumes)),
      };
    }
    const next = clock.now() + DATA_SAVE_POLL_MS;
    if (next > waitEnd) {
      return {
        outcome: 'failed',
        code: 'DATA_SAVE_PENDING',
        reason:
          `the workspace's previous data was still being saved after ${waitSeconds} s (${decision.reason}); ` +
          'nothing was launched on older data',
      };
    }
    if (next > bounds.budgetEnd) {
      throw new DataSaveInProgressError(
        `the workspace's previous data is still being saved (${decision.reason}); the platform will retry`,
      );
    }
    if (attempt === 1)
      ports.instrumentation.logger.info('waiting for the workspace data to be saved', decision);
    await clock.sleep(DATA_SAVE_POLL_MS);
  }
}
