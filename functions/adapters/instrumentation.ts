import type { Logger } from '@aws-lambda-powertools/logger';
import { search } from '@aws-lambda-powertools/logger/correlationId';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj, type MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { FailureCode } from '#contracts/names.ts';
import type { MetricName } from '#wiring/names.ts';

/**
 * The Powertools logger, metrics and tracer of one function, and the middy chain every handler
 * starts from. The factories take an optional `Instrumentation` so the local stack and the tests can
 * pass quieter ones.
 */
export interface Instrumentation {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /**
   * Absent where there is no X-Ray (the local stack): the Tracer module loads the X-Ray SDK, whose
   * async hooks tax every promise of the process, so it is only imported by the Lambda entries.
   */
  readonly tracer?: Tracer;
}

/** Adds a count to the invocation's metrics (flushed by `logMetrics`). */
export function countMetric(metrics: Metrics, name: MetricName, value = 1): void {
  metrics.addMetric(name, MetricUnit.Count, value);
}

/**
 * Counts one metric twice: in the invocation's blob (the total), and under a `code` dimension of
 * its own (a single-metric blob), so failures can be graphed by code without the dimension
 * spilling onto the invocation's other metrics.
 */
export function countByCode(metrics: Metrics, name: MetricName, code: FailureCode): void {
  metrics.addMetric(name, MetricUnit.Count, 1);
  metrics.singleMetric().addDimension('code', code).addMetric(name, MetricUnit.Count, 1);
}

export interface InstrumentedHandlerOptions {
  /** JMESPath of the correlation id in the raw event, e.g. `detail.requestId`. */
  readonly correlationIdPath?: string;
}

/**
 * A middy handler with the logger, tracer and metrics middlewares, in that order, so the
 * correlation id is set from the raw event before the parser replaces it. Events are never
 * logged (`logEvent: false` overrides `POWERTOOLS_LOGGER_LOG_EVENT`): a request's `env` values must
 * not reach the logs. Keys appended during an invocation are reset after it.
 */
export function instrumentedHandler(
  instrumentation: Instrumentation,
  options: InstrumentedHandlerOptions = {},
): MiddyfiedHandler<unknown, unknown, Error, Context> {
  const { logger, metrics, tracer } = instrumentation;
  const handler = middy<unknown, unknown, Error, Context>().use(
    injectLambdaContext(logger, { logEvent: false, resetKeys: true }),
  );
  if (tracer) handler.use(captureLambdaHandler(tracer, { captureResponse: false }));
  if (options.correlationIdPath) handler.use(correlationIdFrom(logger, options.correlationIdPath));
  return handler.use(logMetrics(metrics, { captureColdStartMetric: true }));
}

/**
 * Sets the logger's correlation id from the raw event. Done here rather than through the logger's
 * own `correlationIdPath` so that it works with any Logger instance the caller passes (one built
 * without a search function would silently drop it). Only a short string is taken: a malformed
 * request must not put an arbitrary value on every log line.
 */
function correlationIdFrom(logger: Logger, path: string): MiddlewareObj<unknown, unknown, Error, Context> {
  const correlationIdBefore = (request: { event: unknown }): void => {
    const value = search(path, request.event);
    if (typeof value === 'string' && value.length > 0 && value.length <= 128) logger.setCorrelationId(value);
  };
  return { before: correlationIdBefore };
}

/** What a flow logs and counts with: the handler's logger and metrics, never its tracer. */
export type FlowInstrumentation = Pick<Instrumentation, 'logger' | 'metrics'>;
