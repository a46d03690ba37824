import { describe, expect, it } from 'vitest';
import { provisionConcurrencyFor } from '#local/stack.ts';
import { DEFAULT_PROVISION_RESERVED_CONCURRENCY } from '#wiring/names.ts';

describe('provisionConcurrencyFor', () => {
  it('keeps the deployed default when no quota is emulated', () => {
    expect(provisionConcurrencyFor(undefined)).toBe(DEFAULT_PROVISION_RESERVED_CONCURRENCY);
  });

  it.each([
    [20, 10],
    [100, 10],
    [200, 20],
    [450, 45],
  ])('sizes the reservation to an emulated rate of %i per second: %i', (ratePerSecond, expected) => {
    expect(provisionConcurrencyFor({ burst: 1000, ratePerSecond })).toBe(expected);
  });
});
