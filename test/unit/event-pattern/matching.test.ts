import { describe, expect, it } from 'vitest';
import { compileEventPattern, matchesEventPattern } from '#local/event-pattern/index.ts';

const baseEvent = {
  version: '0',
  id: 'c0ffee00-0000-4000-8000-000000000001',
  'detail-type': 'Workspace Provision Requested',
  source: 'platform.workspace-server',
  account: '123456789012',
  time: '2024-05-01T12:00:00Z',
  region: 'eu-west-1',
  resources: [] as unknown[],
  detail: { workspaceId: 'ws-1', tier: 'small' } as Record<string, unknown>,
};

function eventWith(fields: Record<string, unknown>) {
  return { ...baseEvent, ...fields };
}

// Each of these was wrong in an earlier emulator; they are repeated here, outside the table, so a
// regression names the behaviour directly.
describe('behaviours earlier emulators got wrong', () => {
  it('does not match anything-but over a missing field', () => {
    const pattern = { detail: { owner: [{ 'anything-but': 'root' }] } };
    expect(matchesEventPattern(pattern, baseEvent)).toBe(false);
    expect(matchesEventPattern(pattern, eventWith({ detail: { owner: 'ana' } }))).toBe(true);
  });

  it('keeps keys beside $or ANDed with it', () => {
    const pattern = {
      source: ['platform.workspace-server'],
      $or: [{ detail: { tier: ['large'] } }, { detail: { workspaceId: ['ws-1'] } }],
    };
    expect(matchesEventPattern(pattern, baseEvent)).toBe(true);
    expect(matchesEventPattern(pattern, eventWith({ source: 'other' }))).toBe(false);
  });

  it('does not count an empty array as existing', () => {
    expect(matchesEventPattern({ resources: [{ exists: true }] }, baseEvent)).toBe(false);
    expect(matchesEventPattern({ resources: [{ exists: false }] }, baseEvent)).toBe(true);
  });

  it('matches the top-level account and resources fields like any other', () => {
    const withResource = eventWith({ resources: ['arn:aws:ecs:eu-west-1:123456789012:task/a'] });
    expect(matchesEventPattern({ account: ['123456789012'] }, baseEvent)).toBe(true);
    expect(matchesEventPattern({ account: ['000000000000'] }, baseEvent)).toBe(false);
    expect(matchesEventPattern({ resources: [{ prefix: 'arn:aws:ecs:' }] }, withResource)).toBe(true);
    expect(
      matchesEventPattern({ resources: ['arn:aws:ecs:eu-west-1:123456789012:task/b'] }, withResource),
    ).toBe(false);
  });
});

describe('$or', () => {
  // event-ruler copies the branches built so far into each $or element and overwrites a path named again,
  // which is the docs' "the last reference will be the one used".
  it('lets the condition written last win when $or repeats a sibling path', () => {
    const siblingFirst = {
      detail: { tier: ['small'] },
      $or: [{ detail: { tier: ['large'] } }, { source: ['x'] }],
    };
    expect(matchesEventPattern(siblingFirst, eventWith({ detail: { tier: 'large' } }))).toBe(true);
    expect(matchesEventPattern(siblingFirst, baseEvent)).toBe(false);
  });

  it('accepts exactly 1000 combinations', () => {
    const groupOfTen = (field: string) => Array.from({ length: 10 }, (_, index) => ({ [field]: [index] }));
    const pattern = {
      $or: groupOfTen('a'),
      detail: { $or: groupOfTen('b'), nested: { $or: groupOfTen('c') } },
    };
    const compiled = compileEventPattern(pattern);
    expect(compiled.matches(eventWith({ a: 9, detail: { b: 0, nested: { c: 5 } } }))).toBe(true);
    expect(compiled.matches(eventWith({ a: 10, detail: { b: 0, nested: { c: 5 } } }))).toBe(false);
  });

  it('counts nested $or groups by the branches they produce', () => {
    const inner = (field: string) => Array.from({ length: 30 }, (_, index) => ({ [field]: [index] }));
    // 30 + 30 + 1 = 61 branches, although the $or arrays' sizes multiply to 3 * 30 * 30 = 2700.
    const pattern = { $or: [{ a: [1], $or: inner('b') }, { a: [2], $or: inner('c') }, { d: [1] }] };
    const compiled = compileEventPattern(pattern);
    expect(compiled.matches(eventWith({ a: 2, c: 29 }))).toBe(true);
    expect(compiled.matches(eventWith({ a: 1, c: 29 }))).toBe(false);
  });
});

