import { Agent } from 'node:http';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { localClientConfig, readEventPage } from '#local/clients.ts';

/** Publishing and watching events the way an upstream system would: the real SDK over loopback. */

export const localEventBridge = (url: string): EventBridgeClient =>
  new EventBridgeClient(
    localClientConfig(url, 'us-east-1', {
      httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }),
      maxAttempts: 5,
    }),
  );

export interface Envelope {
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly time: string;
  readonly resources: string[];
  readonly detail: Record<string, unknown>;
}

/**
 * PutEvents in batches of 10, retrying only the failed entries with backoff, as a careful producer
 * does. Returns how many entries were accepted in the end, and each entry's event id (index-aligned;
 * undefined when it never got in).
 */
export async function publishAll(
  client: EventBridgeClient,
  entries: readonly PutEventsRequestEntry[],
  concurrency = 8,
  onAccepted?: (index: number, eventId: string) => void,
): Promise<{ accepted: number; rejected: number; eventIds: (string | undefined)[] }> {
  let accepted = 0;
  let rejected = 0;
  const eventIds: (string | undefined)[] = new Array(entries.length).fill(undefined);
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const start = next;
      next += 10;
      let pending = Array.from(
        { length: Math.min(10, entries.length - start) },
        (_, offset) => start + offset,
      );
      for (let attempt = 0; pending.length > 0 && attempt < 10; attempt += 1) {
        if (attempt > 0)
          await new Promise((resolve) =>
            setTimeout(resolve, Math.min(1000, 20 * 2 ** attempt) * Math.random()),
          );
        const result = await client.send(
          new PutEventsCommand({ Entries: pending.map((index) => entries[index] as PutEventsRequestEntry) }),
        );
        const failed: number[] = [];
        pending.forEach((entryIndex, position) => {
          const answer = result.Entries?.[position];
          if (answer?.EventId && !answer.ErrorCode) {
            eventIds[entryIndex] = answer.EventId;
            accepted += 1;
            onAccepted?.(entryIndex, answer.EventId);
          } else failed.push(entryIndex);
        });
        pending = failed;
      }
      rejected += pending.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { accepted, rejected, eventIds };
}

/** Follows `GET /local/events` from a position, collecting every envelope once. */
export class EventLogTail {
  readonly events: Envelope[] = [];
  #after = 0;
  constructor(readonly url: string) {}

  /** Fetches what is new; returns the new envelopes. */
  async poll(): Promise<Envelope[]> {
    const fresh: Envelope[] = [];
    for (;;) {
      const page = await readEventPage(this.url, { after: this.#after, limit: 5000 });
      const events = page.events as unknown as Envelope[];
      fresh.push(...events);
      if (events.length === 0 || page.lastSeq === this.#after) break;
      this.#after = page.lastSeq;
      if (events.length < 5000) break;
    }
    this.events.push(...fresh);
    return fresh;
  }

  /** Polls until `done()` or the timeout; returns whether done. */
  async until(done: () => boolean, timeoutMs: number, intervalMs = 100): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.poll();
      if (done()) return true;
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** A provision request entry. */
export const provisionEntry = (
  detail: Record<string, unknown>,
  source = 'platform.workspace-server',
): PutEventsRequestEntry => ({
  EventBusName: 'workspaces',
  Source: source,
  DetailType: 'Workspace Provision Requested',
  Detail: JSON.stringify(detail),
});
