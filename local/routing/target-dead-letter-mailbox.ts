/**
 * The router's target dead-letter table (`target_dead_letters`) seen as the SQS queues EventBridge
 * would have written: one queue per rule, named as deployed, the event envelope as the body and
 * the message attributes EventBridge puts on a rule-target dead letter
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html).
 */
import type { StatementSync } from 'node:sqlite';
import type { LocalDatabase } from '#local/interfaces.ts';
import type { DeadLetter, DeadLetterMailbox } from '#local/sqs/index.ts';
import { DEAD_LETTER_QUEUES, functionPhysicalName } from '#wiring/dead-letter-queues.ts';
import { AWS_DEFAULT_BUS } from '#wiring/names.ts';
import type { Route } from './routes.ts';

interface Row {
  seq: number;
  route_id: string;
  target: string;
  envelope: string;
  error_code: string;
  error_message: string;
  attempts: number;
  dead_lettered_at: number;
}

/**
 * EventBridge's `ERROR_CODE` for the router's refusal codes; the local code stays in
 * `ERROR_MESSAGE`. Documented codes: eb-rule-dlq.html (NO_RESOURCE, THROTTLING, INTERNAL_ERROR, ...).
 */
const EVENTBRIDGE_ERROR_CODES: Readonly<Record<string, string>> = {
  ResourceNotFoundException: 'NO_RESOURCE',
  AccessDeniedException: 'NO_PERMISSIONS',
  TooManyRequestsException: 'THROTTLING',
  ThrottlingException: 'THROTTLING',
  ServiceUnavailable: 'INTERNAL_ERROR',
  InternalFailure: 'INTERNAL_ERROR',
};

export interface TargetDeadLetterMailboxOptions {
  readonly database: LocalDatabase;
  /** The routes; a rule's bus and retry policy come from its route. */
  readonly routes: readonly Route[];
  readonly region: string;
  readonly account: string;
}

/** One mailbox per rule-target dead-letter queue of wiring/dead-letter-queues.ts. */
export function targetDeadLetterMailboxes(options: TargetDeadLetterMailboxOptions): DeadLetterMailbox[] {
  const { database, region, account } = options;
  let statements: { list: StatementSync; remove: StatementSync } | undefined;
  // Prepared on first use: the table is the router's, created when the router's store opens.
  const prepared = () => {
    statements ??= {
      list: database.db.prepare(
        'SELECT * FROM target_dead_letters WHERE route_id = ? ORDER BY dead_lettered_at, seq',
      ),
      remove: database.db.prepare('DELETE FROM target_dead_letters WHERE route_id = ? AND seq = ?'),
    };
    return statements;
  };
  return DEAD_LETTER_QUEUES.filter((queue) => queue.source === 'rule-target').map((queue) => {
    const flowId = queue.flowId as string;
    const route = options.routes.find((candidate) => candidate.id === flowId);
    const bus = route?.bus ?? AWS_DEFAULT_BUS;
    const ruleArn = `arn:aws:events:${region}:${account}:rule/${bus === AWS_DEFAULT_BUS ? '' : `${bus}/`}${flowId}`;
    const targetArn = `arn:aws:lambda:${region}:${account}:function:${functionPhysicalName(queue.handledBy)}`;
    const toLetter = (row: Row): DeadLetter => {
      const condition = exhaustedCondition(row.attempts, route);
      return {
        key: String(row.seq),
        body: row.envelope,
        sentAt: row.dead_lettered_at,
        attributes: {
          RULE_ARN: { DataType: 'String', StringValue: ruleArn },
          TARGET_ARN: { DataType: 'String', StringValue: targetArn },
          ERROR_CODE: {
            DataType: 'String',
            StringValue: EVENTBRIDGE_ERROR_CODES[row.error_code] ?? 'UNKNOWN',
          },
          ERROR_MESSAGE: { DataType: 'String', StringValue: `${row.error_code}: ${row.error_message}` },
          ...(condition ? { EXHAUSTED_RETRY_CONDITION: { DataType: 'String', StringValue: condition } } : {}),
          RETRY_ATTEMPTS: { DataType: 'String', StringValue: String(Math.max(0, row.attempts - 1)) },
        },
      };
    };
    return {
      queueName: queue.queueName,
      list: () => (prepared().list.all(flowId) as unknown as Row[]).map(toLetter),
      remove: (key) => Number(prepared().remove.run(flowId, Number(key)).changes) > 0,
    };
  });
}

/**
 * Which RetryPolicy limit ran out: the attempts, or (retried, but fewer times than allowed) the
 * event's age. A refusal on the first attempt was not retryable (a missing function, no
 * permission), which EventBridge dead-letters at once; no retry condition applies, so the
 * attribute is left out.
 */
function exhaustedCondition(attempts: number, route: Route | undefined): string | undefined {
  if (route && attempts > route.retryPolicy.maximumRetryAttempts) return 'MaximumRetryAttempts';
  if (attempts > 1) return 'MaximumEventAgeInSeconds';
  return undefined;
}
