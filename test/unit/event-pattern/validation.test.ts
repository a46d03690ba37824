import { describe, expect, it } from 'vitest';
import {
  compileEventPattern,
  DEFAULT_MAX_PATTERN_LENGTH,
  InvalidEventPatternError,
  isInvalidEventPatternError,
  matchesEventPattern,
} from '#local/event-pattern/index.ts';

function reasonFor(pattern: unknown, options?: { maxPatternLength?: number }): string {
  try {
    compileEventPattern(pattern, options);
  } catch (error) {
    if (isInvalidEventPatternError(error)) return error.reason;
    throw error;
  }
  throw new Error('expected the pattern to be rejected');
}

describe('InvalidEventPatternError', () => {
  it('carries the service message, a name, the reason and the marker', () => {
    const error = new InvalidEventPatternError('Empty arrays are not allowed');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InvalidEventPatternError');
    expect(error.message).toBe('Event pattern is not valid. Reason: Empty arrays are not allowed');
    expect(error.reason).toBe('Empty arrays are not allowed');
    expect(error.invalidPattern).toBe(true);
  });

  it('keeps the JSON parser error as the cause', () => {
    let caught: unknown;
    try {
      compileEventPattern('{"source": [');
    } catch (error) {
      caught = error;
    }
    expect(isInvalidEventPatternError(caught)).toBe(true);
    expect((caught as Error).cause).toBeInstanceOf(SyntaxError);
  });

  it('is recognised by its marker, not by its prototype', () => {
    const lookalike = Object.assign(new Error('x'), { invalidPattern: true });
    expect(isInvalidEventPatternError(lookalike)).toBe(true);
    expect(isInvalidEventPatternError(new Error('x'))).toBe(false);
    expect(isInvalidEventPatternError({ invalidPattern: true })).toBe(false);
  });
});

describe('the first problem wins, as in event-ruler', () => {
  it('reports a bad operand before a second key', () => {
    expect(reasonFor({ a: [{ prefix: 5, suffix: 'x' }] })).toBe('prefix match pattern must be a string');
  });

  it('reports an unknown first key before a second key', () => {
    expect(reasonFor({ a: [{ foo: 1, prefix: 'x' }] })).toBe('Unrecognized match type foo');
  });

  it('reports a bad element before the array is judged', () => {
    expect(reasonFor({ a: [[]] })).toBe('Match value must be String, number, true, false, or null');
  });

  it('reports fields in the order they are written', () => {
    expect(reasonFor('{"b": [{"exists": 1}], "a": "x"}')).toBe(
      'exists match pattern must be either true or false.',
    );
    expect(reasonFor('{"a": "x", "b": [{"exists": 1}]}')).toBe('"a" must be an object or an array');
  });

  it('reports a bad $or element before counting the elements', () => {
    expect(reasonFor({ $or: [5] })).toBe('Only JSON object is allowed in array of $or relationship.');
  });
});

describe('pattern text', () => {
  it('accepts a pattern of exactly the size limit', () => {
    const padding = DEFAULT_MAX_PATTERN_LENGTH - JSON.stringify({ source: [''] }).length;
    const pattern = JSON.stringify({ source: ['x'.repeat(padding)] });
    expect(pattern).toHaveLength(DEFAULT_MAX_PATTERN_LENGTH);
    expect(() => compileEventPattern(pattern)).not.toThrow();
    expect(reasonFor(`${pattern} `)).toMatch(/2049 characters long, the limit is 2048/);
  });

  it('counts whitespace in pattern text, as the service does', () => {
    const spaced = `{"source": ["aws.ec2"]${' '.repeat(DEFAULT_MAX_PATTERN_LENGTH)}}`;
    expect(reasonFor(spaced)).toMatch(/the limit is 2048/);
  });

  it('takes a larger limit as an option', () => {
    const pattern = { source: ['x'.repeat(5000)] };
    expect(() => compileEventPattern(pattern, { maxPatternLength: 10_000 })).not.toThrow();
    expect(reasonFor(pattern, { maxPatternLength: 4096 })).toMatch(/the limit is 4096/);
  });

  it('keeps the last of repeated keys', () => {
    const pattern = '{"source": ["aws.ec2"], "source": ["aws.ecs"]}';
    expect(matchesEventPattern(pattern, { source: 'aws.ecs' })).toBe(true);
    expect(matchesEventPattern(pattern, { source: 'aws.ec2' })).toBe(false);
  });

  it('rejects values that have no JSON form', () => {
    expect(reasonFor(undefined)).toBe('Filter is not an object');
    expect(reasonFor(() => 1)).toBe('Filter is not an object');
    expect(reasonFor({ source: [1n] })).toMatch(/^Pattern is not JSON/);
  });

  it('rejects empty and blank pattern text', () => {
    expect(reasonFor('')).toMatch(/JSON/);
    expect(reasonFor('   ')).toMatch(/JSON/);
  });
});

describe('reserved names', () => {
  it('allows operator names as field names outside $or', () => {
    expect(() => compileEventPattern({ detail: { prefix: ['x'], numeric: [1] } })).not.toThrow();
  });

  it.each(['exactly', 'html', '=', '<=', 'regex', 'ip-address-in-range'])(
    'rejects %s as a field inside $or',
    (name) => {
      expect(reasonFor({ $or: [{ [name]: ['x'] }, { b: ['y'] }] })).toBe(
        `${name} is Ruler reserved fieldName which cannot be used inside $or.`,
      );
    },
  );
});

describe('anything-but edge forms', () => {
  it('accepts an empty nested list, which excludes nothing', () => {
    const compiled = compileEventPattern({ a: [{ 'anything-but': { prefix: [] } }] });
    expect(compiled.matches({ a: 'anything' })).toBe(true);
    expect(compiled.matches({})).toBe(false);
  });

  it('reports a bad wildcard in an anything-but list', () => {
    expect(reasonFor({ a: [{ 'anything-but': { wildcard: ['ok*', 'bad\\x'] } }] })).toBe(
      'Invalid escape character at pos 4',
    );
  });
});

describe('wildcard positions', () => {
  it('counts positions in UTF-8 bytes after the opening quote', () => {
    expect(reasonFor({ a: [{ wildcard: 'é**' }] })).toBe('Consecutive wildcard characters at pos 3');
    expect(reasonFor({ a: [{ wildcard: '**' }] })).toBe('Consecutive wildcard characters at pos 1');
  });

  it('accepts a star right after an escaped star', () => {
    expect(matchesEventPattern({ a: [{ wildcard: '\\**' }] }, { a: '*tail' })).toBe(true);
  });
});

describe('cidr edge forms', () => {
  it.each([
    ['10.0.0.0/', "Malformed CIDR, one '/' required"],
    ['/24', 'Nonstandard IP address: '],
    ['10.0.0.0/+8', undefined],
    ['10.0.0.0/99999999999', 'Malformed CIDR, mask bits must be an integer'],
    ['2001:db8::/129', 'IPv6 mask bits must be < 128'],
    ['::ffff:10.0.0.0/104', 'IPv4 mask bits must be < 32'],
    [':::/8', 'Invalid IP address: :::'],
  ])('handles %s', (cidr, reason) => {
    const pattern = { ip: [{ cidr }] };
    if (reason === undefined) expect(() => compileEventPattern(pattern)).not.toThrow();
    else expect(reasonFor(pattern)).toBe(reason);
  });
});
