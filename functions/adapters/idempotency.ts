import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { SharedIdempotencyStoreError } from './errors.ts';

/**
 * How long an idempotency record lasts: EventBridge redelivers for up to 24 hours, and Lambda's
 * async queue holds and retries an event for up to 6 more, so a duplicate can arrive up to 30 hours
 * after the first delivery.
 */
export const IDEMPOTENCY_EXPIRY_SECONDS = (24 + 6) * 3600;

/** The idempotent operations; each is a key prefix in the shared table and needs its own layer. */
export type IdempotencyScope = 'provision' | 'overlay' | 'deprovision';

const scopeOfStore = new WeakMap<BasePersistenceLayer, IdempotencyScope>();

export interface IdempotentOnOptions {
  readonly scope: IdempotencyScope;
  /**
   * JMESPath of the key in the event as the handler receives it (after the parser). The parser
   * runs first on purpose: only a valid request is recorded, so a producer that fixes a rejected
   * request and re-sends it under the same requestId is not answered with the old rejection.
   */
  readonly eventKeyJmesPath: string;
  /** Told when a duplicate is answered from its record instead of running again (for a metric). */
  readonly onReplay?: () => void;
}

/**
 * Powertools' idempotency middleware over `store`, keyed on a business id, never on the envelope
 * `id` (a producer's re-send gets a new one). The key prefix is the scope, not the Lambda function
 * name, so records survive a function's replacement and the local stack (no function name) keys
 * the same way.
 *
 * @throws SharedIdempotencyStoreError when `store` is already used for another scope.
 */
export function idempotentOn(store: BasePersistenceLayer, options: IdempotentOnOptions) {
  const claimed = scopeOfStore.get(store);
  if (claimed !== undefined && claimed !== options.scope) {
    throw new SharedIdempotencyStoreError(
      `this idempotency store is already used by the ${claimed} handler; give the ${options.scope} handler its own ` +
        'persistence-layer instance (Powertools configures a layer once and keeps the key prefix on it)',
    );
  }
  scopeOfStore.set(store, options.scope);
  return makeHandlerIdempotent({
    persistenceStore: store,
    keyPrefix: options.scope,
    config: new IdempotencyConfig({
      eventKeyJmesPath: options.eventKeyJmesPath,
      expiresAfterSeconds: IDEMPOTENCY_EXPIRY_SECONDS,
      responseHook: (response) => {
        options.onReplay?.();
        return response;
      },
    }),
  });
}
