/** The JSON object a simulation request carries, parsed with the endpoint's own limits. */
import { MAX_JSON_DEPTH, nestsDeeperThan } from '#local/wire/json-depth.ts';
import { SimulationInputError } from './errors.ts';

/**
 * The body as a JSON object.
 *
 * @throws SimulationInputError when it is not JSON, nests too deeply, or is not an object.
 */
export function jsonObjectBody(body: Buffer, shape: string): Record<string, unknown> {
  const text = body.toString('utf8');
  let parsed: unknown;
  try {
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) throw new SyntaxError('nested too deeply');
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SimulationInputError(`The body must be JSON: ${shape}`, [], { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SimulationInputError(`The body must be a JSON object: ${shape}`);
  }
  return parsed as Record<string, unknown>;
}
