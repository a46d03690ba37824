import { afterEach, describe, expect, it } from 'vitest';
import { createEventBus } from '#local/eventbridge/index.ts';
import type { AcceptedEvent, EventEnvelope } from '#local/interfaces.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';
import { temporaryStateDir } from './helpers.ts';

const envelope = (detailType: string, id: string = crypto.randomUUID()): EventEnvelope => ({
  version: '0',
  id,
  'detail-type': detailType,
  source: 'platform.workspace-server',
  account: '000000000000',
  time: '2026-01-01T00:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { workspaceId: 'ws-1' },
});

describe('createEventBus', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('accepts envelopes with rising sequence numbers and lists them in order', () => {
    const database = openDatabase(IN_MEMORY);
    cleanups.push(() => database.close());
    const bus = createEventBus(database, { clock: { now: () => 42 } });

    const first = bus.accept('workspaces', [envelope('A'), envelope('B')]);
    const second = bus.accept('default', [envelope('A')]);

    expect(first.map((event) => event.seq)).toEqual([1, 2]);
    expect(second[0]).toMatchObject({ seq: 3, bus: 'default', acceptedAt: 42 });
    expect(bus.list().map((event) => [event.seq, event.bus, event.envelope['detail-type']])).toEqual([
      [1, 'workspaces', 'A'],
      [2, 'workspaces', 'B'],
      [3, 'default', 'A'],
    ]);
  });

  it('filters by detail-type and pages with afterSeq and limit', () => {
    const database = openDatabase(IN_MEMORY);
    cleanups.push(() => database.close());
    const bus = createEventBus(database);
    bus.accept('workspaces', [envelope('A'), envelope('B'), envelope('A'), envelope('A')]);

    expect(bus.list({ detailType: 'A' }).map((event) => event.seq)).toEqual([1, 3, 4]);
    expect(bus.list({ detailType: 'A', afterSeq: 1, limit: 1 }).map((event) => event.seq)).toEqual([3]);
    expect(bus.list({ afterSeq: 2 }).map((event) => event.seq)).toEqual([3, 4]);
    expect(bus.list({ limit: 0 })).toEqual([]);
  });

  it('tells subscribers synchronously, after the events are stored, until they unsubscribe', () => {
    const database = openDatabase(IN_MEMORY);
    cleanups.push(() => database.close());
    const bus = createEventBus(database);
    const heard: Array<{ seqs: number[]; stored: number }> = [];
    const unsubscribe = bus.subscribe((events) =>
      heard.push({ seqs: events.map((event) => event.seq), stored: bus.list().length }),
    );

    bus.accept('workspaces', [envelope('A'), envelope('B')]);
    unsubscribe();
    bus.accept('workspaces', [envelope('C')]);

    expect(heard).toEqual([{ seqs: [1, 2], stored: 2 }]);
  });

  it('tells subscribers after the caller commits, and not at all when the caller rolls back', () => {
    const database = openDatabase(IN_MEMORY);
    cleanups.push(() => database.close());
    const bus = createEventBus(database);
    const heard: string[] = [];
    bus.subscribe((events) => heard.push(...events.map((event) => event.envelope['detail-type'])));

    database.transaction(() => {
      bus.accept('workspaces', [envelope('committed')]);
      expect(heard).toEqual([]);
    });
    expect(() =>
      database.transaction(() => {
        bus.accept('workspaces', [envelope('rolled back')]);
        throw new Error('boom');
      }),
    ).toThrow('boom');

    expect(heard).toEqual(['committed']);
    expect(bus.list().map((event) => event.envelope['detail-type'])).toEqual(['committed']);
  });

  it('keeps telling the other subscribers when one throws', () => {
    const database = openDatabase(IN_MEMORY);
    cleanups.push(() => database.close());
    const errors: unknown[] = [];
    const bus = createEventBus(database, { onListenerError: (error) => errors.push(error) });
    const heard: AcceptedEvent[] = [];
    bus.subscribe(() => {
      throw new Error('listener bug');
    });
    bus.subscribe((events) => heard.push(...events));

    const accepted = bus.accept('workspaces', [envelope('A')]);

    expect(accepted).toHaveLength(1);
    expect(heard).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });

  it('keeps accepted events across a reopen of the database', () => {
    const state = temporaryStateDir();
    cleanups.push(state.remove);
    const first = openDatabase(state.dir);
    createEventBus(first).accept('workspaces', [envelope('A', 'event-1')]);
    first.close();

    const reopened = openDatabase(state.dir);
    cleanups.unshift(() => reopened.close());
    const bus = createEventBus(reopened);
    bus.accept('workspaces', [envelope('B')]);

    expect(
      bus
        .list()
        .map((event) => [event.seq, event.envelope.id === 'event-1' || event.envelope['detail-type']]),
    ).toEqual([
      [1, true],
      [2, 'B'],
    ]);
  });
});
