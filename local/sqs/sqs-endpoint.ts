/**
 * The SQS wire protocol in front of {@link DeadLetterQueues}: AWS JSON 1.0 requests
 * (`POST /`, `X-Amz-Target: AmazonSQS.<Operation>`) in, answers with the status, headers and body
 * SQS gives, errors in its query-compatible form. The server hands it the operation and the body;
 * it needs nothing else of HTTP.
 */
import type { DeadLetterQueues } from './dead-letter-queues.ts';
import { InvalidParameterValueError, SqsError, UnsupportedOperationError } from './errors.ts';

/** `X-Amz-Target` prefix of SQS's JSON protocol. */
export const SQS_TARGET_PREFIX = 'AmazonSQS';

const JSON_1_0 = 'application/x-amz-json-1.0';

/** An answer for the server to write as it is. */
export interface WireAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

type Operation = (queues: DeadLetterQueues, input: unknown) => unknown;

const OPERATIONS: ReadonlyMap<string, Operation> = new Map<string, Operation>([
  ['ListQueues', (queues, input) => queues.listQueues(input)],
  ['GetQueueUrl', (queues, input) => queues.getQueueUrl(input)],
  ['GetQueueAttributes', (queues, input) => queues.getQueueAttributes(input)],
  ['ReceiveMessage', (queues, input) => queues.receiveMessage(input)],
  ['ChangeMessageVisibility', (queues, input) => queues.changeMessageVisibility(input)],
  ['DeleteMessage', (queues, input) => queues.deleteMessage(input)],
]);

/** The operations the local stack serves, for its documentation and tests. */
export const SQS_OPERATIONS: readonly string[] = [...OPERATIONS.keys()];

/**
 * Answers one SQS request. A modelled failure is `HTTP 4xx` with
 * `{"__type": "com.amazonaws.sqs#<Shape>", "message"}` and `x-amzn-query-error: <code>;Sender`
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html);
 * anything else is a 500 `InternalError` and goes to `log`.
 */
export function answerSqs(
  queues: DeadLetterQueues,
  operationName: string,
  body: Buffer,
  log: (line: string) => void = () => {},
): WireAnswer {
  try {
    const operation = OPERATIONS.get(operationName);
    if (!operation) throw new UnsupportedOperationError(operationName || '(no operation)');
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new InvalidParameterValueError('The request body is not valid JSON.', { cause: error });
    }
    return {
      status: 200,
      headers: { 'content-type': JSON_1_0 },
      body: JSON.stringify(operation(queues, input)),
    };
  } catch (error) {
    if (error instanceof SqsError) return errorAnswer(error, 'Sender');
    log(
      `sqs ${operationName} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return errorAnswer(
      new SqsError('InternalError', 'InternalError', 'The local stack failed to handle the request.', 500),
      'Receiver',
    );
  }
}

function errorAnswer(error: SqsError, fault: 'Sender' | 'Receiver'): WireAnswer {
  return {
    status: error.statusCode,
    headers: { 'content-type': JSON_1_0, 'x-amzn-query-error': `${error.queryCode};${fault}` },
    body: JSON.stringify({ __type: `com.amazonaws.sqs#${error.shape}`, message: error.message }),
  };
}

/** What the endpoint tells a route about a request. */
export interface RouteRequest {
  readonly method: string;
  readonly url: URL;
  /** `X-Amz-Target`, when sent. */
  readonly target: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/**
 * SQS as a route of the local endpoint: `POST /` with `X-Amz-Target: AmazonSQS.<Operation>`.
 *
 * @example createLocalServer({ ..., routes: [sqsRoute(queues, log)] })
 */
export function sqsRoute(queues: DeadLetterQueues, log?: (line: string) => void) {
  return {
    matches: (request: Omit<RouteRequest, 'body' | 'headers'>): boolean =>
      request.method === 'POST' &&
      request.url.pathname === '/' &&
      request.target?.startsWith(`${SQS_TARGET_PREFIX}.`) === true,
    answer: (request: RouteRequest): WireAnswer =>
      answerSqs(queues, (request.target ?? '').slice(SQS_TARGET_PREFIX.length + 1), request.body, log),
  };
}
