import { afterEach, describe, expect, it } from 'vitest';
import { createEventBridgeEmulator, createEventBus } from '#local/eventbridge/index.ts';
import type { LocalDatabase } from '#local/interfaces.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '#local/wire/json-depth.ts';

/**
 * Nesting depth at PutEvents (issue 10, finding 2): a Detail 5,000 levels deep overflowed the stack
 * in JSON.stringify and failed the whole batch with HTTP 500. EventBridge "will only process nested
 * JSON up to 1000 levels deep" (API_PutEvents); deeper Detail is refused per entry, as malformed
 * Detail is, and the rest of the batch is kept.
 */

/** A JSON object nested `levels` deep under the key `under`: `{"under":{"under":{}}}` is 3. */
const nested = (levels: number, under = 'a'): string =>
  `${`{"${under}":`.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;

const entry = (Detail: string) => ({
  Source: 'platform.workspace-server',
  DetailType: 'Workspace Provision Requested',
  Detail,
  EventBusName: 'workspaces',
});

describe('nestsDeeperThan', () => {
  it.each([
    ['{}', 0, true],
    ['{}', 1, false],
    ['{"a":[1,{"b":[]}]}', 3, true],
    ['{"a":[1,{"b":[]}]}', 4, false],
    ['{"a":"[[[[{{{{"}', 1, false],
    ['{"a":"\\"[[[["}', 1, false],
    [nested(5000), MAX_JSON_DEPTH, true],
    [nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH, false],
  ])('%# measures brackets outside strings only', (text, limit, deeper) => {
    expect(nestsDeeperThan(text, limit)).toBe(deeper);
  });
});

describe('PutEvents with deeply nested Detail', () => {
  const databases: LocalDatabase[] = [];
  afterEach(() => {
    for (const database of databases.splice(0)) database.close();
  });

  it('refuses only the entries nested deeper than EventBridge processes, and keeps the rest', () => {
    const database = openDatabase(IN_MEMORY);
    databases.push(database);
    const bus = createEventBus(database);
    const eventBridge = createEventBridgeEmulator({ bus, log: () => {} });
    const details = [
      JSON.stringify({ workspaceId: 'ws-1' }),
      nested(5000),
      nested(MAX_JSON_DEPTH),
      nested(MAX_JSON_DEPTH + 1),
      // Deep under an unknown field of an otherwise valid provision request.
      JSON.stringify({ requestId: 'r', workspaceId: 'ws-2', orgId: 'o', runtime: 'codex' }).replace(
        /}$/,
        `,"unknown":${nested(4000)}}`,
      ),
    ];

    const response = eventBridge.putEvents({ Entries: details.map(entry) });

    const malformed = { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    expect(response.FailedEntryCount).toBe(3);
    expect(response.Entries[0]?.EventId).toBeDefined();
    expect(response.Entries[1]).toEqual(malformed);
    expect(response.Entries[2]?.EventId).toBeDefined();
    expect(response.Entries[3]).toEqual(malformed);
    expect(response.Entries[4]).toEqual(malformed);
    expect(bus.list().map((event) => event.envelope.id)).toEqual([
      response.Entries[0]?.EventId,
      response.Entries[2]?.EventId,
    ]);
  });
});
