/**
 * EventBridge's envelope time, shared by the emulators that publish events (the bus stamps accepted
 * entries, ECS stamps its task state changes). It sits in the wire layer so ECS need not import the
 * EventBridge emulator.
 */

/** EventBridge's envelope time: ISO 8601 to the second. */
export const envelopeTime = (epochMs: number): string =>
  new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
