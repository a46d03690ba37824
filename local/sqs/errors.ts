/**
 * The errors the local SQS endpoint answers with. SQS speaks AWS JSON 1.0 in "query-compatible"
 * mode: an error carries its JSON shape id in `__type` and its legacy query code in the
 * `x-amzn-query-error: <code>;Sender` header, and the SDK resolves either to the same exception
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html).
 */

/** Base of the local SQS endpoint's errors; `cause` flows through. */
export class SqsError extends Error {
  /** Smithy shape name: `__type` is `com.amazonaws.sqs#<shape>`. */
  readonly shape: string;
  /** The legacy query error code, sent in `x-amzn-query-error`. */
  readonly queryCode: string;
  readonly statusCode: number;

  constructor(shape: string, queryCode: string, message: string, statusCode = 400, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SqsError';
    this.shape = shape;
    this.queryCode = queryCode;
    this.statusCode = statusCode;
  }
}

/** The queue URL or name names no queue of the stack. */
export class QueueDoesNotExistError extends SqsError {
  constructor(options?: ErrorOptions) {
    super(
      'QueueDoesNotExist',
      'AWS.SimpleQueueService.NonExistentQueue',
      'The specified queue does not exist.',
      400,
      options,
    );
    this.name = 'QueueDoesNotExistError';
  }
}

/** A receipt handle this endpoint did not hand out (SQS models it as HTTP 404). */
export class ReceiptHandleIsInvalidError extends SqsError {
  constructor(receiptHandle: string, options?: ErrorOptions) {
    super(
      'ReceiptHandleIsInvalid',
      'ReceiptHandleIsInvalid',
      `The input receipt handle "${receiptHandle.slice(0, 64)}" is not a valid receipt handle.`,
      404,
      options,
    );
    this.name = 'ReceiptHandleIsInvalidError';
  }
}

/** ChangeMessageVisibility on a message that is not in flight. */
export class MessageNotInflightError extends SqsError {
  constructor(options?: ErrorOptions) {
    super(
      'MessageNotInflight',
      'AWS.SimpleQueueService.MessageNotInflight',
      'The message referred to is not in flight.',
      400,
      options,
    );
    this.name = 'MessageNotInflightError';
  }
}

/** A parameter is missing or out of its documented range. */
export class InvalidParameterValueError extends SqsError {
  constructor(message: string, options?: ErrorOptions) {
    super('InvalidParameterValue', 'InvalidParameterValue', message, 400, options);
    this.name = 'InvalidParameterValueError';
  }
}

/** GetQueueAttributes asked for an attribute the queue does not have. */
export class InvalidAttributeNameError extends SqsError {
  constructor(name: string, options?: ErrorOptions) {
    super('InvalidAttributeName', 'InvalidAttributeName', `Unknown Attribute ${name}.`, 400, options);
    this.name = 'InvalidAttributeNameError';
  }
}

/** An SQS operation the local stack does not serve (it serves its dead-letter queues only). */
export class UnsupportedOperationError extends SqsError {
  constructor(operation: string, options?: ErrorOptions) {
    super(
      'UnsupportedOperation',
      'AWS.SimpleQueueService.UnsupportedOperation',
      `The local stack does not serve ${operation}: it serves its dead-letter queues for reading and redrive only.`,
      400,
      options,
    );
    this.name = 'UnsupportedOperationError';
  }
}
