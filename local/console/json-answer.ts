/** The JSON answers the console's endpoints write, and how they read their query parameters. */
import type { WireAnswer } from '#local/wire/index.ts';

/** A JSON answer that no cache keeps: what it reads changes all the time. */
export const jsonAnswer = (status: number, body: unknown): WireAnswer => ({
  status,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

/** A 400 naming the parameter that is wrong. */
export const badRequest = (message: string): WireAnswer => jsonAnswer(400, { message });

/**
 * A non-negative integer query parameter, `fallback` when absent, undefined when it is something
 * else (the caller answers 400).
 */
export function integerParameter(url: URL, name: string, fallback: number): number | undefined {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  const value = Number(text);
  return /^\d+$/.test(text) && Number.isSafeInteger(value) ? value : undefined;
}
