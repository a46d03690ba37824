import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import type { DomainEvent } from '#core/overlay.ts';
import { type BackoffPolicy, fullJitterDelay } from '#policies/retry-backoff.ts';
import type { Clock } from '#ports/clock.ts';
import type { EventPublisher } from '#ports/event-publisher.ts';
import { EventPublishError, EventTooLargeError, type FailedEntry } from './errors.ts';

/** PutEvents takes at most 10 entries per call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

/**
 * The entry size limit checked before sending. EventBridge buses now take 1 MB, but the API model
 * and targets elsewhere (and a bus in an older Region) may still hold to 256 KiB, so 256 KiB is the
 * conservative default.
 */
export const DEFAULT_MAX_ENTRY_BYTES = 256 * 1024;

/** `Time` counts 14 bytes in EventBridge's size rule whether or not it is set. */
const TIME_BYTES = 14;

/** Entry error codes that a retry cannot fix. */
const NON_RETRYABLE_ENTRY_ERRORS: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'InvalidArgument',
  'MalformedDetail',
  'NotAuthorizedForSourceException',
  'NotAuthorizedForDetailTypeException',
  'ValidationException',
]);

export interface EventBridgePublisherOptions {
  readonly eventBusName: string;
  /** `Source` of every entry: the provisioner's source. */
  readonly source: string;
  readonly clock: Clock;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default 262144 (256 KiB) */
  readonly maxEntryBytes?: number;
  /** Calls per batch, the first included. @default 4 */
  readonly maxAttempts?: number;
  /** @default { baseDelayMs: 100, maxDelayMs: 2000 } */
  readonly backoff?: BackoffPolicy;
  /** Told how many entries are about to be re-sent (for a retry metric). */
  readonly onRetry?: (entries: number) => void;
}

const DEFAULTS = {
  maxEntryBytes: DEFAULT_MAX_ENTRY_BYTES,
  maxAttempts: 4,
  backoff: { baseDelayMs: 100, maxDelayMs: 2_000 },
  random: Math.random,
} as const;

/**
 * `Resources` of an entry: the task the event is about, so consumers (and rules) can match on it.
 */
export function resourcesOf(detail: Readonly<Record<string, unknown>>): string[] {
  const resources: string[] = [];
  if (typeof detail.taskArn === 'string') resources.push(detail.taskArn);
  if (Array.isArray(detail.taskArns)) {
    for (const arn of detail.taskArns)
      if (typeof arn === 'string' && !resources.includes(arn)) resources.push(arn);
  }
  return resources;
}

/** An entry's size as EventBridge counts it: Time + Source + DetailType + Detail + Resources, UTF-8. */
export function entrySizeBytes(entry: PutEventsRequestEntry): number {
  let size = TIME_BYTES;
  size += Buffer.byteLength(entry.Source ?? '');
  size += Buffer.byteLength(entry.DetailType ?? '');
  size += Buffer.byteLength(entry.Detail ?? '');
  for (const resource of entry.Resources ?? []) size += Buffer.byteLength(resource);
  return size;
}

/**
 * Publishes to EventBridge. PutEvents answers HTTP 200 with `FailedEntryCount` when some entries
 * fail, so each response is read entry by entry: only the failed entries are sent again, with
 * full-jitter backoff, and entries that still fail (or fail with a code no retry can fix) raise
 * `EventPublishError`. Every entry's size is checked before anything is sent. Batches go out in
 * order, so an event that must come last (Overlay Applied) does.
 */
export class EventBridgePublisher implements EventPublisher {
  readonly #client: EventBridgeClient;
  readonly #options: Required<Omit<EventBridgePublisherOptions, 'onRetry'>> &
    Pick<EventBridgePublisherOptions, 'onRetry'>;

  constructor(client: EventBridgeClient, options: EventBridgePublisherOptions) {
    this.#client = client;
    this.#options = { ...DEFAULTS, ...options };
  }

  async publish(events: readonly DomainEvent[]): Promise<void> {
    const entries = events.map((event) => this.#entryOf(event));
    for (const entry of entries) {
      const bytes = entrySizeBytes(entry);
      if (bytes > this.#options.maxEntryBytes) {
        throw new EventTooLargeError(entry.DetailType ?? '', bytes, this.#options.maxEntryBytes);
      }
    }
    for (let start = 0; start < entries.length; start += PUT_EVENTS_MAX_ENTRIES) {
      await this.#sendBatch(entries.slice(start, start + PUT_EVENTS_MAX_ENTRIES));
    }
  }

  #entryOf(event: DomainEvent): PutEventsRequestEntry {
    const resources = resourcesOf(event.detail);
    return {
      EventBusName: this.#options.eventBusName,
      Source: this.#options.source,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
      ...(resources.length > 0 ? { Resources: resources } : {}),
    };
  }

  async #sendBatch(batch: PutEventsRequestEntry[]): Promise<void> {
    const { maxAttempts, backoff, random, clock, onRetry } = this.#options;
    const refused: FailedEntry[] = [];
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const failed = failedEntriesOf(pending, await this.#put(pending));
      pending = [];
      for (const { entry, errorCode } of failed) {
        if (NON_RETRYABLE_ENTRY_ERRORS.has(errorCode) || attempt >= maxAttempts) {
          refused.push({ detailType: entry.DetailType ?? '', errorCode });
        } else {
          pending.push(entry);
        }
      }
      if (pending.length > 0) {
        onRetry?.(pending.length);
        await clock.sleep(fullJitterDelay(attempt - 1, backoff, random));
      }
    }
    if (refused.length > 0) {
      const codes = [...new Set(refused.map((entry) => entry.errorCode))].join(', ');
      throw new EventPublishError(
        `${refused.length} event(s) were not accepted by EventBridge (${codes})`,
        refused,
      );
    }
  }

  async #put(entries: PutEventsRequestEntry[]): Promise<PutEventsCommandOutput> {
    try {
      return await this.#client.send(new PutEventsCommand({ Entries: entries }));
    } catch (error) {
      // The SDK has already retried throttling and 5xx on the call as a whole.
      throw new EventPublishError(
        `PutEvents failed for ${entries.length} entries`,
        entries.map((entry) => ({ detailType: entry.DetailType ?? '', errorCode: errorNameOf(error) })),
        { cause: error },
      );
    }
  }
}

/**
 * The entries of a PutEvents call that failed, with their error codes. `Entries[i]` answers
 * request entry `i`; a failure count without per-entry detail fails the whole batch rather than guess.
 */
function failedEntriesOf(
  sent: readonly PutEventsRequestEntry[],
  response: PutEventsCommandOutput,
): Array<{ entry: PutEventsRequestEntry; errorCode: string }> {
  if (!response.FailedEntryCount) return [];
  const results: readonly PutEventsResultEntry[] = response.Entries ?? [];
  const failed = sent
    .map((entry, index) => ({ entry, result: results[index] }))
    .filter(({ result }) => !result?.EventId || result.ErrorCode)
    .map(({ entry, result }) => ({ entry, errorCode: result?.ErrorCode ?? 'Unknown' }));
  return failed.length > 0 ? failed : sent.map((entry) => ({ entry, errorCode: 'Unknown' }));
}

const errorNameOf = (error: unknown): string =>
  typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string'
    ? (error as { name: string }).name
    : 'Unknown';
