import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileEventPattern, EventRuleSet, isInvalidEventPatternError } from '#local/event-pattern/index.ts';

function envelope(source: unknown, detailType: unknown, detail: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: 'a1b2c3d4-0000-4000-8000-000000000000',
    'detail-type': detailType,
    source,
    account: '123456789012',
    time: '2024-05-01T12:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail,
  };
}

const provisionRequested = envelope('platform.workspace-server', 'Workspace Provision Requested', {
  workspaceId: 'ws-1',
});

describe('EventRuleSet', () => {
  it('returns the values of matching rules in insertion order, whatever index holds them', () => {
    const rules = new EventRuleSet<string>();
    rules.add('by-prefix', { source: [{ prefix: 'platform.' }] }, 'unindexed');
    rules.add(
      'by-pair',
      { source: ['platform.workspace-server'], 'detail-type': ['Workspace Provision Requested'] },
      'pair',
    );
    rules.add('other', { source: ['aws.ecs'] }, 'other source');
    rules.add(
      'by-source',
      { source: ['platform.workspace-server'], detail: { workspaceId: ['ws-1'] } },
      'source',
    );
    rules.add('by-type', { 'detail-type': ['Workspace Provision Requested'] }, 'detail-type');
    rules.add(
      'by-either',
      { $or: [{ source: ['aws.ecs'] }, { source: ['platform.workspace-server'] }] },
      'or',
    );
    expect(rules.match(provisionRequested)).toEqual(['unindexed', 'pair', 'source', 'detail-type', 'or']);
  });

  it('returns nothing for an empty set', () => {
    expect(new EventRuleSet<number>().match(provisionRequested)).toEqual([]);
  });

  it('reports its size', () => {
    const rules = new EventRuleSet<number>();
    rules.add('a', { source: ['a'] }, 1);
    rules.add('b', { source: ['b'] }, 2);
    rules.add('a', { source: ['c'] }, 3);
    expect(rules.size).toBe(2);
  });

  it('removes a rule', () => {
    const rules = new EventRuleSet<string>();
    rules.add('keep', { source: ['platform.workspace-server'] }, 'keep');
    rules.add('drop', { source: ['platform.workspace-server'] }, 'drop');
    expect(rules.remove('drop')).toBe(true);
    expect(rules.remove('drop')).toBe(false);
    expect(rules.match(provisionRequested)).toEqual(['keep']);
    expect(rules.size).toBe(1);
  });

  it('replaces a rule with the same id in place', () => {
    const rules = new EventRuleSet<string>();
    rules.add('first', { source: ['aws.ecs'] }, 'first');
    rules.add('second', { source: ['platform.workspace-server'] }, 'second');
    rules.add('first', { 'detail-type': ['Workspace Provision Requested'] }, 'first, replaced');
    expect(rules.match(provisionRequested)).toEqual(['first, replaced', 'second']);
    expect(rules.match(envelope('aws.ecs', 'ECS Task State Change'))).toEqual([]);
  });

  it('keeps the old rule when a replacement pattern is invalid', () => {
    const rules = new EventRuleSet<string>();
    rules.add('rule', { source: ['platform.workspace-server'] }, 'old');
    let caught: unknown;
    try {
      rules.add('rule', { source: 'platform.workspace-server' }, 'new');
    } catch (error) {
      caught = error;
    }
    expect(isInvalidEventPatternError(caught)).toBe(true);
    expect(rules.match(provisionRequested)).toEqual(['old']);
  });

  it('returns a rule once when several event sources reach it', () => {
    const rules = new EventRuleSet<string>();
    rules.add('both', { source: ['a', 'b'] }, 'both');
    rules.add('pair', { source: ['a', 'b'], 'detail-type': ['x', 'y'] }, 'pair');
    expect(rules.match(envelope(['a', 'b'], ['x', 'y']))).toEqual(['both', 'pair']);
  });

  it('answers like brute force for an event that is an array', () => {
    const rules = new EventRuleSet<string>();
    rules.add('source', { source: ['a'] }, 'source');
    expect(rules.match([{ source: 'a' }])).toEqual(['source']);
  });

  it('passes compile options on to every rule', () => {
    const rules = new EventRuleSet<string>({ maxPatternLength: 20 });
    expect(() => rules.add('long', { source: ['platform.workspace-server'] }, 'x')).toThrow(
      /the limit is 20/,
    );
  });
});

