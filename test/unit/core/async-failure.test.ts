import { describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { DETAIL_SCHEMAS } from '#contracts/registry.ts';
import {
  deprovisionFailedDetailFromAsyncRecord,
  failedDetailFromAsyncRecord,
  failureMessage,
  overlayFailedDetailFromAsyncRecord,
  spentEventKindOf,
} from '#core/async-failure.ts';

const request = {
  version: '0',
  id: 'evt-1',
  'detail-type': DETAIL_TYPES.provisionRequested,
  source: 'platform.workspace-server',
  detail: { requestId: 'req-1', workspaceId: 'ws-1', orgId: 'org-1', runtime: 'codex', kind: 'platform' },
};
const record = (errorMessage: string, condition = 'RetriesExhausted', payload: unknown = request) => ({
  requestContext: { condition, approximateInvokeCount: 3 },
  requestPayload: payload,
  responsePayload: { errorType: 'ProvisionRetryableError', errorMessage },
});

describe('failedDetailFromAsyncRecord', () => {
  it.each([
    ['CAPACITY_UNAVAILABLE', true],
    ['THROTTLED', true],
    ['LAUNCH_FAILED', false],
  ] as const)('reads the code %s back from the handler error', (code, retryable) => {
    const detail = failedDetailFromAsyncRecord(record(failureMessage(code, 'spent')));
    expect(detail).toMatchObject({
      workspaceId: 'ws-1',
      requestId: 'req-1',
      code,
      retryable,
      runtime: 'codex',
      kind: 'platform',
    });
    expect(DETAIL_SCHEMAS[DETAIL_TYPES.provisionFailed].safeParse(detail).success).toBe(true);
  });

  it('calls an event that aged out THROTTLED', () => {
    expect(
      failedDetailFromAsyncRecord(record('Task timed out after 60.00 seconds', 'EventAgeExceeded'))?.code,
    ).toBe('THROTTLED');
  });

  it('calls an unexplained failure LAUNCH_FAILED, with a generic reason', () => {
    const detail = failedDetailFromAsyncRecord(
      record('TypeError: x is undefined at arn:aws:iam::123456789012:role/r'),
    );
    expect(detail?.code).toBe('LAUNCH_FAILED');
    expect(detail?.reason).not.toContain('123456789012');
  });

  it('gives nothing when the original request names no readable workspace', () => {
    expect(
      failedDetailFromAsyncRecord(
        record('THROTTLED: x', 'RetriesExhausted', { detail: { workspaceId: 'a b' } }),
      ),
    ).toBeUndefined();
    expect(
      failedDetailFromAsyncRecord(record('THROTTLED: x', 'RetriesExhausted', 'garbage')),
    ).toBeUndefined();
  });

  it('drops a runtime outside the catalog rather than emit an invalid event', () => {
    const odd = { ...request, detail: { ...request.detail, runtime: 'cobol' } };
    expect(failedDetailFromAsyncRecord(record('THROTTLED: x', 'RetriesExhausted', odd))).not.toHaveProperty(
      'runtime',
    );
  });
});

describe('spentEventKindOf', () => {
  // Told apart by the original event's detail-type; anything else is read as provision, as before.
  it.each([
    [DETAIL_TYPES.provisionRequested, 'provision'],
    [DETAIL_TYPES.deprovisionRequested, 'deprovision'],
    [DETAIL_TYPES.taskLaunched, 'overlay'],
    ['Something Else', 'provision'],
    [undefined, 'provision'],
  ])('reads detail-type %s as %s', (detailType, kind) => {
    const payload = { ...request, 'detail-type': detailType };
    expect(spentEventKindOf(record('x', 'RetriesExhausted', payload))).toBe(kind);
  });
});

describe('deprovision and overlay Failed details', () => {
  const deprovision = { ...request, 'detail-type': DETAIL_TYPES.deprovisionRequested };
  const taskArn = 'arn:aws:ecs:us-east-1:123456789012:task/workspaces/abc';
  const launched = {
    ...request,
    'detail-type': DETAIL_TYPES.taskLaunched,
    detail: { ...request.detail, taskArn },
  };

  it('match their published schemas, retries spent or aged out', () => {
    for (const condition of ['RetriesExhausted', 'EventAgeExceeded']) {
      const deprovisionFailed = deprovisionFailedDetailFromAsyncRecord(record('x', condition, deprovision));
      expect(DETAIL_SCHEMAS[DETAIL_TYPES.deprovisionFailed].safeParse(deprovisionFailed).success).toBe(true);
      const overlayFailed = overlayFailedDetailFromAsyncRecord(record('x', condition, launched));
      expect(DETAIL_SCHEMAS[DETAIL_TYPES.configOverlayFailed].safeParse(overlayFailed).success).toBe(true);
    }
    expect(deprovisionFailedDetailFromAsyncRecord(record('x', 'EventAgeExceeded', deprovision))?.code).toBe(
      'DEPROVISION_EXPIRED',
    );
    expect(overlayFailedDetailFromAsyncRecord(record('x', 'RetriesExhausted', launched))).toMatchObject({
      code: 'OVERLAY_FAILED',
      taskArn,
      kind: 'platform',
    });
  });

  it('leaves out a taskArn that is not an ECS task ARN', () => {
    const odd = { ...launched, detail: { ...launched.detail, taskArn: 'see https://example.com' } };
    expect(overlayFailedDetailFromAsyncRecord(record('x', 'RetriesExhausted', odd))).not.toHaveProperty(
      'taskArn',
    );
  });
});
