import { describe, expect, it } from 'vitest';
import { SharedIdempotencyStoreError } from '#adapters/errors.ts';
import { IDEMPOTENCY_EXPIRY_SECONDS, idempotentOn } from '#adapters/idempotency.ts';
import { InMemoryPersistenceLayer } from '../handlers/harness.ts';

describe('idempotentOn', () => {
  it('keeps records for the redelivery windows: 24 h of EventBridge plus 6 h of Lambda', () => {
    expect(IDEMPOTENCY_EXPIRY_SECONDS).toBeGreaterThanOrEqual(30 * 3600);
  });

  it('refuses one persistence layer for two scopes, and allows it again for the same scope', () => {
    const store = new InMemoryPersistenceLayer();
    idempotentOn(store, { scope: 'provision', eventKeyJmesPath: 'data.requestId' });
    expect(() =>
      idempotentOn(store, { scope: 'provision', eventKeyJmesPath: 'data.requestId' }),
    ).not.toThrow();
    expect(() => idempotentOn(store, { scope: 'overlay', eventKeyJmesPath: '[requestId, taskArn]' })).toThrow(
      SharedIdempotencyStoreError,
    );
  });
});

describe('idempotentOn with a duplicate that arrives while the first delivery runs', () => {
  it('fails the duplicate and keeps the running invocation’s record, so a later delivery replays', async () => {
    const { default: middy } = await import('@middy/core');
    const store = new InMemoryPersistenceLayer();
    let runs = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handler = middy(async (event: { data: { requestId: string } }) => {
      runs += 1;
      if (runs === 1) await gate;
      return { ran: runs, requestId: event.data.requestId };
    }).use(idempotentOn(store, { scope: 'lifecycle', eventKeyJmesPath: 'data.requestId' }));
    const context = {
      getRemainingTimeInMillis: () => 60_000,
      functionName: 'f',
      awsRequestId: 'r',
    } as unknown as import('aws-lambda').Context;
    const event = { data: { requestId: 'restart-1' } };

    const first = handler(event, context);
    // Let the first put its in-progress record before the duplicate arrives.
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(handler(event, context)).rejects.toMatchObject({
      name: 'IdempotencyAlreadyInProgressError',
    });
    // The running invocation's record is still there (a store whose update does not create a
    // record, as the local one, would otherwise lose the first result and run the next delivery).
    expect([...store.records.values()].map((record) => record.getStatus())).toEqual(['INPROGRESS']);
    release();
    expect(await first).toEqual({ ran: 1, requestId: 'restart-1' });
    expect(await handler(event, context)).toEqual({ ran: 1, requestId: 'restart-1' });
    expect(runs).toBe(1);
  });
});
