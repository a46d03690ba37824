import { afterAll, describe, expect, it } from 'vitest';
import { createEventBridgeEmulator, createEventBus } from '#local/eventbridge/index.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';
import { thrown } from './helpers.ts';

const database = openDatabase(IN_MEMORY);
const eventBridge = createEventBridgeEmulator({ bus: createEventBus(database) });

const event = {
  version: '0',
  id: 'e-1',
  'detail-type': 'ECS Task State Change',
  source: 'aws.ecs',
  account: '000000000000',
  time: '2026-01-01T00:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { lastStatus: 'RUNNING', group: 'family:workspace-codex' },
};

describe('TestEventPattern', () => {
  afterAll(() => database.close());

  it('answers whether the event matches the pattern', () => {
    const pattern = { source: ['aws.ecs'], detail: { group: [{ prefix: 'family:workspace-' }] } };

    expect(
      eventBridge.testEventPattern({ EventPattern: JSON.stringify(pattern), Event: JSON.stringify(event) }),
    ).toEqual({
      Result: true,
    });
    expect(
      eventBridge.testEventPattern({
        EventPattern: JSON.stringify({ detail: { lastStatus: ['STOPPED'] } }),
        Event: JSON.stringify(event),
      }),
    ).toEqual({ Result: false });
  });

  it('answers an invalid pattern with InvalidEventPatternException and the matcher reason', () => {
    const error = thrown(() =>
      eventBridge.testEventPattern({ EventPattern: '{"source": "aws.ecs"}', Event: JSON.stringify(event) }),
    );

    expect(error).toMatchObject({ code: 'InvalidEventPatternException', statusCode: 400 });
    expect(error.message).toMatch(/^Event pattern is not valid\. Reason: /);
  });

  it.each([
    ['not JSON', '{"id": '],
    ['not an object', '[1]'],
    ['missing id', JSON.stringify({ ...event, id: undefined })],
    ['missing detail-type', JSON.stringify({ ...event, 'detail-type': undefined })],
    ['missing time', JSON.stringify({ ...event, time: undefined })],
  ])('answers an event that is %s with ValidationException', (_case, Event) => {
    expect(
      thrown(() => eventBridge.testEventPattern({ EventPattern: '{"source":["aws.ecs"]}', Event })),
    ).toMatchObject({
      code: 'ValidationException',
      message: 'Parameter Event is not valid.',
    });
  });

  it('accepts an event without resources', () => {
    const { resources: _resources, ...withoutResources } = event;

    expect(
      eventBridge.testEventPattern({
        EventPattern: '{"source":["aws.ecs"]}',
        Event: JSON.stringify(withoutResources),
      }),
    ).toEqual({ Result: true });
  });

  it('answers a missing pattern or event with ValidationException', () => {
    expect(thrown(() => eventBridge.testEventPattern({ Event: JSON.stringify(event) }))).toMatchObject({
      code: 'ValidationException',
    });
    expect(thrown(() => eventBridge.testEventPattern({ EventPattern: '{}' }))).toMatchObject({
      code: 'ValidationException',
    });
  });
});
