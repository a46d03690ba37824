import { FAILURE_CODES, type FailureCode, RUNTIME_NAMES } from '#contracts/names.ts';
import type { ProvisionFailedDetail } from '#contracts/outbound.ts';
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
