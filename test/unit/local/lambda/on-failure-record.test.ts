import { describe, expect, it } from 'vitest';
import { onFailureRecord } from '#local/lambda/on-failure-record.ts';
import { invocationOf, specWith } from './invocation-fixture.ts';

// AWS Lambda Developer Guide, "Capturing records of asynchronous invocations": the invocation record
// has version, timestamp, requestContext (requestId, functionArn, condition, approximateInvokeCount),
// requestPayload, and for a function error responseContext and responsePayload.
describe('the on-failure record', () => {
  const scope = { region: 'eu-west-1', account: '111122223333' };

  it('is the standard record of a function error, with its payload and error', () => {
    const lastError = { errorType: 'LaunchFailedError', errorMessage: 'no capacity', trace: ['at x'] };
    const invocation = invocationOf({ attempts: 3, lastError });

    const record = onFailureRecord(invocation, specWith({}), 'RetriesExhausted', Date.UTC(2026, 0, 1), scope);

    expect(record).toEqual({
      version: '1.0',
      timestamp: '2026-01-01T00:00:00.000Z',
      requestContext: {
        requestId: 'req-1',
        functionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:provision:$LATEST',
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: JSON.parse(invocation.payload),
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: lastError,
    });
    expect((record.responsePayload as { trace: unknown }).trace).not.toBe(lastError.trace);
  });

  it('has no response for an event that aged out before it ran', () => {
    const record = onFailureRecord(invocationOf(), specWith({}), 'EventAgeExceeded', 0, scope);
    expect(record).not.toHaveProperty('responseContext');
    expect(record).not.toHaveProperty('responsePayload');
    expect(record).toMatchObject({
      requestContext: { condition: 'EventAgeExceeded', approximateInvokeCount: 0 },
    });
  });
});
