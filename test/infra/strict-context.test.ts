import { describe, expect, it } from 'vitest';
import {
  editDistance,
  isCdkContextKey,
  nearestOption,
  unknownContextKeyProblems,
} from '#infra/strict-context.ts';

describe('strict context', () => {
  it.each([
    ['vpcId', 'vpcId', 0],
    ['vpcID', 'vpcId', 0],
    ['natGateway', 'natGateways', 1],
    ['alarmTopic', 'alarmTopicArn', 3],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
  ])('puts %s at distance %s from %s', (left, right, distance) => {
    expect(editDistance(left, right)).toBe(distance);
    expect(editDistance(right, left)).toBe(distance);
  });

  it('picks the nearest option, the first one on a tie', () => {
    expect(nearestOption('imageTags', ['imageRegistry', 'imageTag', 'imageDigests'])).toBe('imageTag');
    expect(nearestOption('ab', ['ax', 'ay'])).toBe('ax');
    expect(nearestOption('anything', [])).toBeUndefined();
  });

  it.each([
    ['@aws-cdk/core:checkSecretUsage', true],
    ['aws:cdk:bundling-stacks', true],
    ['availability-zones:account=123456789012:region=eu-west-1', true],
    ['cdk-anything', true],
    ['cli-telemetry', true],
    ['acknowledged-issue-numbers', true],
    ['alarmTopic', false],
    ['telemetry', false],
  ])('tells CDK key %s apart: %s', (key, cdk) => {
    expect(isCdkContextKey(key)).toBe(cdk);
  });

  it('reports only keys that are neither known nor CDK', () => {
    expect(
      unknownContextKeyProblems(
        ['vpcId', 'aws:cdk:enable-path-metadata', 'vpcid', 'alarmTopic'],
        ['vpcId', 'alarmTopicArn'],
      ),
    ).toEqual([
      'context option "vpcid" is unknown; did you mean "vpcId"?',
      'context option "alarmTopic" is unknown; did you mean "alarmTopicArn"?',
    ]);
  });
});
