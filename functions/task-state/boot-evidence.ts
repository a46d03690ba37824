/**
 * v1.1: `Workspace Config Overlay Applied` on evidence. When ECS shows the `boot` container of a
 * task the provisioner launched STOPPED with exit code 0, the boot step wrote every file of the
 * request's bundle and checked its SHA-256; this publishes what it wrote, from the provisioner's
 * own record of the request, and then records it as reported for that task (at least once: see
 * {@link reportBootEvidence}).
 *
 * It never goes out before the task's `Workspace Task Launched` (the order docs/CONTRACT.md
 * promises): the launching function records the task with the request still `launching`, publishes
 * Task Launched, and only then marks the request `launched`. A boot step quicker than that (the
 * local stack's, or a Fargate task whose launch invocation stalled) finds the request `launching`
 * and waits, polling, for at most {@link LAUNCH_REPORT_WAIT_MS}; past that (the launch invocation
 * died between RunTask and its event, and its retry is a minute away) it reports anyway, so the
 * overlay's report is late at worst, never lost.
 */
import { countMetric, type FlowInstrumentation } from '#adapters/instrumentation.ts';
import type { OverlayTable } from '#config/overlays.ts';
import type { EcsTaskStateChangeDetail } from '#contracts/ecs.ts';
import { BOOT_CONTAINER_NAME, DETAIL_TYPES, TAG_KEYS } from '#contracts/names.ts';
import type { ConfigOverlayAppliedDetail } from '#contracts/outbound.ts';
import { parseBootBundleKey, parseS3ObjectArn } from '#core/workspace-files.ts';
import type { Clock } from '#ports/clock.ts';
import type { EventPublisher } from '#ports/event-publisher.ts';
import type { ProvisionRequestRecord, ProvisionRequestStore } from '#ports/provision-request-store.ts';
import { METRIC } from '#wiring/names.ts';

/** What reporting the boot step's evidence runs on. */
export interface BootEvidencePorts {
  readonly requests: ProvisionRequestStore;
  readonly overlays: OverlayTable;
  readonly publisher: EventPublisher;
  readonly instrumentation: FlowInstrumentation;
  readonly clock: Clock;
}

/** How long a boot step's report waits for its task's Task Launched to be out. */
export const LAUNCH_REPORT_WAIT_MS = 5_000;
/**
 * The pauses between two reads of the request while it waits: `first` for the first `steadyMs`
 * (the launch is a publish and a write away, a few milliseconds: growing pauses there overshoot
 * it), then doubling up to `max`.
 */
const LAUNCH_REPORT_POLL_MS = { first: 1, steadyMs: 50, max: 400 } as const;

/** True when the state change shows the boot step exited 0. */
export function bootSucceeded(detail: EcsTaskStateChangeDetail): boolean {
  const boot = detail.containers?.find((container) => container.name === BOOT_CONTAINER_NAME);
  return boot?.lastStatus === 'STOPPED' && boot.exitCode === 0;
}

/**
 * The request id a task names: its `request-id` tag where the event carries tags, else the boot
 * bundle the provisioner gave its `boot` container (`boot/<orgId>/<workspaceId>/<requestId>.env`,
 * a key only the provisioner derives; ECS's own events cannot be forged).
 */
export function requestIdOfTask(detail: EcsTaskStateChangeDetail): string | undefined {
  const tagged = detail.tags?.find((tag) => tag.key === TAG_KEYS.requestId)?.value;
  if (tagged) return tagged;
  const boot = detail.overrides?.containerOverrides?.find(
    (override) => override.name === BOOT_CONTAINER_NAME,
  );
  for (const file of boot?.environmentFiles ?? []) {
    const location = file.value ? parseS3ObjectArn(file.value) : undefined;
    const ids = location ? parseBootBundleKey(location.key) : undefined;
    if (ids && ids.workspaceId === detail.startedBy) return ids.requestId;
  }
  return undefined;
}

/**
 * The request the provisioner recorded for a task: by the task it recorded, else (the record may
 * be a moment behind the task, or an invocation died between RunTask and recording it) by the
 * request id the task names, taken only when the record is for the task's own workspace and has
 * not recorded another task. While the request is still `launching` (its Task Launched not out
 * yet), it is read again until it is not, for at most {@link LAUNCH_REPORT_WAIT_MS}.
 */
