import { describe, expect, it } from 'vitest';
import {
  compileEventPattern,
  InvalidEventPatternError,
  matchesEventPattern,
} from '#local/event-pattern/index.ts';
import { invalidPatternCases, matchCases } from '../../fixtures/pattern-cases.ts';

function rejectionOf(pattern: unknown): InvalidEventPatternError {
  try {
    compileEventPattern(pattern);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error;
    throw error;
  }
  throw new Error('expected the pattern to be rejected');
}

describe('the pattern case table', () => {
  it('has unique case names', () => {
    const names = [...matchCases, ...invalidPatternCases].map((testCase) => testCase.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('cites a source for every case', () => {
    for (const testCase of [...matchCases, ...invalidPatternCases]) {
      expect(testCase.source, testCase.name).toMatch(
        /^(AWS-(EP|CF|OPS|ARR|NULL|Q|BLOG)|RULER|QUAMINA|LS|SNS)\b/,
      );
    }
  });

  it('uses full EventBridge envelopes as events', () => {
    const envelopeKeys = [
      'id',
      'source',
      'detail-type',
      'account',
      'time',
      'region',
      'resources',
      'detail',
      'version',
    ];
    for (const { name, event } of matchCases) {
      expect(Object.keys(event as object), name).toEqual(expect.arrayContaining(envelopeKeys));
      expect(Array.isArray((event as { resources: unknown }).resources), name).toBe(true);
    }
  });
});

describe('matching', () => {
  it.each(matchCases)('$name [$source]', ({ pattern, event, matches }) => {
    expect(compileEventPattern(pattern).matches(event)).toBe(matches);
  });

  it.each(matchCases)('gives the same answer from JSON text: $name', ({ pattern, event, matches }) => {
    expect(matchesEventPattern(JSON.stringify(pattern, null, 2), event)).toBe(matches);
  });
});

describe('validation', () => {
  it.each(invalidPatternCases)('$name [$source]', ({ pattern, reason }) => {
    const error = rejectionOf(pattern);
    expect(error.invalidPattern).toBe(true);
    if (typeof reason === 'string') {
      expect(error.reason).toBe(reason);
      expect(error.message).toBe(`Event pattern is not valid. Reason: ${reason}`);
    } else {
      expect(error.reason).toMatch(reason);
    }
  });
});
