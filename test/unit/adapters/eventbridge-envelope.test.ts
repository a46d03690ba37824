import { ParseError } from '@aws-lambda-powertools/parser';
import { EventBridgeEnvelope as PowertoolsEventBridgeEnvelope } from '@aws-lambda-powertools/parser/envelopes/eventbridge';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { EventBridgeDetailEnvelope } from '#adapters/eventbridge-envelope.ts';

const Detail = z.strictObject({ requestId: z.string().min(1), count: z.number().int().default(1) });

const event = (overrides: Record<string, unknown> = {}) => ({
  version: '0',
  id: 'evt-1',
  'detail-type': 'Something Happened',
  source: 'platform.test',
  account: '123456789012',
  time: '2026-03-01T12:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { requestId: 'req-1' },
  ...overrides,
});

const issuePaths = (error: unknown) =>
  ((error as ParseError).cause as z.ZodError).issues.map((issue) => issue.path.join('.')).sort();

describe('EventBridge detail envelope', () => {
  it('hands over the parsed detail, defaults applied', () => {
    expect(EventBridgeDetailEnvelope.parse(event(), Detail)).toEqual({ requestId: 'req-1', count: 1 });
    expect(EventBridgeDetailEnvelope.safeParse(event(), Detail)).toEqual({
      success: true,
      data: { requestId: 'req-1', count: 1 },
    });
  });

  it('wraps a failure in a ParseError whose issues are pathed from the event', () => {
    const bad = event({ time: 'yesterday', detail: { requestId: '', extra: true } });
    const result = EventBridgeDetailEnvelope.safeParse(bad, Detail);
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(result.error).toBeInstanceOf(ParseError);
    expect(result.originalEvent).toBe(bad);
    expect(issuePaths(result.error)).toEqual(['detail', 'detail.requestId', 'time']);
    expect(() => EventBridgeDetailEnvelope.parse(bad, Detail)).toThrow(ParseError);
  });

  it.each([
    ['a valid event', event()],
    ['a replayed event', event({ 'replay-name': 'archive-replay' })],
    ['an extra envelope field', event({ 'new-aws-field': 1 })],
    ['a time with fractional seconds', event({ time: '2026-03-01T12:00:00.123Z' })],
    ['a time with an offset', event({ time: '2026-03-01T12:00:00+02:00' })],
    ['a missing account', event({ account: undefined })],
    ['resources that are not strings', event({ resources: [1] })],
    ['a detail that breaks the schema', event({ detail: { requestId: 7 } })],
    ['no detail at all', event({ detail: undefined })],
    ['not an object', 'not an event'],
  ])('agrees with Powertools on %s', (_, input) => {
    const ours = EventBridgeDetailEnvelope.safeParse(input, Detail);
    const theirs = PowertoolsEventBridgeEnvelope.safeParse(input, Detail);
    expect(ours.success).toBe(theirs.success);
    if (ours.success && theirs.success) expect(ours.data).toEqual(theirs.data);
    if (!ours.success && !theirs.success) {
      expect(ours.error.message).toBe(theirs.error.message);
      expect(issuePaths(ours.error)).toEqual(issuePaths(theirs.error));
    }
  });
});
