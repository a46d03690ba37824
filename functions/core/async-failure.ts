import { DETAIL_TYPES, FAILURE_CODES, type FailureCode, RUNTIME_NAMES } from '#contracts/names.ts';
import type {
  ConfigOverlayFailedDetail,
  DeprovisionFailedDetail,
  ProvisionFailedDetail,
} from '#contracts/outbound.ts';
import { spentReasonFor } from './run-task-outcome.ts';

/**
 * Lambda's record for an async invocation that ran out of retries (on-failure destination).
 * Only the fields read here are listed; the record is parsed leniently.
 */
export interface AsyncFailureRecord {
  readonly requestContext?: { readonly condition?: string; readonly approximateInvokeCount?: number };
  readonly requestPayload?: unknown;
  readonly responsePayload?: { readonly errorType?: string; readonly errorMessage?: string } | null;
}

/**
 * Prefix the provision handler puts on the message of the error it throws to hand a retryable
 * outcome to the platform: `CAPACITY_UNAVAILABLE: ...`. The reporter reads the code back from it.
 */
export const failureMessage = (code: FailureCode, reason: string): string => `${code}: ${reason}`;

const CODE_PREFIX = new RegExp(`^(${FAILURE_CODES.join('|')}):`);

const stringField = (value: unknown, key: string): string | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' && field.length > 0 && field.length <= 64 ? field : undefined;
};

/**
 * The `Workspace Provision Failed` detail for a provision request whose retries are spent, or
 * undefined when the original request names no readable workspace (it then stays in the DLQ only).
 * The code comes from the handler's error; an event that aged out while throttled is THROTTLED.
 */
export function failedDetailFromAsyncRecord(record: AsyncFailureRecord): ProvisionFailedDetail | undefined {
  const detail = (record.requestPayload as { detail?: unknown } | undefined)?.detail;
  const workspaceId = stringField(detail, 'workspaceId');
  if (!workspaceId || !/^[A-Za-z0-9_-]+$/.test(workspaceId)) return undefined;
  const requestId = stringField(detail, 'requestId');
  const fromMessage = CODE_PREFIX.exec(record.responsePayload?.errorMessage ?? '')?.[1] as
    | FailureCode
    | undefined;
  const aged = record.requestContext?.condition === 'EventAgeExceeded';
  const code: FailureCode = fromMessage ?? (aged ? 'THROTTLED' : 'LAUNCH_FAILED');
  const runtime = stringField(detail, 'runtime');
  const kind = stringField(detail, 'kind');
  return {
    workspaceId,
    code,
    reason: spentReasonFor(code),
    retryable: code === 'CAPACITY_UNAVAILABLE' || code === 'THROTTLED',
    ...(requestId && /^[A-Za-z0-9._:-]+$/.test(requestId) ? { requestId } : {}),
    ...(runtime && RUNTIME_NAMES.includes(runtime) ? { runtime } : {}),
    ...(kind === 'workspace' || kind === 'platform' ? { kind } : {}),
  };
}

/** Which function's event a record carries, told apart by the original event's detail-type. */
export type SpentEventKind = 'provision' | 'deprovision' | 'overlay';

/**
 * The kind of on-failure record, from `requestPayload['detail-type']`. Anything that is neither a
 * deprovision request nor a launched task is read as a provision request, exactly as before the
 * reporter served three functions. A spent `Workspace Template Assets Staged` (v1.1) is read the same
 * way: it carries the request's `requestId` and `workspaceId`, and its launch failed for good.
 */
export function spentEventKindOf(record: AsyncFailureRecord): SpentEventKind {
  const detailType = stringField(record.requestPayload, 'detail-type');
  if (detailType === DETAIL_TYPES.deprovisionRequested) return 'deprovision';
  if (detailType === DETAIL_TYPES.taskLaunched) return 'overlay';
  return 'provision';
}

const WORKSPACE_ID = /^[A-Za-z0-9_-]+$/;
const REQUEST_ID = /^[A-Za-z0-9._:-]+$/;
/** An ECS task ARN; anything else is left out rather than echoed. */
const TASK_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task\/[A-Za-z0-9/_-]+$/;

/** The request and workspace ids of a spent event, when both are readable. */
function idsOf(
  record: AsyncFailureRecord,
): { requestId: string; workspaceId: string; detail: unknown } | undefined {
  const detail = (record.requestPayload as { detail?: unknown } | undefined)?.detail;
  const workspaceId = stringField(detail, 'workspaceId');
  const requestId = stringField(detail, 'requestId');
  if (!workspaceId || !WORKSPACE_ID.test(workspaceId)) return undefined;
  if (!requestId || !REQUEST_ID.test(requestId)) return undefined;
  return { requestId, workspaceId, detail };
}

const aged = (record: AsyncFailureRecord) => record.requestContext?.condition === 'EventAgeExceeded';

/**
 * The `Workspace Deprovision Failed` detail for a deprovision request whose retries are spent, or
 * undefined when it names no readable request and workspace. The reason is generic: the handler's
 * own error text (AWS messages, ARNs, account ids) is never copied into it.
 */
export function deprovisionFailedDetailFromAsyncRecord(
  record: AsyncFailureRecord,
): DeprovisionFailedDetail | undefined {
  const ids = idsOf(record);
  if (!ids) return undefined;
  return aged(record)
    ? {
        requestId: ids.requestId,
        workspaceId: ids.workspaceId,
        code: 'DEPROVISION_EXPIRED',
        reason:
          'the deprovision request expired before it could be handled; the workspace tasks may still run',
      }
    : {
        requestId: ids.requestId,
        workspaceId: ids.workspaceId,
        code: 'DEPROVISION_FAILED',
        reason: 'the workspace tasks could not be stopped after retries; they may still run',
      };
}

/**
 * The `Workspace Config Overlay Failed` detail for a launched task whose overlay retries are spent,
 * or undefined when it names no readable request and workspace. `taskArn` and `kind` are copied
 * only when they have their expected shape.
 */
export function overlayFailedDetailFromAsyncRecord(
  record: AsyncFailureRecord,
): ConfigOverlayFailedDetail | undefined {
  const ids = idsOf(record);
  if (!ids) return undefined;
  const taskArn =
    typeof (ids.detail as { taskArn?: unknown }).taskArn === 'string'
      ? (ids.detail as { taskArn: string }).taskArn
      : undefined;
  const kind = stringField(ids.detail, 'kind');
  return {
    requestId: ids.requestId,
    workspaceId: ids.workspaceId,
    ...(taskArn && taskArn.length <= 256 && TASK_ARN.test(taskArn) ? { taskArn } : {}),
    ...(kind === 'workspace' || kind === 'platform' ? { kind } : {}),
    ...(aged(record)
      ? {
          code: 'OVERLAY_EXPIRED' as const,
          reason: 'the launched task expired before its overlay could be applied',
        }
      : { code: 'OVERLAY_FAILED' as const, reason: 'the overlay could not be applied after retries' }),
  };
}
