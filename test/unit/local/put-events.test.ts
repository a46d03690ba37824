import { afterEach, describe, expect, it } from 'vitest';
import {
  createEventBridgeEmulator,
  createEventBus,
  type EventBridgeEmulatorOptions,
  putEventsEntrySize,
} from '#local/eventbridge/index.ts';
import type { LocalDatabase } from '#local/interfaces.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';
import { thrown } from './helpers.ts';

const entry = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  Source: 'platform.workspace-server',
  DetailType: 'Workspace Provision Requested',
  Detail: JSON.stringify({ workspaceId: 'ws-1' }),
  EventBusName: 'workspaces',
  ...overrides,
});

describe('PutEvents', () => {
  const databases: LocalDatabase[] = [];
  afterEach(() => {
    for (const database of databases.splice(0)) database.close();
  });

  function emulator(options: Partial<EventBridgeEmulatorOptions> = {}) {
    const database = openDatabase(IN_MEMORY);
    databases.push(database);
    const bus = createEventBus(database);
    const lines: string[] = [];
    const eventBridge = createEventBridgeEmulator({
      bus,
      clock: { now: () => Date.UTC(2026, 0, 2, 3, 4, 5, 678) },
      log: (line) => lines.push(line),
      ...options,
    });
    return { bus, eventBridge, lines };
  }

  it('accepts entries as standard envelopes on the named bus, in order', () => {
    const { bus, eventBridge } = emulator();

    const response = eventBridge.putEvents({
      Entries: [entry(), entry({ DetailType: 'Second', Resources: ['arn:x'], Time: 1_767_225_600 })],
    });

    expect(response.FailedEntryCount).toBe(0);
    const accepted = bus.list();
    expect(accepted.map((event) => event.envelope.id)).toEqual(
      response.Entries.map((result) => result.EventId),
    );
    expect(accepted[0]).toMatchObject({ bus: 'workspaces' });
    expect(accepted[0]?.envelope).toEqual({
      version: '0',
      id: response.Entries[0]?.EventId,
      'detail-type': 'Workspace Provision Requested',
      source: 'platform.workspace-server',
      account: '000000000000',
      time: '2026-01-02T03:04:05Z',
      region: 'us-east-1',
      resources: [],
      detail: { workspaceId: 'ws-1' },
    });
    expect(accepted[1]?.envelope).toMatchObject({ time: '2026-01-01T00:00:00Z', resources: ['arn:x'] });
  });

  it('refuses more than 10 entries, and none, for the whole request', () => {
    const { bus, eventBridge } = emulator();

    const tooMany = thrown(() =>
      eventBridge.putEvents({ Entries: Array.from({ length: 11 }, () => entry()) }),
    );
    const none = thrown(() => eventBridge.putEvents({ Entries: [] }));
    const missing = thrown(() => eventBridge.putEvents({}));

    expect(tooMany).toMatchObject({ code: 'ValidationException', statusCode: 400 });
    expect(tooMany.message).toContain('Member must have length less than or equal to 10');
    expect(none.message).toContain('Member must have length greater than or equal to 1');
    expect(missing.message).toContain('Member must not be null');
    expect(bus.list()).toEqual([]);
  });

  it.each([
    [
      'Source',
      { Source: undefined },
      'Parameter Source is not valid. Reason: Source is a required argument.',
    ],
    [
      'DetailType',
      { DetailType: undefined },
      'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
    ],
    [
      'Detail',
      { Detail: undefined },
      'Parameter Detail is not valid. Reason: Detail is a required argument.',
    ],
  ])('fails an entry without %s with InvalidArgument and keeps the others', (_member, overrides, message) => {
    const { bus, eventBridge } = emulator();

    const response = eventBridge.putEvents({ Entries: [entry(), entry(overrides)] });

    expect(response.FailedEntryCount).toBe(1);
    expect(response.Entries[1]).toEqual({ ErrorCode: 'InvalidArgument', ErrorMessage: message });
    expect(response.Entries[0]?.EventId).toBeDefined();
    expect(bus.list()).toHaveLength(1);
  });

  it.each([
    ['a string', '"text"'],
    ['an array', '[1, 2]'],
    ['malformed JSON', '{"a": '],
    ['a serialized string', JSON.stringify(JSON.stringify({ a: 1 }))],
  ])('fails an entry whose Detail is %s with MalformedDetail', (_kind, Detail) => {
    const { eventBridge } = emulator();

    const response = eventBridge.putEvents({ Entries: [entry({ Detail })] });

    expect(response).toEqual({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }],
    });
  });

  it('fails an entry that claims an aws. source', () => {
    const { eventBridge } = emulator();

    const response = eventBridge.putEvents({ Entries: [entry({ Source: 'aws.ecs' })] });

    expect(response.Entries[0]).toEqual({
      ErrorCode: 'NotAuthorizedForSourceException',
      ErrorMessage: 'Not authorized for the source.',
    });
  });

  it('takes the bus by name or by ARN and uses default when none is named', () => {
    const { bus, eventBridge } = emulator();

    eventBridge.putEvents({
      Entries: [
        entry({ EventBusName: 'arn:aws:events:us-east-1:000000000000:event-bus/workspaces' }),
        entry({ EventBusName: undefined }),
        entry({ EventBusName: 'workspaces' }),
      ],
    });

    expect(bus.list().map((event) => event.bus)).toEqual(['workspaces', 'workspaces', 'default']);
  });

  it('answers an entry for a bus that does not exist with an EventId, drops it and logs why', () => {
    const { bus, eventBridge, lines } = emulator();

    const response = eventBridge.putEvents({
      Entries: [
        entry({ EventBusName: 'workspace' }),
        entry({ EventBusName: 'arn:aws:events:eu-west-1:000000000000:event-bus/workspaces' }),
      ],
    });

    expect(response.FailedEntryCount).toBe(0);
    expect(response.Entries.every((result) => result.EventId !== undefined)).toBe(true);
    expect(bus.list()).toEqual([]);
    expect(lines[0]).toContain('event bus "workspace" does not exist');
  });

  it('sizes entries as EventBridge documents: Time 14 bytes, then UTF-8 bytes of the rest', () => {
    expect(putEventsEntrySize({ Source: 'ab', DetailType: 'é', Detail: '{}', Resources: ['r1', 'r2'] })).toBe(
      2 + 2 + 2 + 4,
    );
    expect(putEventsEntrySize({ Source: 'ab', DetailType: 'c', Time: 1 })).toBe(14 + 3);
  });

  it('refuses a request whose entries together exceed the size limit', () => {
    const { bus, eventBridge } = emulator();
    const detail = JSON.stringify({ pad: 'x'.repeat(100 * 1024) });

    expect(
      eventBridge.putEvents({ Entries: [entry({ Detail: detail }), entry({ Detail: detail })] })
        .FailedEntryCount,
    ).toBe(0);
    const error = thrown(() =>
      eventBridge.putEvents({
        Entries: [entry({ Detail: detail }), entry({ Detail: detail }), entry({ Detail: detail })],
      }),
    );

    expect(error).toMatchObject({
      code: 'ValidationException',
      message: 'Total size of the entries in the request is over the limit.',
    });
    expect(bus.list()).toHaveLength(2);
  });

  it('answers a member of the wrong type with a SerializationException', () => {
    const { eventBridge } = emulator();

    expect(thrown(() => eventBridge.putEvents({ Entries: 'nope' }))).toMatchObject({
      code: 'SerializationException',
    });
    expect(thrown(() => eventBridge.putEvents({ Entries: [entry({ Source: 5 })] }))).toMatchObject({
      code: 'SerializationException',
    });
  });

  it('fails the injected share of entries with InternalFailure and stores only the others', () => {
    const { bus, eventBridge } = emulator({ faults: { putEventsFailureRate: 0.5, seed: 11 } });

    const response = eventBridge.putEvents({ Entries: Array.from({ length: 10 }, () => entry()) });

    const failed = response.Entries.filter((result) => result.ErrorCode === 'InternalFailure');
    expect(response.FailedEntryCount).toBe(failed.length);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(10);
    expect(bus.list()).toHaveLength(10 - failed.length);
  });

  it('injects the same failures for the same seed', () => {
    const outcomes = () => {
      const { eventBridge } = emulator({ faults: { putEventsFailureRate: 0.3, seed: 1234 } });
      return Array.from({ length: 5 }, () =>
        eventBridge
          .putEvents({ Entries: Array.from({ length: 10 }, () => entry()) })
          .Entries.map((result) => result.ErrorCode ?? 'ok'),
      );
    };

    expect(outcomes()).toEqual(outcomes());
  });
});
