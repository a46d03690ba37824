import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { MiddlewareObj, Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import { SharedIdempotencyStoreError } from './errors.ts';

/**
 * How long an idempotency record lasts: EventBridge redelivers for up to 24 hours, and Lambda's
 * async queue holds and retries an event for up to 6 more, so a duplicate can arrive up to 30 hours
 * after the first delivery.
 */
export const IDEMPOTENCY_EXPIRY_SECONDS = (24 + 6) * 3600;

/** The idempotent operations; each is a key prefix in the shared table and needs its own layer. */
export type IdempotencyScope = 'provision' | 'overlay' | 'deprovision' | 'assets-staged' | 'lifecycle';

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
  /**
   * JMESPath of the part of the event that must be the same for a duplicate to be a replay. With
   * it, an event whose key was already used for a different payload is not answered from the
   * record: `onPayloadMismatch` answers it instead, and the record of the first event is kept.
   * @default none: any event with a used key is a replay
   */
  readonly payloadValidationJmesPath?: string;
  /**
   * Answers an event whose key was already used for a different payload (its result becomes the
   * invocation's response; nothing is recorded for it). Throwing makes the invocation fail.
   * @default rethrow Powertools' IdempotencyValidationError
   */
  readonly onPayloadMismatch?: (request: IdempotentRequest) => Promise<unknown>;
}

/** Powertools' error for a used key with another payload (`payloadValidationJmesPath`). */
const PAYLOAD_MISMATCH = 'IdempotencyValidationError';
const MISMATCH_FLAG = 'provisioner.idempotency.payloadMismatch';
/** Powertools' error for a key another invocation holds in progress. */
const IN_PROGRESS = 'IdempotencyAlreadyInProgressError';
const IN_PROGRESS_FLAG = 'provisioner.idempotency.inProgressElsewhere';

/** A middy request whose `internal` the middlewares share. */
export type IdempotentRequest = Request<unknown, unknown, Error, Context, Record<string, unknown>>;

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
  const powertools = makeHandlerIdempotent({
    persistenceStore: store,
    keyPrefix: options.scope,
    config: new IdempotencyConfig({
      eventKeyJmesPath: options.eventKeyJmesPath,
      expiresAfterSeconds: IDEMPOTENCY_EXPIRY_SECONDS,
      ...(options.payloadValidationJmesPath
        ? { payloadValidationJmesPath: options.payloadValidationJmesPath }
        : {}),
      responseHook: (response) => {
        options.onReplay?.();
        return response;
      },
    }),
  });
  const { onPayloadMismatch } = options;

  // A used key with another payload must never reach Powertools' after or onError: both act on the
  // key's record, and onError would delete the first event's record, turning its next replay into
  // a second run. The same holds for a duplicate that finds the key in progress: Powertools' own
  // onError would delete the record of the invocation still running (its next delivery would then
  // run again instead of replaying), so that duplicate only fails, and is retried later.
  const mismatched = (request: IdempotentRequest): boolean => request.internal[MISMATCH_FLAG] === true;
  const inProgressElsewhere = (request: IdempotentRequest): boolean =>
    request.internal[IN_PROGRESS_FLAG] === true;
  const idempotentBefore = async (request: IdempotentRequest) => {
    try {
      return await powertools.before?.(request);
    } catch (error) {
      const name = (error as Error | undefined)?.name;
      if (name === IN_PROGRESS) request.internal[IN_PROGRESS_FLAG] = true;
      if (name !== PAYLOAD_MISMATCH || !onPayloadMismatch) throw error;
      request.internal[MISMATCH_FLAG] = true;
      return onPayloadMismatch(request);
    }
  };
  const idempotentAfter = async (request: IdempotentRequest) => {
    if (!mismatched(request)) await powertools.after?.(request);
  };
  const idempotentOnError = async (request: IdempotentRequest) => {
    if (!mismatched(request) && !inProgressElsewhere(request)) await powertools.onError?.(request);
  };
  return {
    before: idempotentBefore,
    after: idempotentAfter,
    onError: idempotentOnError,
  } satisfies MiddlewareObj<unknown, unknown, Error, Context, Record<string, unknown>>;
}
