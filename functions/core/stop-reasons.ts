/**
 * The reasons the provisioner gives ECS when it stops a task, defined once: the functions that call
 * StopTask build their reason here, and the stop-cause classifier reads the task's `stoppedReason`
 * back against the same definitions, so the two cannot drift. ECS keeps a StopTask `reason` as the
 * task's `stoppedReason` ("the message appears in subsequent DescribeTasks API operations on this
 * task. Up to 255 characters are allowed":
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html); every reason here
 * stays well under that with the longest request id the contract allows (64 characters).
 */

/** Why the provisioner itself stopped a task. */
export type ProvisionerStop =
  | 'deprovision'
  | 'restart'
  | 'failed-launch-clean-up'
  | 'provision-timeout'
  | 'reconcile';

/** A reason with the request id in it: the text before the id and the text after it. */
interface ReasonAroundRequestId {
  readonly before: string;
  readonly after: string;
}

const AROUND_REQUEST_ID: Readonly<
  Record<Exclude<ProvisionerStop, 'provision-timeout' | 'reconcile'>, ReasonAroundRequestId>
> = {
  deprovision: { before: 'Workspace deprovisioned (request ', after: ')' },
  restart: { before: 'Workspace restarted (request ', after: ')' },
  'failed-launch-clean-up': {
    before: 'Provision request ',
    after: ' failed; its launch could not be reported',
  },
};

/** The timeout sweep's reason for a task that did not reach RUNNING in time. */
export const PROVISION_TIMEOUT_STOP_REASON = 'Workspace did not reach RUNNING within its provision timeout';

/**
 * v1.2: the reconciliation sweep's reason for a task running for a workspace that is deprovisioned,
 * or that the provisioner never launched under its tags.
 */
export const RECONCILE_STOP_REASON =
  'Workspace task stopped by the reconciliation: its workspace is deprovisioned or the provisioner did not launch it';

const withRequestId = (stop: keyof typeof AROUND_REQUEST_ID, requestId: string): string =>
  `${AROUND_REQUEST_ID[stop].before}${requestId}${AROUND_REQUEST_ID[stop].after}`;

/** StopTask reason of a deprovision request. */
export const deprovisionStopReason = (requestId: string): string => withRequestId('deprovision', requestId);

/** StopTask reason of a restart request, for the old task it replaces. */
export const restartStopReason = (requestId: string): string => withRequestId('restart', requestId);

/**
 * StopTask reason of the failure reporter, for a task whose provision request's retries were spent
 * after it launched (its `Workspace Task Launched` could not be published).
 */
export const failedLaunchCleanUpStopReason = (requestId: string): string =>
  withRequestId('failed-launch-clean-up', requestId);

/**
 * Which of the provisioner's own stops a `stoppedReason` is, or undefined when the provisioner did
 * not write it. Exact: the whole text must be one of the reasons above (with any request id).
 */
export function provisionerStopOf(stoppedReason: string | undefined): ProvisionerStop | undefined {
  if (stoppedReason === undefined) return undefined;
  if (stoppedReason === PROVISION_TIMEOUT_STOP_REASON) return 'provision-timeout';
  if (stoppedReason === RECONCILE_STOP_REASON) return 'reconcile';
  for (const [stop, { before, after }] of Object.entries(AROUND_REQUEST_ID)) {
    const longEnough = stoppedReason.length > before.length + after.length;
    if (longEnough && stoppedReason.startsWith(before) && stoppedReason.endsWith(after)) {
      return stop as ProvisionerStop;
    }
  }
  return undefined;
}
