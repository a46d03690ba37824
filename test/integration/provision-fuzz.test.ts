import { randomUUID } from 'node:crypto';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { EventEnvelope } from '#local/interfaces.ts';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '#local/wire/json-depth.ts';
import { settled, startTestStack } from './helpers.ts';

/**
 * Every provision request the bus accepts ends in exactly one terminal event, whatever its shape
 * (issue 10, finding 2: a request with an unknown field nested 4,000 levels deep was accepted, then
 * the provision function and the failure reporter overflowed and no terminal event came). Deep,
 * wide and odd JSON goes through the real stack with the real EventBridge SDK client; an entry the
 * bus refuses must have a per-entry error and leave no event.
 */

const stack = await startTestStack();
afterAll(() => stack.stop());

const TERMINAL = new Set<string>([
  DETAIL_TYPES.taskLaunched,
  DETAIL_TYPES.provisionFailed,
  DETAIL_TYPES.provisionRejected,
]);

/** `{"a":{"a":...{}}}`, `levels` deep, as text (no recursion in the test either). */
const nestedText = (levels: number, key: string): string =>
  `${`{${JSON.stringify(key)}:`.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;

const oddNumber = fc.constantFrom(
  '1e308',
  '-1e308',
  '5e-324',
  '-0',
  '9007199254740993',
  '123456789012345678901234567890',
  '0.1e-999',
);
const oddKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', '', 'toString', 'hasOwnProperty'),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const KNOWN = ['requestId', 'workspaceId', 'orgId', 'runtime', 'env', 'tier', 'kind', 'templateAssets'];
const valueText = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc
    .integer({ min: 1, max: MAX_JSON_DEPTH + 200 })
    .chain((levels) => oddKey.map((key) => nestedText(levels, key))),
  fc
    .integer({ min: 1, max: 20_000 })
    .map((length) => `[${Array.from({ length }, (_, index) => index % 10).join(',')}]`),
  fc.string({ unit: 'binary', maxLength: 64 }).map((text) => JSON.stringify(text)),
  oddNumber,
  fc.constantFrom('""', 'null', 'true', '[]', '{}'),
);
/** One change to a valid request: a known field given an odd value, or an odd field added. */
const change = fc.record({ key: fc.oneof(fc.constantFrom(...KNOWN), oddKey), value: valueText });

/** A provision request's Detail text: valid fields first, then the changes (later keys win in JSON.parse). */
const detailText = fc.array(change, { minLength: 0, maxLength: 3 }).map((changes) => {
  const workspaceId = `fz-${randomUUID()}`;
  const base = { requestId: `req-${workspaceId}`, workspaceId, orgId: 'org-1', runtime: 'codex' };
  const fields = [
    ...Object.entries(base).map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`),
    ...changes.map(({ key, value }) => `${JSON.stringify(key)}:${value}`),
  ];
  return { text: `{${fields.join(',')}}`, requestId: base.requestId };
});

const terminalFor = (events: readonly EventEnvelope[], eventId: string, requestId: string) =>
  events.filter((event) => {
    if (!TERMINAL.has(event['detail-type'])) return false;
    const detail = event.detail as { requestId?: unknown; rejectedEventId?: unknown };
    return (
      detail.rejectedEventId === eventId ||
      (detail.rejectedEventId === undefined && detail.requestId === requestId)
    );
  });

describe('provision requests of any shape', () => {
  it('each accepted one ends in exactly one terminal event; each refused one has an entry error', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
    console.log(`provision fuzz: seed ${seed} (FUZZ_SEED=${seed} repeats this run)`);
    await fc.assert(
      fc.asyncProperty(detailText, async ({ text, requestId }) => {
        const response = await stack.events.send(
          new PutEventsCommand({
            Entries: [
              {
                Source: 'platform.workspace-server',
                DetailType: DETAIL_TYPES.provisionRequested,
                Detail: text,
                EventBusName: 'workspaces',
              },
            ],
          }),
        );
        const [entry] = response.Entries ?? [];
        if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
          expect(entry).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
          return;
        }
        expect(entry?.ErrorCode).toBeUndefined();
        const eventId = entry?.EventId as string;
        await settled(stack.stack, 20_000);
        const events = stack.stack.bus.list().map((accepted) => accepted.envelope);
        expect(terminalFor(events, eventId, requestId).map((event) => event['detail-type'])).toHaveLength(1);
      }),
      { numRuns: 60, seed },
    );
  }, 90_000);
});