describe('numbers', () => {
  it('treats an unbounded side of a numeric range as infinite', () => {
    expect(
      matchesEventPattern({ detail: { n: [{ numeric: ['>', 0] }] } }, eventWith({ detail: { n: 1e300 } })),
    ).toBe(true);
    expect(
      matchesEventPattern({ detail: { n: [{ numeric: ['<=', 0] }] } }, eventWith({ detail: { n: -1e300 } })),
    ).toBe(true);
  });

  it('treats 0 and -0 as the same number', () => {
    expect(matchesEventPattern({ detail: { n: [0] } }, eventWith({ detail: { n: -0 } }))).toBe(true);
    expect(
      matchesEventPattern({ detail: { n: [{ 'anything-but': 0 }] } }, eventWith({ detail: { n: -0 } })),
    ).toBe(false);
  });

  it('matches a number pattern written with an exponent in JSON text', () => {
    expect(matchesEventPattern('{"detail":{"n":[3.0e2]}}', eventWith({ detail: { n: 300 } }))).toBe(true);
    expect(
      matchesEventPattern(
        '{"detail":{"n":[{"numeric":["=",3.018e2]}]}}',
        eventWith({ detail: { n: 301.8 } }),
      ),
    ).toBe(true);
  });
});

describe('strings', () => {
  it('folds case per code point for equals-ignore-case', () => {
    const pattern = { detail: { name: [{ 'equals-ignore-case': 'ÄRGER' }] } };
    expect(matchesEventPattern(pattern, eventWith({ detail: { name: 'ärger' } }))).toBe(true);
    expect(matchesEventPattern(pattern, eventWith({ detail: { name: 'arger' } }))).toBe(false);
  });

  it('matches a wildcard with several stars and repeated text', () => {
    const pattern = { detail: { path: [{ wildcard: '*/a*a/*' }] } };
    expect(matchesEventPattern(pattern, eventWith({ detail: { path: 'x/aa/y' } }))).toBe(true);
    expect(matchesEventPattern(pattern, eventWith({ detail: { path: 'x/a/y' } }))).toBe(false);
    expect(matchesEventPattern(pattern, eventWith({ detail: { path: '/abca/' } }))).toBe(true);
  });

  it('does not let the prefix and suffix of a wildcard overlap', () => {
    const pattern = { detail: { word: [{ wildcard: 'ab*ba' }] } };
    expect(matchesEventPattern(pattern, eventWith({ detail: { word: 'aba' } }))).toBe(false);
    expect(matchesEventPattern(pattern, eventWith({ detail: { word: 'abba' } }))).toBe(true);
  });

  it('matches other spellings of an IP address given as a plain value', () => {
    const pattern = { detail: { ip: ['2001:db8::1'] } };
    expect(matchesEventPattern(pattern, eventWith({ detail: { ip: '2001:0DB8:0:0:0:0:0:1' } }))).toBe(true);
    expect(matchesEventPattern(pattern, eventWith({ detail: { ip: '2001:db8::2' } }))).toBe(false);
  });
});

