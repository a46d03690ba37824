/**
 * The failure reporter's only schema: Lambda's async invocation record, as the on-failure
 * destination of provision, deprovision and overlay receives it.
 */
import * as z from 'zod/mini';

/**
 * Lambda's async invocation record, as the on-failure destination receives it. Lenient: Lambda
 * may add fields, and only the ones read here are typed.
 *
 * Written with `zod/mini`, zod's tree-shakable build: this schema is the function's only one, and
 * the full build would add about 75 KB to parse at every cold start for methods it never calls.
 * Only success or failure is read, so mini's terse default messages never show.
 */
export const AsyncFailureRecordSchema = z.looseObject({
  version: z.optional(z.string()),
  timestamp: z.optional(z.string()),
  requestContext: z.optional(
    z.looseObject({
      requestId: z.optional(z.string()),
      functionArn: z.optional(z.string()),
      condition: z.optional(z.string()),
      approximateInvokeCount: z.optional(z.number()),
    }),
  ),
  requestPayload: z.optional(z.unknown()),
  responsePayload: z.optional(
    z.nullable(z.looseObject({ errorType: z.optional(z.string()), errorMessage: z.optional(z.string()) })),
  ),
});
export type AsyncFailureRecordInput = z.infer<typeof AsyncFailureRecordSchema>;
