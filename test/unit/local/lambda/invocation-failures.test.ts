import { describe, expect, it } from 'vitest';
import type { LocalDatabase } from '#local/interfaces.ts';
import type { Lane } from '#local/lambda/function-queue.ts';
import { createInvocationFailures } from '#local/lambda/invocation-failures.ts';
import type { Invocation } from '#local/lambda/invoker.ts';
import { readStoredError } from '#local/lambda/stored-error.ts';
import type { FunctionSpec } from '#wiring/functions.ts';
import { invocationOf, specWith } from './invocation-fixture.ts';

const ERROR = { errorType: 'LaunchFailedError', errorMessage: 'no capacity', trace: ['at launch'] };

function failuresHarness(spec: FunctionSpec, options: { alreadySettled?: boolean } = {}) {
  const calls: Array<[string, ...unknown[]]> = [];
  const enqueued: Invocation[] = [];
  const database = { transaction: <T>(work: () => T): T => work() } as unknown as LocalDatabase;
  const failures = createInvocationFailures({
    database,
    store: {
      fail: (id, lastError) => {
        calls.push(['fail', id, lastError]);
        return !options.alreadySettled;
      },
      deadLetter: (row) => {
        calls.push(['deadLetter', row]);
      },
      requeue: (id, at, lastError) => {
        calls.push(['requeue', id, at, lastError]);
      },
    },
    queues: {
      enqueue: (invocation) => enqueued.push(invocation),
      has: (name) => name === 'failure-reporter',
    },
    stage: (functionName, event, origin) => invocationOf({ id: 99, functionName, event, origin }),
    observer: {
      retrying: (invocation, _error, delay) => calls.push(['retrying', invocation.id, delay]),
      failed: (invocation, condition, _error, destinations) =>
        calls.push(['failed', invocation.id, condition, destinations]),
    },
    now: () => 10_000,
    retryDelayScale: 1 / 60,
    scope: { region: 'us-east-1', account: '000000000000' },
  });
  const lane: Lane = {
    deployment: { spec, handler: async () => undefined },
    limit: 1,
    running: 0,
    ready: [],
    head: 0,
  };
  return { failures, lane, calls, enqueued };
}

describe('after a failed attempt', () => {
  it("retries on Lambda's scaled gap while retries remain, storing the error", () => {
    const { failures, lane, calls, enqueued } = failuresHarness(specWith({ asyncRetryAttempts: 2 }));
    const invocation = invocationOf({ attempts: 1 });

    failures.afterFailure(lane, invocation, ERROR);

    expect(invocation).toMatchObject({ nextAttemptAt: 11_000, lastError: ERROR });
    expect(calls[0]?.slice(0, 3)).toEqual(['requeue', 1, 11_000]);
    expect(readStoredError(calls[0]?.[3] as string)).toEqual(ERROR);
    expect(calls[1]).toEqual(['retrying', 1, 1_000]);
    expect(enqueued).toEqual([invocation]);
  });

  it('gives up once retries are spent: failed, dead-lettered, and the on-failure record queued', () => {
    const spec = specWith({ asyncRetryAttempts: 2, deadLetterQueue: true, onFailure: 'failure-reporter' });
    const { failures, lane, calls, enqueued } = failuresHarness(spec);
    const invocation = invocationOf({ attempts: 3 });

    failures.afterFailure(lane, invocation, ERROR);

    expect(calls.map(([name]) => name)).toEqual(['fail', 'deadLetter', 'failed']);
    expect(calls[1]?.[1]).toMatchObject({
      invocationId: 1,
      condition: 'RetriesExhausted',
      errorType: 'LaunchFailedError',
      attempts: 3,
    });
    expect(calls[2]).toEqual([
      'failed',
      1,
      'RetriesExhausted',
      { onFailure: 'failure-reporter', deadLetterQueue: true },
    ]);
    expect(enqueued).toHaveLength(1);
    expect(enqueued[0]).toMatchObject({
      functionName: 'failure-reporter',
      origin: 'on-failure:1',
      event: { requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 } },
    });
  });

  it('gives an aged-out event up without a DLQ or destination when the function has none', () => {
    const spec = specWith({ deadLetterQueue: false, onFailure: undefined });
    const { failures, lane, calls, enqueued } = failuresHarness(spec);

    failures.giveUp(lane, invocationOf(), 'EventAgeExceeded');

    expect(calls).toEqual([
      ['fail', 1, 'EventAgeExceeded'],
      ['failed', 1, 'EventAgeExceeded', { deadLetterQueue: false }],
    ]);
    expect(enqueued).toEqual([]);
  });

  it('does nothing more for an invocation already settled', () => {
    const spec = specWith({ deadLetterQueue: true, onFailure: 'failure-reporter' });
    const { failures, lane, calls, enqueued } = failuresHarness(spec, { alreadySettled: true });

    failures.giveUp(lane, invocationOf(), 'RetriesExhausted');

    expect(calls.map(([name]) => name)).toEqual(['fail']);
    expect(enqueued).toEqual([]);
  });
});
