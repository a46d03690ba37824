/**
 * The options every handler factory takes. A function that needs more (provision's retry policy,
 * deprovision's safety margin) extends this type; none repeats its fields.
 */
import type { Instrumentation } from '#adapters/instrumentation.ts';

/** Options of every `createXxxHandler`. */
export interface HandlerOptions {
  /** Logger, metrics and (in Lambda) tracer; see adapters/lambda-instrumentation.ts. */
  readonly instrumentation: Instrumentation;
}
