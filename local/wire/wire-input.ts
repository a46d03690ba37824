import { AwsApiError } from './errors.ts';

/**
 * Readers for the members of an AWS JSON request body. The body comes off the network, so each
 * member is checked for its wire type; a mismatch is what AWS answers with a `SerializationException`.
 * Missing members read as `undefined` (JSON `null` too, as the AWS deserializers treat it).
 */

/** A request body as parsed JSON: an object, or an empty one for `{}`/no body. */
export type WireObject = Readonly<Record<string, unknown>>;

const typeError = (member: string, expected: string): AwsApiError =>
  new AwsApiError('SerializationException', `Expected ${expected} for member '${member}'`);

/** The request body as an object; anything else is a `SerializationException`. */
export function wireObject(input: unknown, member = 'request'): WireObject {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw typeError(member, 'a structure');
  return input as WireObject;
}

export function optionalString(input: WireObject, member: string): string | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw typeError(member, 'a string');
  return value;
}

export function optionalNumber(input: WireObject, member: string): number | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw typeError(member, 'a number');
  return value;
}

export function optionalBoolean(input: WireObject, member: string): boolean | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw typeError(member, 'a boolean');
  return value;
}

export function optionalList(input: WireObject, member: string): readonly unknown[] | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw typeError(member, 'a list');
  return value;
}

export function optionalStringList(input: WireObject, member: string): readonly string[] | undefined {
  const list = optionalList(input, member);
  if (list === undefined) return undefined;
  for (const item of list) if (typeof item !== 'string') throw typeError(member, 'a list of strings');
  return list as readonly string[];
}

export function optionalStructure(input: WireObject, member: string): WireObject | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  return wireObject(value, member);
}
