import { TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invalidPatternCases, matchCases } from '../fixtures/pattern-cases.ts';
import { startTestStack, type TestStack } from './helpers.ts';

let local: TestStack;

beforeAll(async () => {
  local = await startTestStack();
});
afterAll(async () => {
  await local?.stop();
});

const patternText = (pattern: unknown): string =>
  typeof pattern === 'string' ? pattern : JSON.stringify(pattern);

describe('TestEventPattern through the real EventBridge client', () => {
  it('agrees with every case of the matcher table', async () => {
    const disagreements: string[] = [];
    for (const testCase of matchCases) {
      const { Result } = await local.events.send(
        new TestEventPatternCommand({
          EventPattern: JSON.stringify(testCase.pattern),
          Event: JSON.stringify(testCase.event),
        }),
      );
      if (Result !== testCase.matches)
        disagreements.push(`${testCase.name}: expected ${testCase.matches}, got ${Result}`);
    }
    expect(disagreements).toEqual([]);
    expect(matchCases.length).toBeGreaterThan(100);
  });

  it('refuses every invalid pattern of the table with InvalidEventPatternException and its reason', async () => {
    const event = JSON.stringify(matchCases[0]?.event);
    const disagreements: string[] = [];
    for (const testCase of invalidPatternCases) {
      try {
        await local.events.send(
          new TestEventPatternCommand({ EventPattern: patternText(testCase.pattern), Event: event }),
        );
        disagreements.push(`${testCase.name}: accepted`);
      } catch (error) {
        const { name, message } = error as Error;
        const reason = message.replace(/^Event pattern is not valid\. Reason: /, '');
        const reasonMatches =
          typeof testCase.reason === 'string' ? reason === testCase.reason : testCase.reason.test(reason);
        if (name !== 'InvalidEventPatternException' || !reasonMatches) {
          disagreements.push(`${testCase.name}: ${name}: ${message}`);
        }
      }
    }
    expect(disagreements).toEqual([]);
  });
});