async function requestOfTask(
  detail: EcsTaskStateChangeDetail,
  ports: Pick<BootEvidencePorts, 'requests' | 'clock'>,
): Promise<ProvisionRequestRecord | undefined> {
  let record = await ports.requests.findByTask(detail.taskArn);
  if (!record) {
    const requestId = requestIdOfTask(detail);
    if (!requestId) return undefined;
    record = await ports.requests.get(requestId);
    if (!record || record.request.workspaceId !== detail.startedBy) return undefined;
  }
  // A task whose overlay was reported already waits for nothing (its later changes carry the
  // boot step's exit too).
  if (record.status === 'launching' && record.overlayReportedTaskArn !== detail.taskArn) {
    record = await untilLaunchReported(record, ports);
    if (!record) return undefined;
  }
  if (record.taskArn === detail.taskArn) return record;
  if (record.taskArn !== undefined) return undefined;
  return record.status === 'launching' || record.status === 'launched' ? record : undefined;
}

/** Reads the request again, pausing, until it is no longer `launching` or the wait is over. */
async function untilLaunchReported(
  record: ProvisionRequestRecord,
  ports: Pick<BootEvidencePorts, 'requests' | 'clock'>,
): Promise<ProvisionRequestRecord | undefined> {
  const started = ports.clock.now();
  const deadline = started + LAUNCH_REPORT_WAIT_MS;
  let current: ProvisionRequestRecord | undefined = record;
  let pause: number = LAUNCH_REPORT_POLL_MS.first;
  while (current?.status === 'launching' && ports.clock.now() < deadline) {
    await ports.clock.sleep(Math.min(pause, deadline - ports.clock.now()));
    if (ports.clock.now() - started > LAUNCH_REPORT_POLL_MS.steadyMs)
      pause = Math.min(pause * 2, LAUNCH_REPORT_POLL_MS.max);
    current = await ports.requests.get(current.request.requestId);
  }
  return current;
}

/**
 * The recorded request whose overlay the state change is evidence of: only when it shows the boot
 * step exited 0. Read apart from {@link reportBootEvidence} so the flow can read it together with
 * the task's version.
 */
export async function bootEvidenceOf(
  detail: EcsTaskStateChangeDetail,
  ports: Pick<BootEvidencePorts, 'requests' | 'clock'>,
): Promise<ProvisionRequestRecord | undefined> {
  return bootSucceeded(detail) ? requestOfTask(detail, ports) : undefined;
}

/**
 * Publishes Overlay Applied for the task, given what {@link bootEvidenceOf} read for it; answers
 * whether it did. Published first, then recorded as reported: an invocation that dies in between
 * (a crash, SIGKILL, a timeout) leaves it unrecorded, so the platform's retry publishes it again
 * (at least once, as every workspace event; consumers dedupe by task). Recording first lost it for
 * good there: the retry found it reported and published nothing. Deliveries of one task's changes
 * are serialized by the task lease, so two never publish it side by side.
 */
export async function reportBootEvidence(
  detail: EcsTaskStateChangeDetail,
  record: ProvisionRequestRecord | undefined,
  ports: BootEvidencePorts,
): Promise<boolean> {
  if (!record?.manifest) return false;
  // Every later state change of the task shows the boot step exited too: reported already, and the
  // record says so, so no claim is tried.
  if (record.overlayReportedTaskArn === detail.taskArn) return false;
  const { request } = record;
  const applied: ConfigOverlayAppliedDetail = {
    requestId: request.requestId,
    workspaceId: request.workspaceId,
    kind: request.kind,
    runtime: request.runtime,
    taskArn: detail.taskArn,
    overlay: ports.overlays[request.kind],
    ...(record.effectiveConfig ? { effectiveConfig: record.effectiveConfig } : {}),
    files: record.manifest.map((file) => ({ path: file.path, bytes: file.bytes, sha256: file.sha256 })),
    secrets: [...record.secrets],
  };
  await ports.publisher.publish([{ detailType: DETAIL_TYPES.configOverlayApplied, detail: { ...applied } }]);
  // Recorded only once it is out; false when a redelivery recorded it first (it was published twice).
  if (!(await ports.requests.claimOverlayReport(request.requestId, detail.taskArn))) {
    ports.instrumentation.logger.info('Overlay Applied was reported already for this task', {
      requestId: request.requestId,
    });
  }
  countMetric(ports.instrumentation.metrics, METRIC.overlayAppliedOnEvidence);
  ports.instrumentation.logger.info('the boot step exited 0: reported the overlay applied', {
    requestId: request.requestId,
    files: applied.files.length,
  });
  return true;
}
