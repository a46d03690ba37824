/**
 * The one place a handler's EventBridge publisher is built: every function publishes to the same
 * bus with the same source, and counts the PutEvents entries it had to retry under one metric.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { HandlerPorts, PublishingSettings } from '#functions/handler-ports.ts';
import { METRIC } from '#wiring/names.ts';
import { EventBridgePublisher } from './event-publisher.ts';
import { countMetric } from './instrumentation.ts';

/** What the publisher is built from: the EventBridge client, the settings, time and jitter. */
export type PublisherPorts = Pick<HandlerPorts, 'eventBridge' | 'clock' | 'random'> & {
  readonly settings: PublishingSettings;
};

/** Options of {@link meteredPublisher}. */
export interface MeteredPublisherOptions {
  /** PutEvents entry size limit. @default 262144 */
  readonly maxEntryBytes?: number | undefined;
}

/**
 * An `EventBridgePublisher` on the settings' bus and source that adds each retried entry to the
 * `PutEventsEntriesRetried` metric.
 */
export function meteredPublisher(
  ports: PublisherPorts,
  metrics: Metrics,
  options: MeteredPublisherOptions = {},
): EventBridgePublisher {
  return new EventBridgePublisher(ports.eventBridge, {
    eventBusName: ports.settings.eventBusName,
    source: ports.settings.provisionerSource,
    clock: ports.clock,
    random: ports.random ?? Math.random,
    onRetry: (entries) => countMetric(metrics, METRIC.putEventsEntriesRetried, entries),
    ...(options.maxEntryBytes !== undefined ? { maxEntryBytes: options.maxEntryBytes } : {}),
  });
}
