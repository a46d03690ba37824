import { describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_QUEUES,
  deadLetterQueueNamed,
  functionPhysicalName,
  LAMBDA_FUNCTION_NAME,
  SQS_QUEUE_NAME,
} from '#wiring/dead-letter-queues.ts';
import { FLOW_TARGETS, flowsFor, TIMEOUT_SWEEP_SCHEDULE } from '#wiring/flows.ts';
import { FUNCTION_NAMES, FUNCTIONS } from '#wiring/functions.ts';
import { STACK_ID } from '#wiring/names.ts';

const settings = {
  requestSources: ['platform.workspace-server'],
  provisionerSource: 'platform.provisioner',
  clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/workspaces',
  taskDefinitionArnPrefixes: ['arn:aws:ecs:us-east-1:000000000000:task-definition/workspace-claude-code:'],
};

describe('deterministic names', () => {
  it('names the flow targets exactly as flowsFor wires them', () => {
    expect(flowsFor(settings).map((flow) => [flow.id, flow.target])).toEqual(Object.entries(FLOW_TARGETS));
  });

  // Limits: Lambda CreateFunction (name only: 64 characters, [a-zA-Z0-9-_]) and SQS CreateQueue
  // (up to 80 characters: alphanumerics, hyphens, underscores).
  it.each(FUNCTION_NAMES)('gives the %s function a valid Lambda name under the stack id', (name) => {
    const physical = functionPhysicalName(name);
    expect(physical).toMatch(LAMBDA_FUNCTION_NAME);
    expect(physical).toBe(`${STACK_ID}-${name}`);
  });

  it.each(DEAD_LETTER_QUEUES.map((queue) => [queue.queueName]))('%s is a valid SQS queue name', (name) => {
    expect(name).toMatch(SQS_QUEUE_NAME);
    expect(name.startsWith(`${STACK_ID}-`)).toBe(true);
  });

  it.each([
    ['a'.repeat(64), true],
    ['a'.repeat(65), false],
    ['with.dot', false],
    ['with space', false],
  ])('LAMBDA_FUNCTION_NAME on %s is %s', (name, valid) => {
    expect(LAMBDA_FUNCTION_NAME.test(name)).toBe(valid);
  });

  it.each([
    ['q'.repeat(80), true],
    ['q'.repeat(81), false],
    ['q.fifo', false],
    ['', false],
  ])('SQS_QUEUE_NAME on %s is %s', (name, valid) => {
    expect(SQS_QUEUE_NAME.test(name)).toBe(valid);
  });
});

describe('DEAD_LETTER_QUEUES', () => {
  it('has one target DLQ per rule (flows and the schedule) handled by the rule target', () => {
    const targets = DEAD_LETTER_QUEUES.filter((queue) => queue.source === 'rule-target');
    expect(targets.map((queue) => [queue.flowId, queue.handledBy])).toEqual([
      ...flowsFor(settings).map((flow) => [flow.id, flow.target]),
      [TIMEOUT_SWEEP_SCHEDULE.id, TIMEOUT_SWEEP_SCHEDULE.target],
    ]);
    expect(targets.map((queue) => queue.queueName)).toContain(`${STACK_ID}-ProvisionRequested-target-dlq`);
  });

  it('has one Lambda DLQ per function whose spec keeps one, handled by that function', () => {
    const lambda = DEAD_LETTER_QUEUES.filter((queue) => queue.source === 'lambda-async');
    expect(lambda.map((queue) => queue.handledBy)).toEqual(
      FUNCTION_NAMES.filter((name) => FUNCTIONS[name].deadLetterQueue),
    );
    expect(deadLetterQueueNamed(`${STACK_ID}-deprovision-dlq`)).toEqual({
      queueName: `${STACK_ID}-deprovision-dlq`,
      source: 'lambda-async',
      handledBy: 'deprovision',
    });
  });

  it('uses each queue name once', () => {
    const names = DEAD_LETTER_QUEUES.map((queue) => queue.queueName);
    expect(new Set(names).size).toBe(names.length);
  });

  it('finds no queue for an unknown name', () => {
    expect(deadLetterQueueNamed(`${STACK_ID}-nope-dlq`)).toBeUndefined();
  });
});
