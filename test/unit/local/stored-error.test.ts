import { afterEach, describe, expect, it } from 'vitest';
import type { LocalDatabase } from '#local/interfaces.ts';
import { InvocationStore } from '#local/lambda/invocation-store.ts';
import { toInvocationError } from '#local/lambda/invoker.ts';
import { readStoredError, storedErrorText } from '#local/lambda/stored-error.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';

class ProvisionTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProvisionTimeoutError';
  }
}

describe('stored invocation errors', () => {
  let database: LocalDatabase | undefined;
  afterEach(() => database?.close());

  function queuedInvocation(store: InvocationStore): number {
    return store.insert({
      functionName: 'provision',
      requestId: 'request-1',
      origin: 'event-1',
      payload: '{}',
      enqueuedAt: 1,
      nextAttemptAt: 1,
    });
  }

  it('keeps the type, message and trace of an error through the store', () => {
    database = openDatabase(IN_MEMORY);
    const store = new InvocationStore(database);
    const id = queuedInvocation(store);
    const error = toInvocationError(new ProvisionTimeoutError('workspace ws-1: no task after 600 s'));
    expect(error.trace.length).toBeGreaterThan(1);

    store.requeue(id, 2, storedErrorText(error));
    const [row] = store.open();

    expect(row?.lastError).not.toBeNull();
    expect(readStoredError(row?.lastError ?? '')).toEqual(error);
  });

  it.each([
    ['Runtime.ExitError: exit status 1', { errorType: 'Runtime.ExitError', errorMessage: 'exit status 1' }],
    ['Error: a: b', { errorType: 'Error', errorMessage: 'a: b' }],
    ['RetriesExhausted', { errorType: 'Error', errorMessage: 'RetriesExhausted' }],
    ['{not json', { errorType: 'Error', errorMessage: '{not json' }],
  ])('reads the older text form %j with an empty trace', (text, expected) => {
    expect(readStoredError(text)).toEqual({ ...expected, trace: [] });
  });
});
