import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PROVISIONER_SOURCE,
  DEFAULT_REQUEST_SOURCE,
  DETAIL_TYPES,
  ECS_TASK_PATCHING_RETIREMENT,
  HEALTH_ECS_SERVICE,
  HEALTH_EVENT,
  HEALTH_SOURCE,
} from '#contracts/names.ts';
import {
  healthTaskRetirementPattern,
  recoveringPattern,
  restartRequestedPattern,
  statusRequestedPattern,
} from '#contracts/patterns.ts';
import { matchesEventPattern } from '#local/event-pattern/index.ts';
import { AWS_SAMPLE_TASK_RETIREMENT_EVENT } from '../../fixtures/health-task-retirement-event.ts';

/** v1.2: the lifecycle rules' patterns, through the same matcher the local stack routes with. */

const envelope = (source: string, detailType: string, detail: Record<string, unknown> = {}) => ({
  version: '0',
  id: 'c0ffee00-0000-4000-8000-000000000013',
  'detail-type': detailType,
  source,
  account: '000000000000',
  time: '2026-12-01T00:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail,
});

describe('v1.2 lifecycle patterns', () => {
  const requestSources = [DEFAULT_REQUEST_SOURCE, 'platform.other'];

  it.each([
    ['Restart Requested', restartRequestedPattern(requestSources), DETAIL_TYPES.restartRequested],
    ['Status Requested', statusRequestedPattern(requestSources), DETAIL_TYPES.statusRequested],
  ])('%s matches only its detail-type from an allowed request source', (_name, pattern, detailType) => {
    for (const source of requestSources)
      expect(matchesEventPattern(pattern, envelope(source, detailType))).toBe(true);
    expect(matchesEventPattern(pattern, envelope('platform.stranger', detailType))).toBe(false);
    expect(matchesEventPattern(pattern, envelope(DEFAULT_PROVISIONER_SOURCE, detailType))).toBe(false);
    expect(
      matchesEventPattern(pattern, envelope(DEFAULT_REQUEST_SOURCE, DETAIL_TYPES.provisionRequested)),
    ).toBe(false);
  });

  it('Recovering matches only our own Recovering events', () => {
    const pattern = recoveringPattern(DEFAULT_PROVISIONER_SOURCE);
    expect(matchesEventPattern(pattern, envelope(DEFAULT_PROVISIONER_SOURCE, DETAIL_TYPES.recovering))).toBe(
      true,
    );
    expect(matchesEventPattern(pattern, envelope(DEFAULT_REQUEST_SOURCE, DETAIL_TYPES.recovering))).toBe(
      false,
    );
    expect(
      matchesEventPattern(pattern, envelope(DEFAULT_PROVISIONER_SOURCE, DETAIL_TYPES.recoveryAbandoned)),
    ).toBe(false);
  });

  it("the health pattern matches AWS's sample task retirement event", () => {
    expect(HEALTH_SOURCE).toBe(AWS_SAMPLE_TASK_RETIREMENT_EVENT.source);
    expect(HEALTH_EVENT).toBe(AWS_SAMPLE_TASK_RETIREMENT_EVENT['detail-type']);
    expect(HEALTH_ECS_SERVICE).toBe(AWS_SAMPLE_TASK_RETIREMENT_EVENT.detail.service);
    expect(ECS_TASK_PATCHING_RETIREMENT).toBe(AWS_SAMPLE_TASK_RETIREMENT_EVENT.detail.eventTypeCode);
    expect(matchesEventPattern(healthTaskRetirementPattern(), AWS_SAMPLE_TASK_RETIREMENT_EVENT)).toBe(true);
  });

  it.each([
    ['another event type', { eventTypeCode: 'AWS_ECS_OPERATIONAL_NOTIFICATION' }],
    ['another service', { service: 'EC2' }],
  ])('the health pattern does not match %s', (_name, change) => {
    const event = {
      ...AWS_SAMPLE_TASK_RETIREMENT_EVENT,
      detail: { ...AWS_SAMPLE_TASK_RETIREMENT_EVENT.detail, ...change },
    };
    expect(matchesEventPattern(healthTaskRetirementPattern(), event)).toBe(false);
  });

  it('the health pattern does not match the same detail from another source', () => {
    const event = { ...AWS_SAMPLE_TASK_RETIREMENT_EVENT, source: DEFAULT_REQUEST_SOURCE };
    expect(matchesEventPattern(healthTaskRetirementPattern(), event)).toBe(false);
  });
});
