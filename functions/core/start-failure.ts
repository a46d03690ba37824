/**
 * Why a task stopped before it ever ran, as the code of its `Workspace Provision Failed`: the image
 * could not be pulled, the secrets or environment files could not be fetched, the subnet had no
 * free address, or (for anything else) TASK_FAILED_TO_START. The event's `reason` is one of the
 * generic texts below, never ECS's own text, which names images, registries, secrets and buckets
 * with account ids and ARNs.
 *
 * Sources (the table-driven tests cite them row by row):
 * - `CannotPullContainerError` and `ResourceInitializationError` prefixes: "Stopped tasks error
 *   codes", https://docs.aws.amazon.com/AmazonECS/latest/userguide/stopped-task-error-codes.html;
 * - "ResourceInitializationError: unable to pull secrets or registry auth: …":
 *   https://repost.aws/knowledge-center/ecs-unable-to-pull-secrets;
 * - `InsufficientFreeAddressesInSubnet` (EC2 error code): "Error codes for the Amazon EC2 API",
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html.
 */
import type { FailureCode } from '#contracts/names.ts';
import type { StoppedTaskShape } from './stop-cause.ts';

/** What a `Workspace Provision Failed` about a task that never ran says. */
export interface StartFailure {
  readonly code: FailureCode;
  readonly reason: string;
  /** Whether a new request may succeed without anyone changing anything. */
  readonly retryable: boolean;
}

/** The reason of a `Workspace Provision Failed` (TASK_FAILED_TO_START) about a task that never ran. */
export const NEVER_RAN_REASON = 'the task stopped before it ever ran';

/** Generic reasons, one per code: free of the image, registry, secret and account names ECS gives. */
export const START_FAILURE_REASONS = {
  imagePull: 'ECS could not pull the workspace image; the task never ran',
  secrets: "ECS could not fetch the task's secrets or environment files; the task never ran",
  subnetAddresses: 'the subnet had no free IP address for the task; a new request may succeed',
  neverRan: NEVER_RAN_REASON,
} as const;

/** EC2's code for a subnet out of private addresses, which ECS meets creating the task's interface. */
const NO_FREE_ADDRESS = /InsufficientFreeAddressesInSubnet/;
const IMAGE_PULL = /CannotPullContainerError/;
const RESOURCE_INITIALIZATION = /ResourceInitializationError/;
/**
 * The documented secrets text ("unable to pull secrets or registry auth"), and the task's
 * environment files by name: AWS documents only the ResourceInitializationError prefix for those,
 * so the files are recognised by the words naming them, not by a sentence AWS does not promise.
 */
const SECRETS_OR_ENV_FILES = /unable to pull secrets or registry auth|\benv(ironment)? ?files?\b/i;

/** Everything ECS said about why the task stopped: the task's reason and each container's. */
function stopTextsOf(task: StoppedTaskShape): string[] {
  return [task.stoppedReason ?? '', ...(task.containers ?? []).map((container) => container.reason ?? '')];
}

/**
 * Classifies a task that never ran, first match wins:
 * - `InsufficientFreeAddressesInSubnet`: CAPACITY_UNAVAILABLE, retryable (addresses come back as
 *   other tasks stop);
 * - `CannotPullContainerError`: IMAGE_PULL_FAILED, final (the image, its registry or the access to
 *   it must change first);
 * - `ResourceInitializationError` about secrets or environment files: SECRETS_UNAVAILABLE, final;
 * - anything else: TASK_FAILED_TO_START, retryable, as before.
 */
export function startFailureOf(task: StoppedTaskShape): StartFailure {
  const texts = stopTextsOf(task);
  const said = (pattern: RegExp) => texts.some((text) => pattern.test(text));
  if (said(NO_FREE_ADDRESS)) {
    return { code: 'CAPACITY_UNAVAILABLE', reason: START_FAILURE_REASONS.subnetAddresses, retryable: true };
  }
  if (said(IMAGE_PULL)) {
    return { code: 'IMAGE_PULL_FAILED', reason: START_FAILURE_REASONS.imagePull, retryable: false };
  }
  const secrets = texts.some((text) => RESOURCE_INITIALIZATION.test(text) && SECRETS_OR_ENV_FILES.test(text));
  if (secrets)
    return { code: 'SECRETS_UNAVAILABLE', reason: START_FAILURE_REASONS.secrets, retryable: false };
  return { code: 'TASK_FAILED_TO_START', reason: START_FAILURE_REASONS.neverRan, retryable: true };
}
