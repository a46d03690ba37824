import { describe, expect, it, vi } from 'vitest';
import { createFunctionQueues, type FunctionQueuesOptions, type Lane } from '#local/lambda/function-queue.ts';
import type { FunctionDeployment, Invocation } from '#local/lambda/invoker.ts';
import { invocationOf, specWith } from './invocation-fixture.ts';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function queueHarness(overrides: Partial<FunctionQueuesOptions> = {}, reservedConcurrency = 2) {
  const deployment: FunctionDeployment = {
    spec: specWith({ asyncMaxEventAgeSeconds: 60 }),
    handler: async () => undefined,
    reservedConcurrency,
  };
  const started: number[] = [];
  const expired: number[] = [];
  const errors: unknown[] = [];
  const finish: Array<() => void> = [];
  let now = 1_000;
  const queues = createFunctionQueues({
    functions: { provision: deployment },
    unreservedConcurrency: 64,
    now: () => now,
    begin: (batch) => batch.map(() => true),
    run: (_lane: Lane, invocation: Invocation) =>
      new Promise<void>((resolve) => {
        started.push(invocation.id);
        finish.push(resolve);
      }),
    expire: (_lane, invocation) => expired.push(invocation.id),
    error: (error) => errors.push(error),
    ...overrides,
  });
  return { queues, started, expired, errors, finish, setNow: (at: number) => (now = at) };
}

describe('the per-function queues', () => {
  it('runs at most the reserved concurrency at once, in order, and starts the next as one ends', async () => {
    const { queues, started, finish } = queueHarness();
    queues.start();
    for (const id of [1, 2, 3, 4]) queues.enqueue(invocationOf({ id }));
    expect(started).toEqual([]);

    await nextTurn();
    expect(started).toEqual([1, 2]);
    expect(queues.backlog()).toEqual({ provision: { queued: 2, running: 2 } });

    finish[0]?.();
    await nextTurn();
    expect(started).toEqual([1, 2, 3]);
    expect(queues.backlog()).toEqual({ provision: { queued: 1, running: 2 } });
  });

  it('waits for an invocation that is due later', async () => {
    const { queues, started } = queueHarness();
    queues.start();
    queues.enqueue(invocationOf({ id: 1, nextAttemptAt: 1_020 }));
    await nextTurn();
    expect(started).toEqual([]);
    // Due in 20 ms of real time; its timer then hands the dispatch to a later turn, so a loaded
    // event loop can run both timers in one pass: wait for the dispatch, not a fixed delay.
    await vi.waitFor(() => expect(started).toEqual([1]), { timeout: 5_000, interval: 5 });
  });

  it('takes an invocation past its maximum event age off unrun', async () => {
    const { queues, started, expired, setNow } = queueHarness();
    queues.start();
    setNow(1_000 + 60_001);
    queues.enqueue(invocationOf({ id: 1, enqueuedAt: 1_000, nextAttemptAt: 0 }));
    queues.enqueue(invocationOf({ id: 2, enqueuedAt: 61_001, nextAttemptAt: 0 }));
    await nextTurn();
    expect(expired).toEqual([1]);
    expect(started).toEqual([2]);
  });

  it('runs only what begin says started, and leaves a pass queued when begin throws', async () => {
    const partly = queueHarness({ begin: (batch) => batch.map((invocation) => invocation.id !== 1) });
    partly.queues.start();
    partly.queues.enqueue(invocationOf({ id: 1 }));
    partly.queues.enqueue(invocationOf({ id: 2 }));
    await nextTurn();
    expect(partly.started).toEqual([2]);

    const broken = queueHarness({
      begin: () => {
        throw new Error('locked');
      },
    });
    broken.queues.start();
    broken.queues.enqueue(invocationOf({ id: 1 }));
    await nextTurn();
    expect(broken.started).toEqual([]);
    expect(broken.errors).toMatchObject([{ message: 'locked' }]);
  });

  it('dispatches nothing while stopped, drops its timers, and answers the running attempts', async () => {
    const { queues, started, finish } = queueHarness();
    queues.enqueue(invocationOf({ id: 1 }));
    await nextTurn();
    expect(started).toEqual([]);

    queues.start();
    queues.enqueue(invocationOf({ id: 2 }));
    queues.enqueue(invocationOf({ id: 3, nextAttemptAt: 1_010 }));
    await nextTurn();
    const running = queues.stop();
    expect(queues.stopped).toBe(true);
    expect(running).toHaveLength(1);
    finish[0]?.();
    await Promise.all(running);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(started).toEqual([2]);
  });

  it('refuses a function it has no lane for', () => {
    const { queues } = queueHarness();
    expect(queues.has('provision')).toBe(true);
    expect(queues.has('nope')).toBe(false);
    expect(() => queues.laneOf('nope')).toThrow(expect.objectContaining({ name: 'UnknownFunctionError' }));
  });
});
