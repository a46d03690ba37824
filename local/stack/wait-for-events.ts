/** Waiting on the stack's event log from outside (tests, the bench): `GET /local/events`, polled. */

import { readEventPage } from '#local/clients.ts';
import type { EventEnvelope } from '#local/interfaces.ts';

/**
 * Waits until the stack's event log (`GET /local/events`) holds events that satisfy `predicate`,
 * and resolves with the whole log read then. Polls every 20 ms; rejects after `timeoutMs`.
 *
 * @example
 * await waitForEvents(stack.url, (events) => events.some((e) => e['detail-type'] === 'Workspace Running'), 10_000);
 */
export async function waitForEvents(
  url: string,
  predicate: (events: readonly EventEnvelope[]) => boolean,
  timeoutMs = 10_000,
): Promise<EventEnvelope[]> {
  const deadline = Date.now() + timeoutMs;
  const events: EventEnvelope[] = [];
  let after = 0;
  for (;;) {
    const page = await readEventPage(url, { after });
    events.push(...page.events);
    after = page.lastSeq;
    if (predicate(events)) return events;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for events; the log holds: ${events.map((event) => event['detail-type']).join(', ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
