import * as z from 'zod';

/**
 * The EventBridge envelope every handler receives. `detail` is left open here; handlers parse it
 * with the contract of their detail-type (through the parser's EventBridge envelope adapter).
 * `time` is ISO 8601 as EventBridge writes it, the same rule Powertools' own envelope applies.
 */
export const EventBridgeEnvelope = z.looseObject({
  version: z.string(),
  id: z.string(),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.unknown(),
  'replay-name': z.string().optional(),
});
export type EventBridgeEnvelope = z.infer<typeof EventBridgeEnvelope>;

/** An envelope whose `detail` is parsed by `detail`. */
export const eventBridgeEventOf = <T extends z.ZodType>(detail: T) => EventBridgeEnvelope.extend({ detail });

export type EventBridgeEventOf<D> = Omit<EventBridgeEnvelope, 'detail'> & { detail: D };
