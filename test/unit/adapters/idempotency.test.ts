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
