/**
 * The event AWS Health puts on an account's default bus when it schedules a change to resources of
 * the account, such as Fargate's retirement of tasks (`AWS_ECS_TASK_PATCHING_RETIREMENT`), for
 * `POST /local/simulate/health-event`.
 *
 * The shape follows "Reference: AWS Health events Amazon EventBridge schema"
 * (https://docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html): source
 * `aws.health`, detail-type `AWS Health Event`, the envelope's `resources` listing the affected
 * resources, and a `detail` with `eventArn`, `service`, `eventTypeCode`, `eventTypeCategory`,
 * `eventScopeCode`, `communicationId`, `startTime`, `endTime`, `lastUpdatedTime`, `statusCode`,
 * `eventRegion`, `eventDescription` (`[{language, latestDescription}]`), `affectedEntities`
 * (`[{entityValue, lastUpdatedTime}]`) and `affectedAccount`; its sample payloads write the detail's
 * times as HTTP dates ("Fri, 3 Jun 2022 06:27:57 GMT"). The event ARN has the
 * `arn:aws:health:event-region::event/SERVICE/EVENT_TYPE_CODE/EVENT_TYPE_PLUS_ID` format
 * (https://docs.aws.amazon.com/health/latest/APIReference/API_AffectedEntity.html).
 */
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '#local/interfaces.ts';
import { envelopeTime } from '#local/wire/envelope-time.ts';
import { SimulationInputError } from './errors.ts';

export const HEALTH_SOURCE = 'aws.health';
export const HEALTH_DETAIL_TYPE = 'AWS Health Event';

/** Event type codes are upper-case words joined by `_`, as `AWS_ECS_TASK_PATCHING_RETIREMENT`. */
const EVENT_TYPE_CODE = /^[A-Z0-9_]{1,100}$/;
/** The most task ARNs one simulated event names. */
export const MAX_HEALTH_EVENT_TASKS = 100;
/** `AffectedEntity.entityValue`: "Length Constraints: Maximum length of 1024" (API_AffectedEntity.html). */
const MAX_ENTITY_VALUE_CHARS = 1024;

/**
 * Fargate's default wait between the retirement notice and the retirement: "7 - AWS sends the
 * notification, and waits 7 calendar days before starting to retire the affected tasks. This is the
 * default" (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/prepare-task-retirement.html).
 */
const RETIREMENT_WAIT_MS = 7 * 24 * 60 * 60 * 1000;
/** The window a simulated notice gives the change; AWS names one in each notice, this is an example. */
const CHANGE_WINDOW_MS = 24 * 60 * 60 * 1000;

/** A validated `POST /local/simulate/health-event` body. */
export interface HealthEventRequest {
  readonly eventTypeCode: string;
  readonly taskArns: readonly string[];
}

const REQUEST_SHAPE = '{"eventTypeCode": "AWS_ECS_TASK_PATCHING_RETIREMENT", "taskArns": ["..."]}';

export { REQUEST_SHAPE as HEALTH_EVENT_REQUEST_SHAPE };

/**
 * Checks a health-event request, collecting every problem.
 *
 * @throws SimulationInputError listing each bad field.
 */
export function parseHealthEventRequest(body: Record<string, unknown>): HealthEventRequest {
  const problems: string[] = [];
  const { eventTypeCode, taskArns } = body;
  if (typeof eventTypeCode !== 'string' || !EVENT_TYPE_CODE.test(eventTypeCode)) {
    problems.push(
      'eventTypeCode must be 1 to 100 characters of A-Z, 0-9 and _ (like AWS_ECS_TASK_PATCHING_RETIREMENT)',
    );
  }
  if (!Array.isArray(taskArns) || taskArns.length === 0 || taskArns.length > MAX_HEALTH_EVENT_TASKS) {
    problems.push(`taskArns must be a list of 1 to ${MAX_HEALTH_EVENT_TASKS} task ARNs`);
  } else {
    taskArns.forEach((taskArn: unknown, index) => {
      if (typeof taskArn !== 'string' || taskArn.trim() === '' || taskArn.length > MAX_ENTITY_VALUE_CHARS) {
        problems.push(
          `taskArns[${index}] must be a non-empty string of at most ${MAX_ENTITY_VALUE_CHARS} characters`,
        );
      }
    });
  }
  if (problems.length > 0) {
    throw new SimulationInputError(`The health event is not valid: ${REQUEST_SHAPE}`, problems);
  }
  return { eventTypeCode: eventTypeCode as string, taskArns: [...(taskArns as string[])] };
}

/** The detail's times, written as the schema's samples write them: "Fri, 3 Jun 2022 06:27:57 GMT". */
export const healthTime = (epochMs: number): string =>
  new Date(epochMs).toUTCString().replace(/^(\w{3}), 0(\d) /, '$1, $2 ');

/** What {@link healthEventEnvelope} needs besides the request. */
export interface HealthEventScope {
  readonly region: string;
  readonly account: string;
  readonly now: number;
}

/** The envelope AWS Health would put on the default bus for `request`: a scheduled change to ECS tasks. */
export function healthEventEnvelope(request: HealthEventRequest, scope: HealthEventScope): EventEnvelope {
  const { region, account, now } = scope;
  const { eventTypeCode, taskArns } = request;
  const start = now + RETIREMENT_WAIT_MS;
  const updated = healthTime(now);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': HEALTH_DETAIL_TYPE,
    source: HEALTH_SOURCE,
    account,
    time: envelopeTime(now),
    region,
    resources: [...taskArns],
    detail: {
      eventArn: `arn:aws:health:${region}::event/ECS/${eventTypeCode}/${eventTypeCode}_${randomUUID()}`,
      service: 'ECS',
      eventTypeCode,
      eventTypeCategory: 'scheduledChange',
      eventScopeCode: 'ACCOUNT_SPECIFIC',
      communicationId: randomUUID().replace(/-/g, ''),
      startTime: healthTime(start),
      endTime: healthTime(start + CHANGE_WINDOW_MS),
      lastUpdatedTime: updated,
      statusCode: 'upcoming',
      eventRegion: region,
      eventDescription: [
        {
          language: 'en_US',
          latestDescription: `Simulated by the local stack: ${eventTypeCode} for ${taskArns.length} task(s) of your account, on or after ${healthTime(start)}.`,
        },
      ],
      affectedEntities: taskArns.map((entityValue) => ({ entityValue, lastUpdatedTime: updated })),
      affectedAccount: account,
    },
  };
}
