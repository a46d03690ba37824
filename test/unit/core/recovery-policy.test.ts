import { describe, expect, it } from 'vitest';
import { RECOVERY_MODES, type RecoveryMode, STOP_CAUSES, type StopCause } from '#contracts/names.ts';
import { RecoveryPolicyError } from '#core/errors.ts';
import {
  decideRecovery,
  MAX_RECOVERY_BACKOFF_MS,
  RECOVERABLE_STOP_CAUSES,
  type RecoveryInput,
  recoveryBackoffMs,
} from '#core/recovery-policy.ts';

const MINUTE = 60_000;
const NOW = Date.UTC(2026, 11, 1, 12);
const SETTINGS = { maxAttempts: 5, windowMs: 30 * MINUTE, backoffBaseMs: 10_000 } as const;
const input = (overrides: Partial<RecoveryInput> = {}): RecoveryInput => ({
  cause: 'crashed',
  mode: 'on-failure',
  recoveries: [],
  now: NOW,
  ...SETTINGS,
  ...overrides,
});

describe('decideRecovery: which stops are recovered', () => {
  const recovered: readonly StopCause[] = ['crashed', 'out-of-memory', 'infrastructure'];
  const table: ReadonlyArray<[StopCause, RecoveryMode, 'recover' | 'none']> = STOP_CAUSES.flatMap((cause) =>
    RECOVERY_MODES.map(
      (mode) =>
        [cause, mode, mode === 'on-failure' && recovered.includes(cause) ? 'recover' : 'none'] as [
          StopCause,
          RecoveryMode,
          'recover' | 'none',
        ],
    ),
  );

  it('covers every stop cause and mode of the contract', () => {
    expect(table).toHaveLength(STOP_CAUSES.length * RECOVERY_MODES.length);
    expect([...RECOVERABLE_STOP_CAUSES].sort()).toEqual([...recovered].sort());
  });

  it.each(table)('a %s stop with recovery %s: %s', (cause, mode, action) => {
    expect(decideRecovery(input({ cause, mode })).action).toBe(action);
  });

  it.each([['requested'], ['failed-to-start'], ['timed-out']] as const)(
    'a %s stop is never recovered, even with the window empty',
    (cause) => {
      expect(decideRecovery(input({ cause }))).toEqual({ action: 'none' });
    },
  );

  it('recovery never leaves even a crash alone', () => {
    expect(decideRecovery(input({ mode: 'never' }))).toEqual({ action: 'none' });
  });
});

describe('decideRecovery: the crash-loop limit', () => {
  it('with maxAttempts 2, recovers the first two crashes and abandons the third with attempts 2', () => {
    const settings = { maxAttempts: 2 };
    const first = decideRecovery(input({ ...settings, now: NOW }));
    expect(first).toEqual({ action: 'recover', attempt: 1, backoffMs: 10_000, recoveries: [NOW] });
    if (first.action !== 'recover') throw new Error('expected a recovery');

    const second = decideRecovery(input({ ...settings, now: NOW + MINUTE, recoveries: first.recoveries }));
    expect(second).toEqual({
      action: 'recover',
      attempt: 2,
      backoffMs: 20_000,
      recoveries: [NOW, NOW + MINUTE],
    });
    if (second.action !== 'recover') throw new Error('expected a recovery');

    const third = decideRecovery(
      input({ ...settings, now: NOW + 2 * MINUTE, recoveries: second.recoveries }),
    );
    expect(third).toEqual({ action: 'abandon', attempts: 2 });
  });

  it('prunes recoveries older than the window, so an old crash loop does not count', () => {
    const old = [NOW - 40 * MINUTE, NOW - 31 * MINUTE, NOW - 30 * MINUTE];
    const recent = NOW - 5 * MINUTE;
    const decision = decideRecovery(input({ maxAttempts: 2, recoveries: [...old, recent] }));
    expect(decision).toEqual({ action: 'recover', attempt: 2, backoffMs: 20_000, recoveries: [recent, NOW] });
  });

  it('counts a recovery just inside the window', () => {
    const justInside = NOW - 30 * MINUTE + 1;
    expect(decideRecovery(input({ maxAttempts: 1, recoveries: [justInside] }))).toEqual({
      action: 'abandon',
      attempts: 1,
    });
  });

  it('reads recoveries in any order and returns them oldest first', () => {
    const a = NOW - 3 * MINUTE;
    const b = NOW - 2 * MINUTE;
    const decision = decideRecovery(input({ recoveries: [b, a] }));
    expect(decision).toEqual({ action: 'recover', attempt: 3, backoffMs: 40_000, recoveries: [a, b, NOW] });
  });

  it('abandons at once with maxAttempts 0', () => {
    expect(decideRecovery(input({ maxAttempts: 0 }))).toEqual({ action: 'abandon', attempts: 0 });
  });

  it('does not consult the limit for a stop it would not recover', () => {
    const full = Array.from({ length: 5 }, (_, i) => NOW - i * MINUTE);
    expect(decideRecovery(input({ cause: 'requested', recoveries: full }))).toEqual({ action: 'none' });
  });
});

describe('recoveryBackoffMs', () => {
  // min(base × 2^(attempt − 1), 120 s), with the AWS default base (10 s) and the local one (2 s).
  it.each([
    [1, 10_000, 10_000],
    [2, 10_000, 20_000],
    [3, 10_000, 40_000],
    [4, 10_000, 80_000],
    [5, 10_000, 120_000],
    [12, 10_000, 120_000],
    [1, 2_000, 2_000],
    [5, 2_000, 32_000],
    [7, 2_000, 120_000],
    [3, 0, 0],
  ])('attempt %i with base %i ms waits %i ms', (attempt, base, expected) => {
    expect(recoveryBackoffMs(attempt, base)).toBe(expected);
    expect(recoveryBackoffMs(attempt, base)).toBeLessThanOrEqual(MAX_RECOVERY_BACKOFF_MS);
  });

  it('is what decideRecovery returns for the n-th recovery', () => {
    const recoveries = [NOW - 3 * MINUTE, NOW - 2 * MINUTE, NOW - MINUTE];
    const decision = decideRecovery(input({ recoveries, backoffBaseMs: 2_000 }));
    expect(decision).toMatchObject({ action: 'recover', attempt: 4, backoffMs: recoveryBackoffMs(4, 2_000) });
  });
});

describe('decideRecovery: settings', () => {
  it.each([
    ['a negative attempt limit', { maxAttempts: -1 }],
    ['a fractional attempt limit', { maxAttempts: 1.5 }],
    ['an empty window', { windowMs: 0 }],
    ['a window that is not a number', { windowMs: Number.NaN }],
    ['a negative backoff', { backoffBaseMs: -1 }],
  ])('refuses %s', (_name, settings) => {
    expect(() => decideRecovery(input(settings))).toThrow(RecoveryPolicyError);
  });
});
