/**
 * Thrown when an event pattern would be rejected by `PutRule` or `TestEventPattern`.
 *
 * The message has the service's exact shape, `Event pattern is not valid. Reason: <reason>`, so the local
 * stack can hand it back verbatim as an `InvalidEventPatternException`. The reasons are event-ruler's
 * `JsonRuleCompiler` messages, because that is what the live service reports.
 *
 * @example
 * ```ts
 * try {
 *   compileEventPattern({ source: 'aws.ec2' });
 * } catch (error) {
 *   if (isInvalidEventPatternError(error)) console.log(error.reason); // "source" must be an object or an array
 * }
 * ```
 */
export class InvalidEventPatternError extends Error {
  /** Marker that lets fuzz tests and HTTP handlers tell an expected rejection from a bug. */
  readonly invalidPattern = true as const;
  /** The part after `Reason: `, without the service prefix. */
  readonly reason: string;

  constructor(reason: string, options?: ErrorOptions) {
    super(`Event pattern is not valid. Reason: ${reason}`, options);
    this.name = 'InvalidEventPatternError';
    this.reason = reason;
  }
}

/**
 * True for an {@link InvalidEventPatternError}, also across module copies (it checks the marker, not the
 * prototype chain).
 */
export function isInvalidEventPatternError(error: unknown): error is InvalidEventPatternError {
  return error instanceof Error && (error as Partial<InvalidEventPatternError>).invalidPattern === true;
}
