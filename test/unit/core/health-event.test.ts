import { describe, expect, it } from 'vitest';
import { HealthEventDetail, isEcsTaskArn, retiringTaskArns } from '#core/health-event.ts';
import { AWS_SAMPLE_TASK_RETIREMENT_EVENT } from '../../fixtures/health-task-retirement-event.ts';

const sample = AWS_SAMPLE_TASK_RETIREMENT_EVENT.detail;
const TASK_A = sample.affectedEntities[0].entityValue;
const TASK_B = sample.affectedEntities[1].entityValue;

describe('HealthEventDetail', () => {
  it("parses AWS's sample task retirement event and keeps the fields it does not type", () => {
    const parsed = HealthEventDetail.parse(sample);
    expect(parsed.eventTypeCode).toBe('AWS_ECS_TASK_PATCHING_RETIREMENT');
    expect(parsed.service).toBe('ECS');
    expect(parsed.communicationId).toBe(sample.communicationId);
    expect(parsed.eventDescription).toEqual(sample.eventDescription);
  });

  it.each([
    ['without service', { eventTypeCode: 'AWS_ECS_TASK_PATCHING_RETIREMENT' }],
    ['without eventTypeCode', { service: 'ECS' }],
    ['whose affectedEntities is not an array', { ...sample, affectedEntities: 'task' }],
  ])('refuses a detail %s', (_name, detail) => {
    expect(HealthEventDetail.safeParse(detail).success).toBe(false);
  });
});

// Rows: AWS's sample (task-maintenance.html, cited in the fixture) and variations of it. The
// affected-entity fields are all optional (API_AffectedEntity.html), and a notice about service
// tasks names `cluster|service` pairs (the sample's `resources`), so both are tolerated and skipped.
const rows: ReadonlyArray<[string, unknown, string[]]> = [
  ["AWS's sample event", sample, [TASK_A, TASK_B]],
  [
    'a notice that names a task twice',
    { ...sample, affectedEntities: [{ entityValue: TASK_A }, { entityValue: TASK_A }] },
    [TASK_A],
  ],
  [
    'a notice about service tasks (cluster|service pairs)',
    { ...sample, affectedEntities: [{ entityValue: 'examplecluster|exampleservice' }] },
    [],
  ],
  [
    'entities without a value, or with a cluster ARN, beside a task',
    {
      ...sample,
      affectedEntities: [
        {},
        { entityArn: 'arn:aws:health:us-east-1:111222333444:entity/AVh5GGT7ul1arKr1sE1K' },
        { entityValue: 'arn:aws:ecs:eu-west-1:111222333444:cluster/examplecluster' },
        { entityValue: TASK_B, status: 'PENDING' },
      ],
    },
    [TASK_B],
  ],
  [
    'a task ARN in the old format (no cluster) and one in another partition',
    {
      ...sample,
      affectedEntities: [
        { entityValue: 'arn:aws:ecs:us-east-1:111222333444:task/00805ce1d81940b5a37398e5a2c27777' },
        { entityValue: 'arn:aws-cn:ecs:cn-north-1:111222333444:task/c/00805ce1d81940b5a37398e5a2c28888' },
      ],
    },
    [
      'arn:aws:ecs:us-east-1:111222333444:task/00805ce1d81940b5a37398e5a2c27777',
      'arn:aws-cn:ecs:cn-north-1:111222333444:task/c/00805ce1d81940b5a37398e5a2c28888',
    ],
  ],
  ['a notice without affectedEntities', { ...sample, affectedEntities: undefined }, []],
  [
    'another ECS event type naming the same tasks',
    { ...sample, eventTypeCode: 'AWS_ECS_OPERATIONAL_NOTIFICATION' },
    [],
  ],
  ['another service with the retirement code', { ...sample, service: 'EC2' }, []],
];

describe('retiringTaskArns', () => {
  it.each(rows)('reads %s', (_name, detail, expected) => {
    expect(retiringTaskArns(HealthEventDetail.parse(detail))).toEqual(expected);
  });
});

describe('isEcsTaskArn', () => {
  it.each([
    [TASK_A, true],
    ['arn:aws:ecs:us-east-1:000000000000:task/workspaces/abc123', true],
    ['arn:aws:ecs:us-east-1:000000000000:task-definition/workspace-codex:3', false],
    ['arn:aws:ecs:us-east-1:000000000000:container/workspaces/abc/def', false],
    ['arn:aws:ecs:us-east-1:000000000000:task/a/b/c', false],
    ['arn:aws:ec2:us-east-1:000000000000:instance/i-0123', false],
    ['cluster|service', false],
    ['', false],
  ])('%s is a task ARN: %s', (value, expected) => {
    expect(isEcsTaskArn(value)).toBe(expected);
  });
});
