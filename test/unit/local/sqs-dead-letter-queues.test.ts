import { describe, expect, it } from 'vitest';
import {
  createDeadLetterQueues,
  type DeadLetter,
  type DeadLetterMailbox,
  InvalidAttributeNameError,
  InvalidParameterValueError,
  MessageNotInflightError,
  md5OfBody,
  md5OfMessageAttributes,
  QueueDoesNotExistError,
  ReceiptHandleIsInvalidError,
} from '#local/sqs/index.ts';

const ENDPOINT = 'http://127.0.0.1:4010';
const ACCOUNT = '000000000000';

function mailbox(queueName: string, letters: DeadLetter[]): DeadLetterMailbox & { letters: DeadLetter[] } {
  const box = {
    queueName,
    letters,
    list: () => [...box.letters],
    remove(key: string) {
      const before = box.letters.length;
      box.letters = box.letters.filter((letter) => letter.key !== key);
      return box.letters.length < before;
    },
  };
  return box;
}

const letter = (key: string, body: string, sentAt = 1_000): DeadLetter => ({
  key,
  body,
  sentAt,
  attributes: {
    RequestID: { DataType: 'String', StringValue: `req-${key}` },
    ErrorCode: { DataType: 'Number', StringValue: '200' },
    ErrorMessage: { DataType: 'String', StringValue: 'boom' },
  },
});

