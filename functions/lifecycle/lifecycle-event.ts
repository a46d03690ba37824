/**
 * The events the lifecycle function is routed (v1.2): each rule's event parsed by its own
 * contract, told apart by detail-type, with the key its idempotency record is kept under. A
 * restart is idempotent per `requestId`; a recovery per workspace, attempt and task; a retirement
 * notice per AWS Health event; a status request per `requestId`. v1.3 (persistent data): ECS's
 * stop of a task with a data volume (rule DataTaskStopped) per task, and EBS's snapshot
 * notification (rule DataSnapshotNotification) per snapshot and result; both only from their AWS
 * source (the default bus lets nobody else send them).
 */
import { ParseError } from '@aws-lambda-powertools/parser/errors';
import * as z from 'zod';
import { EbsSnapshotNotificationDetail } from '#contracts/ec2.ts';
import { EcsTaskStateChangeDetail } from '#contracts/ecs.ts';
import { eventBridgeEventOf } from '#contracts/envelope.ts';
import { RestartRequestedDetail, StatusRequestedDetail } from '#contracts/inbound.ts';
import {
  DETAIL_TYPES,
  EBS_SNAPSHOT_NOTIFICATION,
  EC2_SOURCE,
  ECS_SOURCE,
  ECS_TASK_STATE_CHANGE,
} from '#contracts/names.ts';
import { RecoveringDetail } from '#contracts/outbound.ts';
import { HealthEventDetail, retiringTaskArns } from '#core/health-event.ts';
import { ec2ResourceId } from '#core/workspace-data.ts';

/** One parsed lifecycle event. */
export type LifecycleEvent =
  | { readonly kind: 'restart'; readonly detail: RestartRequestedDetail; readonly idempotencyKey: string }
  | { readonly kind: 'status'; readonly detail: StatusRequestedDetail; readonly idempotencyKey: string }
  | { readonly kind: 'recovering'; readonly detail: RecoveringDetail; readonly idempotencyKey: string }
  | { readonly kind: 'retirement'; readonly taskArns: readonly string[]; readonly idempotencyKey: string }
  | {
      readonly kind: 'data-task-stopped';
      readonly detail: EcsTaskStateChangeDetail;
      readonly idempotencyKey: string;
    }
  | {
      readonly kind: 'data-snapshot';
      readonly detail: EbsSnapshotNotificationDetail;
      readonly idempotencyKey: string;
    };

const restart = eventBridgeEventOf(RestartRequestedDetail).transform(
  (event): LifecycleEvent => ({
    kind: 'restart',
    detail: event.detail,
    idempotencyKey: `restart:${event.detail.requestId}`,
  }),
);
const status = eventBridgeEventOf(StatusRequestedDetail).transform(
  (event): LifecycleEvent => ({
    kind: 'status',
    detail: event.detail,
    idempotencyKey: `status:${event.detail.requestId}`,
  }),
);
const recovering = eventBridgeEventOf(RecoveringDetail).transform(
  (event): LifecycleEvent => ({
    kind: 'recovering',
    detail: event.detail,
    idempotencyKey: `recovering:${event.detail.workspaceId}:${event.detail.attempt}:${event.detail.previousTaskArn ?? ''}`,
  }),
);
const retirement = eventBridgeEventOf(HealthEventDetail).transform(
  (event): LifecycleEvent => ({
    kind: 'retirement',
    taskArns: retiringTaskArns(event.detail),
    idempotencyKey: `retirement:${event.id}`,
  }),
);

const dataTaskStopped = eventBridgeEventOf(EcsTaskStateChangeDetail)
  .extend({ source: z.literal(ECS_SOURCE) })
  .transform(
    (event): LifecycleEvent => ({
      kind: 'data-task-stopped',
      detail: event.detail,
      idempotencyKey: `data-save:${event.detail.taskArn}`,
    }),
  );
const dataSnapshot = eventBridgeEventOf(EbsSnapshotNotificationDetail)
  .extend({ source: z.literal(EC2_SOURCE) })
  .transform(
    (event): LifecycleEvent => ({
      kind: 'data-snapshot',
      detail: event.detail,
      idempotencyKey: `data-snapshot:${ec2ResourceId(event.detail.snapshot_id)}:${event.detail.result}`,
    }),
  );

/** The schema for an event's detail-type; undefined for one no lifecycle rule routes. */
export function lifecycleSchemaFor(detailType: unknown): z.ZodType<LifecycleEvent> | undefined {
  switch (detailType) {
    case DETAIL_TYPES.restartRequested:
      return restart;
    case DETAIL_TYPES.statusRequested:
      return status;
    case DETAIL_TYPES.recovering:
      return recovering;
    case HEALTH_DETAIL_TYPE:
      return retirement;
    case ECS_TASK_STATE_CHANGE:
      return dataTaskStopped;
    case EBS_SNAPSHOT_NOTIFICATION:
      return dataSnapshot;
    default:
      return undefined;
  }
}

/** AWS Health's detail-type on EventBridge. */
export const HEALTH_DETAIL_TYPE = 'AWS Health Event';

/** The parsed event, or the issues that kept it from parsing. */
export function parseLifecycleEvent(
  event: unknown,
):
  | { readonly success: true; readonly data: LifecycleEvent }
  | { readonly success: false; readonly error: ParseError } {
  const detailType = (event as { 'detail-type'?: unknown } | null)?.['detail-type'];
  const schema = lifecycleSchemaFor(detailType);
  if (!schema)
    return {
      success: false,
      error: new ParseError(`no lifecycle rule routes detail-type ${JSON.stringify(detailType)}`),
    };
  const parsed = schema.safeParse(event);
  // As Powertools' parser fails: a ParseError whose cause is the ZodError, issue paths from the envelope.
  return parsed.success
    ? { success: true, data: parsed.data }
    : {
        success: false,
        error: new ParseError('Failed to parse EventBridge envelope', { cause: parsed.error }),
      };
}
