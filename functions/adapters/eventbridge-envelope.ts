import { envelopeDiscriminator } from '@aws-lambda-powertools/parser/envelopes/envelope';
import { ParseError } from '@aws-lambda-powertools/parser/errors';
import type { ObjectEnvelope, ParsedResult } from '@aws-lambda-powertools/parser/types';
import type * as z from 'zod';
import { eventBridgeEventOf } from '#contracts/envelope.ts';

/** The envelope-plus-detail schema per detail schema, built on first use and then reused. */
const combined = new WeakMap<object, z.ZodType<{ detail: unknown }>>();

const eventSchemaFor = (detail: z.ZodType): z.ZodType<{ detail: unknown }> => {
  let schema = combined.get(detail);
  if (!schema) {
    schema = eventBridgeEventOf(detail);
    combined.set(detail, schema);
  }
  return schema;
};

const ERROR_MESSAGE = 'Failed to parse EventBridge envelope';

/**
 * The Powertools parser envelope for EventBridge events: it parses the envelope with our contract
 * (`#contracts/envelope.ts`) and the `detail` with the handler's schema, and hands the handler the
 * detail. It behaves as Powertools' `EventBridgeEnvelope` does (same checks, same `ParseError` with
 * the ZodError as its cause, so issue paths start at `detail`), with two differences that only
 * matter for cost:
 *
 * - Powertools' envelope module imports all of its ~40 built-in AWS event schemas, and through them
 *   the whole zod build with every locale; each function would parse and build them at cold start.
 * - It extends the envelope schema on every parse; here the combined schema is built once per
 *   detail schema and reused by later invocations.
 */
export const EventBridgeDetailEnvelope: ObjectEnvelope = {
  [envelopeDiscriminator]: 'object',

  parse<T>(data: unknown, schema: z.ZodType<T>): T {
    try {
      return eventSchemaFor(schema).parse(data).detail as T;
    } catch (error) {
      throw new ParseError(ERROR_MESSAGE, { cause: error });
    }
  },

  safeParse<T>(data: unknown, schema: z.ZodType<T>): ParsedResult<unknown, T> {
    const result = eventSchemaFor(schema).safeParse(data);
    if (!result.success) {
      return {
        success: false,
        error: new ParseError(ERROR_MESSAGE, { cause: result.error }),
        originalEvent: data,
      };
    }
    return { success: true, data: result.data.detail as T };
  },
};