describe('cidr', () => {
  it('ignores host bits in the block address', () => {
    const pattern = { detail: { ip: [{ cidr: '10.0.0.5/24' }] } };
    expect(matchesEventPattern(pattern, eventWith({ detail: { ip: '10.0.0.1' } }))).toBe(true);
  });

  it('accepts a /0 block that holds every address of its family', () => {
    expect(
      matchesEventPattern(
        { detail: { ip: [{ cidr: '0.0.0.0/0' }] } },
        eventWith({ detail: { ip: '8.8.8.8' } }),
      ),
    ).toBe(true);
  });

  it('reads IPv6 with a dotted IPv4 tail', () => {
    const pattern = { detail: { ip: [{ cidr: '64:ff9b::/96' }] } };
    expect(matchesEventPattern(pattern, eventWith({ detail: { ip: '64:ff9b::192.0.2.33' } }))).toBe(true);
  });

  // Java's InetAddress, which event-ruler uses, returns IPv4-mapped IPv6 addresses as IPv4.
  it('treats an IPv4-mapped IPv6 address as IPv4', () => {
    const pattern = { detail: { ip: [{ cidr: '192.0.2.0/24' }] } };
    expect(matchesEventPattern(pattern, eventWith({ detail: { ip: '::ffff:c000:221' } }))).toBe(true);
    expect(matchesEventPattern(pattern, eventWith({ detail: { ip: '::ffff:192.0.2.33' } }))).toBe(true);
  });

  it('does not read zone ids or leading zeros as addresses', () => {
    const v6 = { detail: { ip: [{ cidr: 'fe80::/10' }] } };
    const v4 = { detail: { ip: [{ cidr: '10.0.0.0/8' }] } };
    expect(matchesEventPattern(v6, eventWith({ detail: { ip: 'fe80::1%eth0' } }))).toBe(false);
    expect(matchesEventPattern(v4, eventWith({ detail: { ip: '010.0.0.1' } }))).toBe(false);
    expect(matchesEventPattern(v6, eventWith({ detail: { ip: '1:2:3:4:5:6:7:8:9' } }))).toBe(false);
    expect(matchesEventPattern(v6, eventWith({ detail: { ip: 'fe80::1::2' } }))).toBe(false);
  });
});

describe('event shapes', () => {
  it('reads keys named like Object.prototype members only as own properties', () => {
    expect(matchesEventPattern({ detail: { constructor: [{ exists: true }] } }, baseEvent)).toBe(false);
    expect(matchesEventPattern({ detail: { toString: [{ exists: false }] } }, baseEvent)).toBe(true);
    expect(matchesEventPattern('{"__proto__": {"__proto__": [null]}}', baseEvent)).toBe(false);
    const ownConstructor = eventWith({ detail: { constructor: 'x' } });
    expect(matchesEventPattern({ detail: { constructor: ['x'] } }, ownConstructor)).toBe(true);
  });

  it('does not loop on a cyclic array', () => {
    const cyclic: unknown[] = ['a'];
    cyclic.push(cyclic);
    const event = eventWith({ detail: { items: cyclic } });
    expect(matchesEventPattern({ detail: { items: ['b'] } }, event)).toBe(false);
    expect(matchesEventPattern({ detail: { items: ['a'] } }, event)).toBe(true);
  });

  it('matches nothing but exists false against non-object events', () => {
    for (const event of [null, undefined, 'source', 42, true]) {
      expect(matchesEventPattern({ source: [{ exists: true }] }, event)).toBe(false);
      expect(matchesEventPattern({ source: [{ exists: false }] }, event)).toBe(true);
    }
  });

  it('ignores values that JSON cannot hold', () => {
    const event = eventWith({ detail: { fn: () => 1, missing: undefined } });
    expect(matchesEventPattern({ detail: { fn: [{ exists: true }] } }, event)).toBe(false);
    expect(matchesEventPattern({ detail: { missing: [{ exists: false }] } }, event)).toBe(true);
  });
});

describe('the compiled pattern', () => {
  it('exposes the parsed pattern, frozen', () => {
    const compiled = compileEventPattern(
      '{"source": ["aws.ecs"], "detail": {"group": [{"prefix": "family:"}]}}',
    );
    expect(compiled.pattern).toEqual({ source: ['aws.ecs'], detail: { group: [{ prefix: 'family:' }] } });
    expect(Object.isFrozen(compiled.pattern)).toBe(true);
    expect(Object.isFrozen((compiled.pattern as { detail: object }).detail)).toBe(true);
  });

  it('is not affected by later changes to the object it was built from', () => {
    const pattern = { source: ['aws.ecs'] };
    const compiled = compileEventPattern(pattern);
    pattern.source[0] = 'aws.ec2';
    expect(compiled.matches(eventWith({ source: 'aws.ecs' }))).toBe(true);
  });

  it('keeps working when its matches method is detached', () => {
    const { matches } = compileEventPattern({ source: ['platform.workspace-server'] });
    expect([baseEvent].filter(matches)).toHaveLength(1);
  });
});
