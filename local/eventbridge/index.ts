/** The local EventBridge: the durable event bus and the PutEvents / TestEventPattern operations. */

export { envelopeTime } from '../wire/envelope-time.ts';
export { createEventBus, type EventBusOptions } from './bus.ts';
export {
  createEventBridgeEmulator,
  type EventBridgeEmulator,
  type EventBridgeEmulatorOptions,
} from './emulator.ts';
export {
  DEFAULT_MAX_ENTRIES_BYTES,
  MAX_PUT_EVENTS_ENTRIES,
  type PutEventsResponse,
  type PutEventsResultEntry,
  putEventsEntrySize,
} from './put-events.ts';
export { TEST_EVENT_REQUIRED_FIELDS, type TestEventPatternResponse } from './test-event-pattern.ts';
