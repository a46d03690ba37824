import { describe, expect, it } from 'vitest';
import type { Lane } from '#local/lambda/function-queue.ts';
import type { StoredInvocation } from '#local/lambda/invocation-store.ts';
import type { Invocation, InvocationError } from '#local/lambda/invoker.ts';
import { INTERRUPTED_ATTEMPT_ERROR, recoverOpenInvocations } from '#local/lambda/recovery.ts';
import { storedErrorText } from '#local/lambda/stored-error.ts';

function row(id: number, functionName: string, status: StoredInvocation['status']): StoredInvocation {
  return {
    id,
    functionName,
    requestId: `req-${id}`,
    origin: 'event:1:rule',
    payload: '{"a":1}',
    status,
    attempts: 1,
    enqueuedAt: 1_000,
    nextAttemptAt: 2_000,
    lastError: storedErrorText({ errorType: 'Boom', errorMessage: 'first', trace: ['at x'] }),
  };
}

describe('recovery on start', () => {
  it('requeues queued invocations, fails interrupted attempts, and skips unknown functions', () => {
    const lane = { limit: 1 } as unknown as Lane;
    const enqueued: Invocation[] = [];
    const failed: Array<[Invocation, InvocationError]> = [];
    const counts = recoverOpenInvocations(
      {
        open: () => [row(1, 'provision', 'queued'), row(2, 'provision', 'running'), row(3, 'gone', 'queued')],
      },
      {
        has: (name) => name === 'provision',
        laneOf: () => lane,
        enqueue: (invocation) => enqueued.push(invocation),
      },
      { afterFailure: (_lane, invocation, error) => failed.push([invocation, error]) },
    );

    expect(counts).toEqual({ queued: 1, interrupted: 1 });
    expect(enqueued).toMatchObject([
      {
        id: 1,
        event: { a: 1 },
        attempts: 1,
        nextAttemptAt: 2_000,
        lastError: { errorType: 'Boom', trace: ['at x'] },
      },
    ]);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.[0].id).toBe(2);
    expect(failed[0]?.[1]).toEqual({ ...INTERRUPTED_ATTEMPT_ERROR, trace: [] });
  });
});
