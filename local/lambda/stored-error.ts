/**
 * How the invoker stores an invocation's last error in `invocations.last_error`: as JSON
 * `{errorType, errorMessage, trace}`, so the type, message and stack survive a restart. Rows written
 * before this were `"Type: message"` text; {@link readStoredError} still reads them (with no trace),
 * so older state directories open unchanged.
 */
import type { InvocationError } from './invocation.ts';

/** The text stored for an error. */
export const storedErrorText = (error: InvocationError): string =>
  JSON.stringify({ errorType: error.errorType, errorMessage: error.errorMessage, trace: error.trace });

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((line) => typeof line === 'string');

/** Reads the JSON form written by {@link storedErrorText}; undefined when the text is not that. */
function readJsonError(text: string): InvocationError | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    const { errorType, errorMessage, trace } = value;
    if (typeof errorType !== 'string' || typeof errorMessage !== 'string' || !isStringArray(trace))
      return undefined;
    return { errorType, errorMessage, trace };
  } catch {
    return undefined;
  }
}

/** Reads the older `"Type: message"` text; a text without `": "` is an `Error` with that message. */
function readLegacyText(text: string): InvocationError {
  const colon = text.indexOf(': ');
  return colon > 0
    ? { errorType: text.slice(0, colon), errorMessage: text.slice(colon + 2), trace: [] }
    : { errorType: 'Error', errorMessage: text, trace: [] };
}

/** The error a `last_error` column holds, in either the JSON or the older text form. */
export const readStoredError = (text: string): InvocationError => readJsonError(text) ?? readLegacyText(text);
