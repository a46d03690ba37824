/**
 * The event-publisher port: what the flows ask of EventBridge. `adapters/event-publisher.ts`
 * implements it with PutEvents.
 */
import type { DomainEvent } from '#core/overlay.ts';

/** The event-publisher port: sends domain events, in order, or throws. */
export interface EventPublisher {
  publish(events: readonly DomainEvent[]): Promise<void>;
}