const SOURCES = ['aws.ecs', 'aws.ec2', 'platform.workspace-server', 'platform.billing'];
const DETAIL_TYPES = ['ECS Task State Change', 'Workspace Provision Requested', 'Invoice Paid'];

const someSources = fc.subarray(SOURCES, { minLength: 1 });
const someDetailTypes = fc.subarray(DETAIL_TYPES, { minLength: 1 });
const detailCondition = fc.constantFrom<Record<string, unknown>>(
  { tier: ['small'] },
  { tier: [{ 'anything-but': 'large' }] },
  { count: [{ numeric: ['>', 2] }] },
  { missing: [{ exists: false }] },
);
// Every index shape: pairs, sources only, detail-types only, $or across them, and unindexable rules.
const rulePattern = fc.oneof(
  fc.record({ source: someSources }),
  fc.record({ source: someSources, 'detail-type': someDetailTypes }),
  fc.record({ 'detail-type': someDetailTypes, detail: detailCondition }),
  fc.record({ source: someSources, detail: detailCondition }),
  fc.record({
    $or: fc.tuple(fc.record({ source: someSources }), fc.record({ 'detail-type': someDetailTypes })),
  }),
  fc.record({ $or: fc.tuple(fc.record({ source: someSources }), fc.record({ source: someSources })) }),
  fc.constantFrom<Record<string, unknown>>(
    { source: [{ prefix: 'platform.' }] },
    { 'detail-type': [{ 'equals-ignore-case': 'invoice paid' }] },
    { source: ['aws.ecs', 5] },
    { detail: { tier: ['small'] } },
    { source: [{ exists: false }] },
  ),
);
const routedEvent = fc.record({
  source: fc.oneof(fc.constantFrom(...SOURCES), fc.subarray(SOURCES), fc.constant(5), fc.constant(undefined)),
  detailType: fc.oneof(fc.constantFrom(...DETAIL_TYPES), fc.subarray(DETAIL_TYPES), fc.constant(null)),
  detail: fc.record({ tier: fc.constantFrom('small', 'large'), count: fc.integer({ min: 0, max: 5 }) }),
});
const operation = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), id: fc.integer({ min: 0, max: 30 }), pattern: rulePattern }),
  fc.record({ kind: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 30 }) }),
);

describe('EventRuleSet against brute force', () => {
  it('matches exactly the rules a linear scan matches, in the same order', () => {
    fc.assert(
      fc.property(
        fc.array(operation, { maxLength: 60 }),
        fc.array(routedEvent, { maxLength: 10 }),
        (ops, events) => {
          const rules = new EventRuleSet<number>();
          // A plain Map keeps first-insertion order for replaced keys, which is the order the set promises.
          const reference = new Map<number, ReturnType<typeof compileEventPattern>>();
          for (const op of ops) {
            if (op.kind === 'add') {
              rules.add(String(op.id), op.pattern, op.id);
              reference.set(op.id, compileEventPattern(op.pattern));
            } else {
              expect(rules.remove(String(op.id))).toBe(reference.delete(op.id));
            }
          }
          expect(rules.size).toBe(reference.size);
          for (const { source, detailType, detail } of events) {
            const event = envelope(source, detailType, detail);
            const expected = [...reference]
              .filter(([, compiled]) => compiled.matches(event))
              .map(([id]) => id);
            expect(rules.match(event)).toEqual(expected);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
