/**
 * The invoker's function dead-letter table (`function_dead_letters`) seen as the SQS queues Lambda
 * would have written: one queue per function that keeps one, named as deployed, the original event
 * as the body, and the attributes Lambda puts on an asynchronous-invocation dead letter: `RequestID`,
 * `ErrorCode` (the HTTP status of the invocation, a Number) and `ErrorMessage` (its first 1 KB)
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
 */
import type { StatementSync } from 'node:sqlite';
import type { LocalDatabase } from '#local/interfaces.ts';
import type { DeadLetter, DeadLetterMailbox } from '#local/sqs/index.ts';
import { DEAD_LETTER_QUEUES } from '#wiring/dead-letter-queues.ts';

interface Row {
  invocation_id: number;
  function: string;
  request_id: string;
  payload: string;
  condition: string;
  error_type: string | null;
  error_message: string | null;
  attempts: number;
  dead_lettered_at: number;
}

const ERROR_MESSAGE_BYTES = 1024;

/** One mailbox per function dead-letter queue of wiring/dead-letter-queues.ts. */
export function functionDeadLetterMailboxes(database: LocalDatabase): DeadLetterMailbox[] {
  let statements: { list: StatementSync; remove: StatementSync } | undefined;
  // Prepared on first use: the table is the invoker's, created when the invoker's store opens.
  const prepared = () => {
    statements ??= {
      list: database.db.prepare(
        'SELECT * FROM function_dead_letters WHERE function = ? ORDER BY dead_lettered_at, invocation_id',
      ),
      remove: database.db.prepare(
        'DELETE FROM function_dead_letters WHERE function = ? AND invocation_id = ?',
      ),
    };
    return statements;
  };
  return DEAD_LETTER_QUEUES.filter((queue) => queue.source === 'lambda-async').map((queue) => ({
    queueName: queue.queueName,
    list: () => (prepared().list.all(queue.handledBy) as unknown as Row[]).map(toLetter),
    remove: (key) => Number(prepared().remove.run(queue.handledBy, Number(key)).changes) > 0,
  }));
}

function toLetter(row: Row): DeadLetter {
  // A function error is an invocation that answered 200 with an error; an event that aged out
  // without one was never run (throttled), which Lambda answers with 429.
  const status = row.error_type === null ? '429' : '200';
  const message = row.error_message ?? row.condition;
  return {
    key: String(row.invocation_id),
    body: row.payload,
    sentAt: row.dead_lettered_at,
    attributes: {
      RequestID: { DataType: 'String', StringValue: row.request_id },
      ErrorCode: { DataType: 'Number', StringValue: status },
      ErrorMessage: { DataType: 'String', StringValue: firstBytes(message, ERROR_MESSAGE_BYTES) },
    },
  };
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `bytes`, never splitting a character. */
function firstBytes(text: string, bytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= bytes) return text;
  let end = Math.min(text.length, bytes);
  while (Buffer.byteLength(text.slice(0, end), 'utf8') > bytes) end--;
  if (end > 0 && /[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--;
  return text.slice(0, end);
}