function setUp(letters = [letter('1', '{"a":1}'), letter('2', '{"b":"ü"}'), letter('3', '{}')]) {
  let clock = 10_000;
  const fns = mailbox('Stack-deprovision-dlq', letters);
  const targets = mailbox('Stack-ProvisionRequested-target-dlq', []);
  const queues = createDeadLetterQueues({
    mailboxes: [targets, fns],
    region: 'us-east-1',
    account: ACCOUNT,
    endpointUrl: () => ENDPOINT,
    now: () => clock,
  });
  const url = `${ENDPOINT}/${ACCOUNT}/Stack-deprovision-dlq`;
  return {
    queues,
    fns,
    url,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('SQS MD5 digests', () => {
  // Test vector of the documented algorithm, as published with the npm package
  // aws-md5-of-message-attributes (README); the algorithm is SQS's:
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
  it.each([
    [
      { attribName1: { DataType: 'String', StringValue: 'attribValue 1' } },
      '19e27d4e946b072f3f58da80d94fd778',
    ],
    [{}, undefined],
  ])('digests the message attributes %j as SQS does', (attributes, digest) => {
    expect(md5OfMessageAttributes(attributes)).toBe(digest);
  });

  it.each([
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
  ])('digests the body %j as hex MD5 of its UTF-8 bytes (RFC 1321 test suite)', (body, digest) => {
    expect(md5OfBody(body)).toBe(digest);
  });
});

describe('local SQS over dead-letter tables', () => {
  it('lists the queues, filtered by prefix, with URLs on the local endpoint', () => {
    const { queues } = setUp();
    expect(queues.listQueues({})).toEqual({
      QueueUrls: [
        `${ENDPOINT}/${ACCOUNT}/Stack-ProvisionRequested-target-dlq`,
        `${ENDPOINT}/${ACCOUNT}/Stack-deprovision-dlq`,
      ],
    });
    expect(queues.listQueues({ QueueNamePrefix: 'Stack-dep' })).toEqual({
      QueueUrls: [`${ENDPOINT}/${ACCOUNT}/Stack-deprovision-dlq`],
    });
    expect(queues.listQueues({ QueueNamePrefix: 'Other' })).toEqual({});
  });

  it('pages ListQueues with MaxResults and NextToken', () => {
    const { queues } = setUp();
    const first = queues.listQueues({ MaxResults: 1 });
    expect(first.QueueUrls).toHaveLength(1);
    expect(first.NextToken).toBeDefined();
    const second = queues.listQueues({ MaxResults: 1, NextToken: first.NextToken });
    expect(second.QueueUrls).toEqual([`${ENDPOINT}/${ACCOUNT}/Stack-deprovision-dlq`]);
    expect(second.NextToken).toBeUndefined();
  });

  it('finds a queue URL by name, and refuses an unknown name or owner', () => {
    const { queues, url } = setUp();
    expect(queues.getQueueUrl({ QueueName: 'Stack-deprovision-dlq' })).toEqual({ QueueUrl: url });
    expect(() => queues.getQueueUrl({ QueueName: 'nope' })).toThrow(QueueDoesNotExistError);
    expect(() =>
      queues.getQueueUrl({ QueueName: 'Stack-deprovision-dlq', QueueOwnerAWSAccountId: '111122223333' }),
    ).toThrow(QueueDoesNotExistError);
  });

  it('counts visible and in-flight messages and gives the queue ARN, all as strings', () => {
    const { queues, url } = setUp();
    queues.receiveMessage({ QueueUrl: url, MaxNumberOfMessages: 1 });
    expect(
      queues.getQueueAttributes({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'QueueArn'],
      }),
    ).toEqual({
      Attributes: {
        ApproximateNumberOfMessages: '2',
        ApproximateNumberOfMessagesNotVisible: '1',
        QueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:Stack-deprovision-dlq`,
      },
    });
    expect(
      Object.keys(queues.getQueueAttributes({ QueueUrl: url, AttributeNames: ['All'] }).Attributes),
    ).toContain('QueueArn');
    expect(() => queues.getQueueAttributes({ QueueUrl: url, AttributeNames: ['Nope'] })).toThrow(
      InvalidAttributeNameError,
    );
  });

  it.each([
    [`${ENDPOINT}/${ACCOUNT}/nope`],
    [`${ENDPOINT}/111122223333/Stack-deprovision-dlq`],
    [`${ENDPOINT}/${ACCOUNT}/Stack-deprovision-dlq/extra`],
    ['not a url'],
  ])('answers QueueDoesNotExist for %s', (QueueUrl) => {
    const { queues } = setUp();
    expect(() => queues.receiveMessage({ QueueUrl })).toThrow(QueueDoesNotExistError);
  });

  it('accepts the queue URL on another host name of the endpoint', () => {
    const { queues } = setUp();
    expect(
      queues.receiveMessage({ QueueUrl: `http://localhost:4010/${ACCOUNT}/Stack-deprovision-dlq` }).Messages,
    ).toHaveLength(1);
  });

  it('receives oldest first, with the body, its MD5 and the requested attributes', () => {
    const { queues, url } = setUp();
    const { Messages } = queues.receiveMessage({
      QueueUrl: url,
      MaxNumberOfMessages: 2,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
    });
    expect(Messages?.map((message) => message.Body)).toEqual(['{"a":1}', '{"b":"ü"}']);
    const second = Messages?.[1];
    expect(second?.MD5OfBody).toBe(md5OfBody('{"b":"ü"}'));
    expect(second?.Attributes).toEqual({ SentTimestamp: '1000', ApproximateReceiveCount: '1' });
    expect(second?.MessageAttributes).toEqual(letter('2', '').attributes);
    expect(second?.MD5OfMessageAttributes).toBe(md5OfMessageAttributes(letter('2', '').attributes));
  });

  it('returns only the message attributes asked for, by name or prefix, and none unasked', () => {
    const { queues, url, advance } = setUp();
    const named = queues.receiveMessage({ QueueUrl: url, MessageAttributeNames: ['RequestID'] })
      .Messages?.[0];
    expect(Object.keys(named?.MessageAttributes ?? {})).toEqual(['RequestID']);
    advance(31_000);
    // A prefix filter is `<prefix>.*` and takes the dot with it: `Error.*` is not `ErrorCode`.
    const prefixed = queues.receiveMessage({ QueueUrl: url, MessageAttributeNames: ['Error.*'] })
      .Messages?.[0];
    expect(prefixed?.MessageAttributes).toBeUndefined();
    advance(31_000);
    const everything = queues.receiveMessage({ QueueUrl: url, MessageAttributeNames: ['.*'] }).Messages?.[0];
    expect(Object.keys(everything?.MessageAttributes ?? {}).sort()).toEqual([
      'ErrorCode',
      'ErrorMessage',
      'RequestID',
    ]);
    advance(31_000);
    const none = queues.receiveMessage({ QueueUrl: url }).Messages?.[0];
    expect(none?.MessageAttributes).toBeUndefined();
    expect(none?.MD5OfMessageAttributes).toBeUndefined();
    expect(none?.Attributes).toBeUndefined();
  });

  it('hides a received message for the visibility timeout, then shows it again with a higher receive count', () => {
    const { queues, url, advance } = setUp([letter('1', '{}')]);
    const first = queues.receiveMessage({ QueueUrl: url, VisibilityTimeout: 5, AttributeNames: ['All'] });
    expect(first.Messages).toHaveLength(1);
    expect(queues.receiveMessage({ QueueUrl: url })).toEqual({});
    advance(4_999);
    expect(queues.receiveMessage({ QueueUrl: url })).toEqual({});
    advance(1);
    const again = queues.receiveMessage({ QueueUrl: url, AttributeNames: ['All'] }).Messages?.[0];
    expect(again?.MessageId).toBe(first.Messages?.[0]?.MessageId);
    expect(again?.ReceiptHandle).not.toBe(first.Messages?.[0]?.ReceiptHandle);
    expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(again?.Attributes?.ApproximateFirstReceiveTimestamp).toBe(
      first.Messages?.[0]?.Attributes?.ApproximateFirstReceiveTimestamp,
    );
  });

  it('makes a message visible again at once with ChangeMessageVisibility 0', () => {
    const { queues, url } = setUp([letter('1', '{}')]);
    const received = queues.receiveMessage({ QueueUrl: url }).Messages?.[0];
    queues.changeMessageVisibility({
      QueueUrl: url,
      ReceiptHandle: received?.ReceiptHandle,
      VisibilityTimeout: 0,
    });
    expect(queues.receiveMessage({ QueueUrl: url }).Messages).toHaveLength(1);
  });

  it('refuses ChangeMessageVisibility on a message not in flight', () => {
    const { queues, url, advance } = setUp([letter('1', '{}')]);
    const received = queues.receiveMessage({ QueueUrl: url, VisibilityTimeout: 1 }).Messages?.[0];
    advance(1_000);
    expect(() =>
      queues.changeMessageVisibility({
        QueueUrl: url,
        ReceiptHandle: received?.ReceiptHandle,
        VisibilityTimeout: 5,
      }),
    ).toThrow(MessageNotInflightError);
  });

  it('deletes by receipt handle: the row leaves the table, and a second delete still succeeds', () => {
    const { queues, url, fns } = setUp();
    const received = queues.receiveMessage({ QueueUrl: url }).Messages?.[0];
    expect(queues.deleteMessage({ QueueUrl: url, ReceiptHandle: received?.ReceiptHandle })).toEqual({});
    expect(fns.letters.map((row) => row.key)).toEqual(['2', '3']);
    expect(queues.deleteMessage({ QueueUrl: url, ReceiptHandle: received?.ReceiptHandle })).toEqual({});
    expect(fns.letters).toHaveLength(2);
  });

  it('refuses a receipt handle it did not hand out, or one of another queue', () => {
    const { queues, url } = setUp();
    expect(() => queues.deleteMessage({ QueueUrl: url, ReceiptHandle: 'garbage' })).toThrow(
      ReceiptHandleIsInvalidError,
    );
    const handle = Buffer.from(JSON.stringify(['Stack-ProvisionRequested-target-dlq', '1', 'n'])).toString(
      'base64url',
    );
    expect(() => queues.deleteMessage({ QueueUrl: url, ReceiptHandle: handle })).toThrow(
      ReceiptHandleIsInvalidError,
    );
  });

  it.each([
    [{ MaxNumberOfMessages: 0 }],
    [{ MaxNumberOfMessages: 11 }],
    [{ VisibilityTimeout: -1 }],
    [{ VisibilityTimeout: 43_201 }],
    [{ WaitTimeSeconds: 21 }],
    [{ MessageAttributeNames: 'All' }],
  ])('refuses ReceiveMessage with %j', (extra) => {
    const { queues, url } = setUp();
    expect(() => queues.receiveMessage({ QueueUrl: url, ...extra })).toThrow(InvalidParameterValueError);
  });

  it('answers an empty queue with no Messages member', () => {
    const { queues } = setUp();
    expect(
      queues.receiveMessage({
        QueueUrl: `${ENDPOINT}/${ACCOUNT}/Stack-ProvisionRequested-target-dlq`,
        WaitTimeSeconds: 20,
      }),
    ).toEqual({});
  });
});
