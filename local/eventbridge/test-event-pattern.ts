import { compileEventPattern, isInvalidEventPatternError } from '../event-pattern/index.ts';
import { AwsApiError } from '../wire/errors.ts';
import { optionalString, wireObject } from '../wire/wire-input.ts';

/** The TestEventPattern answer, in the wire shape. */
export interface TestEventPatternResponse {
  readonly Result: boolean;
}

/**
 * Envelope fields TestEventPattern insists on. Its documentation also lists `resources`, but the
 * service accepts an event without it.
 */
export const TEST_EVENT_REQUIRED_FIELDS = [
  'id',
  'account',
  'source',
  'time',
  'region',
  'detail-type',
] as const;

const notNull = (member: string): AwsApiError =>
  new AwsApiError(
    'ValidationException',
    `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
  );

/**
 * TestEventPattern as EventBridge answers it: `{Result}` when the event matches the pattern.
 * - Event that is not a JSON object, or lacks one of {@link TEST_EVENT_REQUIRED_FIELDS}:
 *   `ValidationException` "Parameter Event is not valid.";
 * - a pattern the service would refuse: `InvalidEventPatternException` with the matcher's message
 *   ("Event pattern is not valid. Reason: ...").
 *
 * @throws AwsApiError for either of those, or for a missing member.
 */
export function testEventPattern(input: unknown): TestEventPatternResponse {
  const request = wireObject(input);
  const patternText = optionalString(request, 'EventPattern');
  const eventText = optionalString(request, 'Event');
  if (patternText === undefined) throw notNull('eventPattern');
  if (eventText === undefined) throw notNull('event');

  let event: unknown;
  try {
    event = JSON.parse(eventText);
  } catch {
    throw new AwsApiError('ValidationException', 'Parameter Event is not valid.');
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new AwsApiError('ValidationException', 'Parameter Event is not valid.');
  }
  if (TEST_EVENT_REQUIRED_FIELDS.some((field) => !(field in event))) {
    throw new AwsApiError('ValidationException', 'Parameter Event is not valid.');
  }

  try {
    return { Result: compileEventPattern(patternText).matches(event) };
  } catch (error) {
    if (isInvalidEventPatternError(error)) {
      throw new AwsApiError('InvalidEventPatternException', error.message, { cause: error });
    }
    throw error;
  }
}
