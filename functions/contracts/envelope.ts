import { z } from 'zod';

/**
 * The EventBridge envelope every handler receives. `detail` is left open here; handlers parse it
 * with the contract of their detail-type (through Powertools' EventBridgeEnvelope).
 */
export const EventBridgeEnvelope = z.looseObject({
  version: z.string(),
  id: z.string(),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.unknown(),
  'replay-name': z.string().optional(),
});
export type EventBridgeEnvelope = z.infer<typeof EventBridgeEnvelope>;

/** An envelope whose `detail` is parsed by `detail`. */
export const eventBridgeEventOf = <T extends z.ZodType>(detail: T) => EventBridgeEnvelope.extend({ detail });

export type EventBridgeEventOf<D> = Omit<EventBridgeEnvelope, 'detail'> & { detail: D };
