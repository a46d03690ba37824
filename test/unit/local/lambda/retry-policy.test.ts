import { describe, expect, it } from 'vitest';
import {
  isPastMaxEventAge,
  LAMBDA_RETRY_GAPS_MS,
  nextRetryGapMs,
  retryGapMs,
} from '#local/lambda/retry-policy.ts';
import { specWith } from './invocation-fixture.ts';

// AWS Lambda Developer Guide, asynchronous invocation: on a function error Lambda retries up to two
// more times, the first after one minute and the second after two; MaximumRetryAttempts is 0 to 2.
describe("Lambda's async retry policy", () => {
  it('waits one minute, then two, scaled', () => {
    expect(LAMBDA_RETRY_GAPS_MS).toEqual([60_000, 120_000]);
    expect(retryGapMs(1, 1)).toBe(60_000);
    expect(retryGapMs(2, 1)).toBe(120_000);
    expect(retryGapMs(1, 1 / 60)).toBe(1_000);
    expect(retryGapMs(2, 1 / 60)).toBe(2_000);
    expect(retryGapMs(1, 0)).toBe(1);
  });

  it.each([
    // [asyncRetryAttempts, attempts made, gap or give up (undefined)]
    [0, 1, undefined],
    [1, 1, 60_000],
    [1, 2, undefined],
    [2, 1, 60_000],
    [2, 2, 120_000],
    [2, 3, undefined],
  ])('with %i retries, after attempt %i: %s', (asyncRetryAttempts, attempts, gap) => {
    expect(nextRetryGapMs(attempts, specWith({ asyncRetryAttempts }), 1)).toBe(gap);
  });

  it('gives an event up only once it is older than the maximum event age', () => {
    const spec = specWith({ asyncMaxEventAgeSeconds: 60 });
    expect(isPastMaxEventAge(1_000, spec, 61_000)).toBe(false);
    expect(isPastMaxEventAge(1_000, spec, 61_001)).toBe(true);
  });
});
