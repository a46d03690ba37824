import { Logger } from '@aws-lambda-powertools/logger';
import { search } from '@aws-lambda-powertools/logger/correlationId';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE_NAME } from '#adapters/environment.ts';
import type { Instrumentation } from '#adapters/instrumentation.ts';

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
      namespace: DEFAULT_METRICS_NAMESPACE,
      serviceName: DEFAULT_SERVICE_NAME,
    });
  }
}

/**
 * The instrumentation the local stack builds each handler with: the same Powertools logger (JSON,
 * at `logLevel`), metrics that are not printed, and no tracer: there is no X-Ray here, and loading its SDK would put async hooks on every promise.
 */
export function localInstrumentation(functionName: string, logLevel: LogLevel): Instrumentation {
  const serviceName = `${DEFAULT_SERVICE_NAME}-${functionName}`;
  const logger = new Logger({ serviceName, correlationIdSearchFn: search, logLevel });
  const metrics = new UnpublishedMetrics({ serviceName, namespace: DEFAULT_METRICS_NAMESPACE, logger });
  return { logger, metrics };
}
