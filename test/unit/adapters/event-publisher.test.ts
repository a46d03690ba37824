import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { EventPublishError, EventTooLargeError } from '#adapters/errors.ts';
import { EventBridgePublisher, entrySizeBytes } from '#adapters/event-publisher.ts';
import type { DomainEvent } from '#core/overlay.ts';
import { eventBridgeWithMock, FakeClock, serviceError, taskArnOf } from '../handlers/harness.ts';

const event = (n: number, extra: Record<string, unknown> = {}): DomainEvent => ({
  detailType: 'Workspace Running',
  detail: { workspaceId: `ws-${n}`, n, ...extra },
});

function setup(options: { maxAttempts?: number; maxEntryBytes?: number } = {}) {
  const clock = new FakeClock();
  const { eventBridge, eventBridgeMock } = eventBridgeWithMock();
  const retried: number[] = [];
  const publisher = new EventBridgePublisher(eventBridge, {
    eventBusName: 'workspaces',
    source: 'platform.provisioner',
    clock,
    random: () => 0.5,
    onRetry: (entries) => retried.push(entries),
    ...options,
  });
  const entriesOf = (call: number): PutEventsRequestEntry[] =>
    eventBridgeMock.commandCalls(PutEventsCommand)[call]?.args[0].input.Entries ?? [];
  return { clock, eventBridgeMock, publisher, retried, entriesOf };
}

/** A PutEvents answer that fails the entries at `failed` indices with `code`. */
const partialFailure = (
  entries: readonly unknown[],
  failed: readonly number[],
  code = 'ThrottlingException',
) => ({
  FailedEntryCount: failed.length,
  Entries: entries.map((_, index) =>
    failed.includes(index) ? { ErrorCode: code, ErrorMessage: 'Rate exceeded' } : { EventId: `ok-${index}` },
  ),
});

describe('EventBridgePublisher', () => {
  it('sends entries with the source, bus, detail-type, JSON detail and the task as a resource', async () => {
    const { publisher, eventBridgeMock } = setup();

    await publisher.publish([event(1, { taskArn: taskArnOf('t-1') })]);

    expect(eventBridgeMock).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          EventBusName: 'workspaces',
          Source: 'platform.provisioner',
          DetailType: 'Workspace Running',
          Detail: JSON.stringify({ workspaceId: 'ws-1', n: 1, taskArn: taskArnOf('t-1') }),
          Resources: [taskArnOf('t-1')],
        },
      ],
    });
  });

  it('sends batches of at most 10 entries, in order', async () => {
    const { publisher, eventBridgeMock, entriesOf } = setup();

    await publisher.publish(Array.from({ length: 23 }, (_, n) => event(n)));

    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 3);
    expect([0, 1, 2].map((call) => entriesOf(call).length)).toEqual([10, 10, 3]);
    const order = [0, 1, 2].flatMap((call) =>
      entriesOf(call).map((entry) => JSON.parse(entry.Detail ?? '{}').n),
    );
    expect(order).toEqual(Array.from({ length: 23 }, (_, n) => n));
  });

  it('retries only the failed entries of a partial failure, with backoff', async () => {
    const { publisher, eventBridgeMock, entriesOf, clock, retried } = setup();
    eventBridgeMock
      .on(PutEventsCommand)
      .callsFakeOnce((input: { Entries: unknown[] }) => partialFailure(input.Entries, [1, 3]))
      .callsFakeOnce((input: { Entries: unknown[] }) => partialFailure(input.Entries, [1]))
      .callsFake((input: { Entries: unknown[] }) => partialFailure(input.Entries, []));

    await publisher.publish([event(0), event(1), event(2), event(3)]);

    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 3);
    const sent = (call: number) => entriesOf(call).map((entry) => JSON.parse(entry.Detail ?? '{}').n);
    expect(sent(0)).toEqual([0, 1, 2, 3]);
    expect(sent(1)).toEqual([1, 3]);
    expect(sent(2)).toEqual([3]);
    expect(retried).toEqual([2, 1]);
    expect(clock.sleeps).toEqual([50, 100]);
  });

  it('raises EventPublishError with the entry error codes when entries still fail', async () => {
    const { publisher, eventBridgeMock } = setup({ maxAttempts: 3 });
    eventBridgeMock
      .on(PutEventsCommand)
      .callsFake((input: { Entries: unknown[] }) => partialFailure(input.Entries, [0], 'InternalFailure'));

    const publishing = publisher.publish([event(0), event(1)]);

    await expect(publishing).rejects.toBeInstanceOf(EventPublishError);
    await expect(publishing).rejects.toMatchObject({
      failedEntries: [{ detailType: 'Workspace Running', errorCode: 'InternalFailure' }],
    });
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 3);
  });

  it('does not retry an entry error no retry can fix', async () => {
    const { publisher, eventBridgeMock } = setup();
    eventBridgeMock
      .on(PutEventsCommand)
      .callsFake((input: { Entries: unknown[] }) => partialFailure(input.Entries, [0], 'MalformedDetail'));

    await expect(publisher.publish([event(0), event(1)])).rejects.toMatchObject({
      failedEntries: [{ errorCode: 'MalformedDetail' }],
    });
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });

  it('wraps a failed PutEvents call in EventPublishError', async () => {
    const { publisher, eventBridgeMock } = setup();
    eventBridgeMock.on(PutEventsCommand).rejects(serviceError('InternalException', 'boom', 500));

    await expect(publisher.publish([event(0)])).rejects.toMatchObject({
      name: 'EventPublishError',
      failedEntries: [{ errorCode: 'InternalException' }],
    });
  });

  it('refuses an oversize entry before sending anything', async () => {
    const { publisher, eventBridgeMock } = setup();

    const publishing = publisher.publish([event(0), event(1, { blob: 'x'.repeat(300 * 1024) })]);

    await expect(publishing).rejects.toBeInstanceOf(EventTooLargeError);
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('takes a configured size limit', async () => {
    const { publisher, eventBridgeMock } = setup({ maxEntryBytes: 1024 * 1024 });
    await publisher.publish([event(1, { blob: 'x'.repeat(300 * 1024) })]);
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });

  it('counts the size as EventBridge does: Time, Source, DetailType, Detail and Resources in UTF-8', () => {
    expect(
      entrySizeBytes({ Source: 'abc', DetailType: 'de', Detail: '{"é":1}', Resources: ['r1', 'r2'] }),
    ).toBe(14 + 3 + 2 + Buffer.byteLength('{"é":1}') + 4);
  });
});
