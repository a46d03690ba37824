/**
 * AWS Health's notice of a Fargate task retirement, read so the lifecycle function can replace each
 * affected workspace's task before AWS stops it (AWS does not replace a standalone task).
 *
 * The shape is AWS's, from two documents:
 * - the envelope and `detail` fields of every AWS Health event on EventBridge: `eventArn`,
 *   `service`, `eventTypeCode`, `eventTypeCategory`, `eventScopeCode`, `startTime`, `endTime`,
 *   `eventDescription`, `affectedEntities`
 *   (https://docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html);
 * - the sample `AWS_ECS_TASK_PATCHING_RETIREMENT` event, whose `detail.service` is `ECS` and whose
 *   `affectedEntities[].entityValue` are the standalone tasks' ARNs
 *   (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-maintenance.html, "Task
 *   retirement notice overview"). A notice about service tasks names `cluster|service` pairs
 *   instead, which are no tasks of ours and are skipped.
 *
 * Parsed leniently, like the ECS event: AWS adds fields over time, so unknown fields pass through
 * and only what is read here is typed.
 */
import * as z from 'zod';
import { ECS_TASK_PATCHING_RETIREMENT, HEALTH_ECS_SERVICE } from '#contracts/names.ts';

/**
 * One affected entity. `entityValue` is "the ID of the affected entity"; every field of an entity
 * is optional (https://docs.aws.amazon.com/health/latest/APIReference/API_AffectedEntity.html).
 */
export const HealthAffectedEntity = z.looseObject({
  entityValue: z.string().optional(),
  entityArn: z.string().optional(),
  status: z.string().optional(),
});
export type HealthAffectedEntity = z.infer<typeof HealthAffectedEntity>;

/** `detail` of an `AWS Health Event`; only `service` and `eventTypeCode` are relied on. */
export const HealthEventDetail = z.looseObject({
  eventArn: z.string().optional(),
  service: z.string(),
  eventTypeCode: z.string(),
  eventTypeCategory: z.string().optional(),
  eventScopeCode: z.string().optional(),
  /** AWS writes these as RFC 1123 dates (`Wed, 16 Aug 2023 23:18:51 GMT`), not ISO-8601. */
  startTime: z.string().optional(),
  endTime: z.string().optional(),
  affectedEntities: z.array(HealthAffectedEntity).optional(),
});
export type HealthEventDetail = z.infer<typeof HealthEventDetail>;

/**
 * An ECS task ARN, in the long format (`task/<cluster>/<id>`) or the old one (`task/<id>`), in any
 * partition (`aws`, `aws-cn`, `aws-us-gov`).
 */
const ECS_TASK_ARN = /^arn:aws(?:-[a-z]+)*:ecs:[a-z0-9-]+:\d{12}:task\/[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)?$/;

/** True for an ECS task ARN; false for anything else an entity may name (a cluster|service pair). */
export const isEcsTaskArn = (value: string): boolean => ECS_TASK_ARN.test(value);

/**
 * The task ARNs an ECS task retirement notice names, each once, in the notice's order. Empty for
 * any other AWS Health event (another service or event type), so a rule broader than ours cannot
 * make the lifecycle function replace anything.
 *
 * @example
 * retiringTaskArns({ service: 'ECS', eventTypeCode: 'AWS_ECS_TASK_PATCHING_RETIREMENT',
 *   affectedEntities: [{ entityValue: 'arn:aws:ecs:eu-west-1:111222333444:task/c/0080' }] })
 * // ['arn:aws:ecs:eu-west-1:111222333444:task/c/0080']
 */
export function retiringTaskArns(detail: HealthEventDetail): string[] {
  if (detail.service !== HEALTH_ECS_SERVICE || detail.eventTypeCode !== ECS_TASK_PATCHING_RETIREMENT)
    return [];
  const arns = new Set<string>();
  for (const entity of detail.affectedEntities ?? []) {
    const value = entity.entityValue?.trim();
    if (value !== undefined && isEcsTaskArn(value)) arns.add(value);
  }
  return [...arns];
}
