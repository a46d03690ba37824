import { Logger } from '@aws-lambda-powertools/logger';
import { search } from '@aws-lambda-powertools/logger/correlationId';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Instrumentation } from '#adapters/instrumentation.ts';
import { METRICS_NAMESPACE, SERVICE_NAME_PREFIX } from '#wiring/names.ts';

/**
 * Metrics that are counted but never printed. In Lambda, metrics leave as EMF lines on stdout for
 * CloudWatch to read; locally nothing reads them, and a JSON blob per invocation would bury the
 * stack's own log lines (and cost time on the benchmark's hot path).
 */
class UnpublishedMetrics extends Metrics {
  override publishStoredMetrics(): this {
    this.clearMetrics();
    this.clearDimensions();
    return this;
  }

  override singleMetric(): Metrics {
    return new UnpublishedMetrics({
      namespace: METRICS_NAMESPACE,
      serviceName: SERVICE_NAME_PREFIX,
    });
  }
}

/**
 * The instrumentation the local stack builds each handler with: the same Powertools logger (JSON,
 * at `logLevel`), metrics that are not printed, and no tracer: there is no X-Ray here, and loading its SDK would put async hooks on every promise.
 */
export function localInstrumentation(functionName: string, logLevel: LogLevel): Instrumentation {
  const serviceName = `${SERVICE_NAME_PREFIX}-${functionName}`;
  const logger = new Logger({ serviceName, correlationIdSearchFn: search, logLevel });
  const metrics = new UnpublishedMetrics({ serviceName, namespace: METRICS_NAMESPACE, logger });
  return { logger, metrics };
}
