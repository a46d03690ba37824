/**
 * The launch of a request the provisioner recorded, shared by the provision function (a request
 * without a template) and the assets-staged function (once its template's files are staged): render
 * the `/configs` files (`core/render-configs.ts`), check that every secrets file it lists exists,
 * write the boot bundle, then the provision flow's lease and RunTask. Every failure before RunTask
 * ends in `Workspace Provision Failed` with nothing launched.
 */
import type { OverlayTable } from '#config/overlays.ts';
import type { FailureCode } from '#contracts/names.ts';
import { requiredPathsFor } from '#core/overlay.ts';
import type { LaunchPlan } from '#core/plan-launch.ts';
import { renderConfigs } from '#core/render-configs.ts';
import { secretsKey } from '#core/workspace-files.ts';
import {
  type InvocationBudget,
  type ProvisionPorts,
  type ProvisionResult,
  provisionWorkspace,
} from '#functions/provision/provision-flow.ts';
import { fail } from '#functions/provision/report-outcome.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import type { ProvisionRequestRecord, ProvisionRequestStore } from '#ports/provision-request-store.ts';
import type { WorkspaceFiles } from '#ports/workspace-files.ts';
import type { WorkspaceRecord, WorkspaceRecordStore } from '#ports/workspace-record-store.ts';
import type { WorkspaceVolumes } from '#ports/workspace-volumes.ts';
import { withRestoredData } from './restore-data.ts';
import { recordFailed, recordProvisioning, recordTask } from './workspace-record-writes.ts';

/** What a recorded request's launch runs on: the provision flow's ports and the v1.1 ones. */
export interface RecordedLaunchPorts extends ProvisionPorts {
  readonly overlays: OverlayTable;
  readonly files: WorkspaceFiles;
  readonly requests: ProvisionRequestStore;
  /** v1.2: the workspace records (`workspace-record-writes.ts`). */
  readonly workspaceRecords: WorkspaceRecordStore;
  /** v1.3: a persistent workspace's volumes and snapshots (`restore-data.ts`). */
  readonly workspaceVolumes: WorkspaceVolumes;
  readonly settings: ProvisionPorts['settings'] &
    Pick<HandlerSettings, 'dataVolumes' | 'dataSaveWaitSeconds'>;
}

/** Reason texts: ids and paths only, never a file's content or a secret. */
export const missingAssetsReason = (paths: readonly string[]): string =>
  `the staged template assets lack required paths: ${paths.join(', ')}`.slice(0, 512);
export const secretsUnavailableReason = (scope: string): string =>
  `the ${scope} secrets file does not exist; set it before provisioning`;

/** Ends a recorded request in Failed: the record first, then the event. */
export async function failRecorded(
  record: ProvisionRequestRecord,
  failure: { readonly code: FailureCode; readonly reason: string },
  ports: Pick<RecordedLaunchPorts, 'requests'> & ProvisionPorts,
): Promise<ProvisionResult> {
  await ports.requests.transition(record.request.requestId, ['awaiting-assets', 'launching'], 'failed');
  return fail(record.request, failure, ports);
}

/**
 * Launches a recorded request whose status is `launching`. `staged` holds the template's files by
 * relative path, or is undefined for a request without a template.
 *
 * @throws WorkspaceBusyError, LaunchRetriesSpentError as the provision flow does (the platform retries).
 */
export async function launchRecordedRequest(
  record: ProvisionRequestRecord,
  plan: LaunchPlan,
  staged: ReadonlyMap<string, Buffer> | undefined,
  ports: RecordedLaunchPorts,
  budget: InvocationBudget,
): Promise<ProvisionResult> {
  const { request } = record;
  const { logger } = ports.instrumentation;
  const budgetEnd = ports.clock.now() + budget.remainingMs - ports.retry.safetyMarginMs;
  const rendered = renderConfigs({
    ...(staged ? { staged } : {}),
    requiredPaths: record.template ? requiredPathsFor(request.kind, ports.overlays) : [],
    configPatch: ports.overlays[request.kind].config,
    baseConfig: plan.runtime.baseConfig ?? {},
    bundleComment: `boot bundle of request ${request.requestId} (workspace ${request.workspaceId})`,
  });
  if (rendered.outcome === 'missing') {
    return failRecorded(
      record,
      { code: 'TEMPLATE_ASSETS_MISSING', reason: missingAssetsReason(rendered.paths) },
      ports,
    );
  }
  if (rendered.outcome === 'invalid') {
    return failRecorded(
      record,
      {
        code: 'TEMPLATE_ASSETS_INVALID',
        reason: `the staged template assets cannot be used: ${rendered.reason}`.slice(0, 512),
      },
      ports,
    );
  }
  // The existence checks, the bundle's write and the record of what the bundle holds run together:
  // a bundle written for a request that then fails launches nothing (it is read only by a task
  // given it) and expires with boot/, and a failed record's manifest is never read.
  // The workspace's record is read now, with the checks, and written just before RunTask.
  const workspaceRecord = ports.workspaceRecords.get(request.workspaceId);
  workspaceRecord.catch(() => {});
  const [present] = await Promise.all([
    Promise.all(
      plan.secrets.map((scope) => ports.files.exists(secretsKey(scope, request.orgId, request.workspaceId))),
    ),
    ports.files.put(plan.bootBundleKey, rendered.bundle),
    ports.requests.transition(request.requestId, ['launching'], 'launching', {
      manifest: rendered.manifest,
      effectiveConfig: rendered.effectiveConfig,
    }),
  ]);
  const missingScope = plan.secrets.find((_, index) => !present[index]);
  if (missingScope) {
    return failRecorded(
      record,
      { code: 'SECRETS_UNAVAILABLE', reason: secretsUnavailableReason(missingScope) },
      ports,
    );
  }
  logger.info('prepared the boot bundle', { files: rendered.manifest.length, secrets: plan.secrets });
  // Task Launched names the template staged, the kind's forced one included.
  const launching = record.template ? { ...request, template: record.template } : request;
  let provisioning: WorkspaceRecord | undefined;
  const result = await provisionWorkspace(
    { request: launching, plan },
    ports,
    budget,
    async (taskArn) => {
      await Promise.all([
        // Named now, and `launched` only once Task Launched is out (below): task-state holds the
        // task's Overlay Applied while the request is `launching`, so a consumer sees the launch
        // first (task-state/boot-evidence.ts). A request launched already stays so.
        ports.requests.transition(request.requestId, ['launching'], 'launching', { taskArn }),
        recordTask(request.workspaceId, request.requestId, taskArn, ports, provisioning),
      ]);
    },
    async () => {
      // v1.3: under the lease and with no live task: a persistent workspace's data is restored,
      // once an earlier task's save is done. The wait counts from when the request was recorded.
      const restored = await withRestoredData(plan, request, ports, {
        waitingSince: record.recordedAt,
        budgetEnd,
      });
      if (restored.outcome === 'failed') return { failure: { code: restored.code, reason: restored.reason } };
      provisioning = await recordProvisioning(request, ports, workspaceRecord);
      return { plan: restored.plan };
    },
  );
  if (result.outcome === 'failed') {
    await Promise.all([
      ports.requests.transition(request.requestId, ['launching'], 'failed'),
      recordFailed(request.workspaceId, request.requestId, ports),
    ]);
  }
  // Task Launched is out: the boot step's report may follow it.
  if (result.outcome === 'launched' && !result.alreadyRunning) {
    await ports.requests.transition(request.requestId, ['launching'], 'launched');
  }
  return result;
}
