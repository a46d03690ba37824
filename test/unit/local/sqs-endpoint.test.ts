import { describe, expect, it } from 'vitest';
import { answerSqs, createDeadLetterQueues, SQS_OPERATIONS } from '#local/sqs/index.ts';

const queues = createDeadLetterQueues({
  mailboxes: [{ queueName: 'q1', list: () => [], remove: () => false }],
  region: 'us-east-1',
  account: '000000000000',
  endpointUrl: () => 'http://127.0.0.1:4010',
});
const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('SQS AWS JSON 1.0 answers', () => {
  it('answers 200 with the operation output as application/x-amz-json-1.0', () => {
    const answer = answerSqs(queues, 'GetQueueUrl', body({ QueueName: 'q1' }));
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(JSON.parse(answer.body)).toEqual({ QueueUrl: 'http://127.0.0.1:4010/000000000000/q1' });
  });

  // The documented error of a missing queue, word for word:
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html
  it('answers an unknown queue as SQS does: 400, __type and x-amzn-query-error', () => {
    const answer = answerSqs(queues, 'GetQueueUrl', body({ QueueName: 'nope' }));
    expect(answer.status).toBe(400);
    expect(answer.headers['x-amzn-query-error']).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
    expect(JSON.parse(answer.body)).toEqual({
      __type: 'com.amazonaws.sqs#QueueDoesNotExist',
      message: 'The specified queue does not exist.',
    });
  });

  it.each([
    [
      'SendMessage',
      'com.amazonaws.sqs#UnsupportedOperation',
      'AWS.SimpleQueueService.UnsupportedOperation;Sender',
      400,
    ],
    ['DeleteMessage', 'com.amazonaws.sqs#ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid;Sender', 404],
  ])('answers %s with %s', (operation, type, queryError, status) => {
    const answer = answerSqs(
      queues,
      operation,
      body({ QueueUrl: 'http://127.0.0.1:4010/000000000000/q1', ReceiptHandle: 'x', MessageBody: 'x' }),
    );
    expect(answer.status).toBe(status);
    expect(answer.headers['x-amzn-query-error']).toBe(queryError);
    expect(JSON.parse(answer.body).__type).toBe(type);
  });

  it('refuses a body that is not JSON', () => {
    const answer = answerSqs(queues, 'ListQueues', Buffer.from('{'));
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).__type).toBe('com.amazonaws.sqs#InvalidParameterValue');
  });

  it('answers a failure of its own with 500 InternalError and logs it', () => {
    const lines: string[] = [];
    const broken = createDeadLetterQueues({
      mailboxes: [
        {
          queueName: 'q1',
          list: () => {
            throw new Error('disk on fire');
          },
          remove: () => false,
        },
      ],
      region: 'us-east-1',
      account: '000000000000',
      endpointUrl: () => 'http://127.0.0.1:4010',
    });
    const answer = answerSqs(
      broken,
      'ReceiveMessage',
      body({ QueueUrl: 'http://127.0.0.1:4010/000000000000/q1' }),
      (line) => lines.push(line),
    );
    expect(answer.status).toBe(500);
    expect(answer.headers['x-amzn-query-error']).toBe('InternalError;Receiver');
    expect(lines.join('\n')).toContain('disk on fire');
  });

  it('serves the operations a dead-letter tool needs', () => {
    expect([...SQS_OPERATIONS].sort()).toEqual(
      [
        'ChangeMessageVisibility',
        'DeleteMessage',
        'GetQueueAttributes',
        'GetQueueUrl',
        'ListQueues',
        'ReceiveMessage',
      ].sort(),
    );
  });
});
