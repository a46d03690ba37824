import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { METRICS_NAMESPACE } from '#wiring/names.ts';
import type { Instrumentation } from './instrumentation.ts';

/**
 * Powertools logger, metrics and tracer for a Lambda entry. Only the entries import this module,
 * so the Tracer (and the X-Ray SDK under it) is loaded where X-Ray exists and nowhere else.
 */

export interface InstrumentationSettings {
  readonly serviceName: string;
  /** @default 'WorkspaceProvisioner' */
  readonly metricsNamespace?: string;
  /**
   * Whether to send X-Ray traces. Tracer also stays off outside Lambda (no `AWS_EXECUTION_ENV`),
   * so constructing it never needs X-Ray to be there.
   * @default true
   */
  readonly tracingEnabled?: boolean;
  /** @default Powertools' own default (`POWERTOOLS_LOG_LEVEL`, else INFO) */
  readonly logLevel?: LogLevel;
}

/** Builds a logger, metrics (warnings through the logger) and tracer for one function. */
export function createInstrumentation(
  settings: InstrumentationSettings,
): Instrumentation & { readonly tracer: Tracer } {
  const logger = new Logger({
    serviceName: settings.serviceName,
    ...(settings.logLevel ? { logLevel: settings.logLevel } : {}),
  });
  const metrics = new Metrics({
    serviceName: settings.serviceName,
    namespace: settings.metricsNamespace ?? METRICS_NAMESPACE,
    logger,
  });
  const tracer = new Tracer({ serviceName: settings.serviceName, enabled: settings.tracingEnabled ?? true });
  return { logger, metrics, tracer };
}
