/**
 * The assets-staged flow over its ports, callable without middy (v1.1). `Workspace Template Assets
 * Staged` is a reference, not authority: the flow loads the request the provisioner recorded under
 * its `requestId` and acts only when that request is for the same workspace and still waits for
 * its assets. Then it reads the staged files under the destination the provisioner chose, and
 * launches through the same code as the provision function (`launch/launch-recorded-request.ts`).
 */
import { countMetric } from '#adapters/instrumentation.ts';
import type { TemplateAssetsStagedDetail } from '#contracts/inbound.ts';
import { BOOT_MAX_FILES } from '#core/boot-bundle.ts';
import { planLaunch } from '#core/plan-launch.ts';
import { stagedPrefix } from '#core/workspace-files.ts';
import {
  failRecorded,
  launchRecordedRequest,
  type RecordedLaunchPorts,
} from '#functions/launch/launch-recorded-request.ts';
import type { InvocationBudget, ProvisionResult } from '#functions/provision/provision-flow.ts';
import type { ProvisionRequestRecord } from '#ports/provision-request-store.ts';
import { METRIC } from '#wiring/names.ts';

/** Why a Staged event was ignored: nothing of the provisioner's waits for it. */
export type StagedIgnoredReason = 'unknown-request' | 'other-workspace' | 'not-awaiting-assets';

export type AssetsStagedResult =
  | ProvisionResult
  | { readonly outcome: 'ignored'; readonly reason: StagedIgnoredReason | 'unparseable' };

/** The staged files under a request's destination, by path relative to it. */
async function readStaged(
  record: ProvisionRequestRecord,
  ports: RecordedLaunchPorts,
): Promise<Map<string, Buffer> | { readonly tooMany: number }> {
  const { orgId, workspaceId, requestId } = record.request;
  const prefix = stagedPrefix(orgId, workspaceId, requestId);
  // Folder markers (keys ending in `/`) are not files.
  const keys = (await ports.files.list(prefix)).filter((key) => !key.endsWith('/'));
  if (keys.length > BOOT_MAX_FILES) return { tooMany: keys.length };
  const contents = await Promise.all(keys.map((key) => ports.files.get(key)));
  return new Map(keys.map((key, index) => [key.slice(prefix.length), contents[index] as Buffer]));
}

/**
 * Launches the recorded request a Staged event refers to, or ignores the event.
 *
 * @throws WorkspaceBusyError, LaunchRetriesSpentError as the provision flow does (the platform retries).
 */
export async function onAssetsStaged(
  staged: TemplateAssetsStagedDetail,
  ports: RecordedLaunchPorts,
  budget: InvocationBudget,
): Promise<AssetsStagedResult> {
  const { logger, metrics } = ports.instrumentation;
  const record = await ports.requests.get(staged.requestId);
  const reason: StagedIgnoredReason | undefined = !record
    ? 'unknown-request'
    : record.request.workspaceId !== staged.workspaceId
      ? 'other-workspace'
      : // `launching` is this step's own claim: a retry of an invocation that died after it resumes.
        record.status !== 'awaiting-assets' && record.status !== 'launching'
        ? 'not-awaiting-assets'
        : undefined;
  if (!record || reason) {
    countMetric(metrics, METRIC.forgedEventIgnored);
    // Ids only: the rest of a forged event is whatever its sender chose.
    logger.warn('ignored a Workspace Template Assets Staged that no recorded request awaits', {
      reason,
      requestId: staged.requestId,
    });
    return { outcome: 'ignored', reason: reason ?? 'unknown-request' };
  }
  // One step takes the request: Staged and the timeout sweep cannot both act on it.
  if (
    record.status === 'awaiting-assets' &&
    !(await ports.requests.transition(record.request.requestId, ['awaiting-assets'], 'launching'))
  ) {
    countMetric(metrics, METRIC.forgedEventIgnored);
    logger.warn('the request stopped awaiting its assets before this Staged event took it', {
      requestId: staged.requestId,
    });
    return { outcome: 'ignored', reason: 'not-awaiting-assets' };
  }
  const claimed: ProvisionRequestRecord = { ...record, status: 'launching' };
  logger.appendKeys({ workspaceId: record.request.workspaceId, kind: record.request.kind });
  const plan = planLaunch(record.request, ports.catalog, ports.settings.launchTarget);
  const files = await readStaged(claimed, ports);
  if (!(files instanceof Map)) {
    return failRecorded(
      claimed,
      {
        code: 'TEMPLATE_ASSETS_INVALID',
        reason: `the staged template assets are ${files.tooMany} files; the boot step takes at most ${BOOT_MAX_FILES}`,
      },
      ports,
    );
  }
  return launchRecordedRequest(claimed, plan, files, ports, budget);
}
