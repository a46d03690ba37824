/** Amazon SQS (AWS JSON 1.0) over the local stack's dead-letter tables. */
export {
  createDeadLetterQueues,
  DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
  type DeadLetter,
  type DeadLetterMailbox,
  type DeadLetterQueues,
  type DeadLetterQueuesOptions,
  messageIdOf,
} from './dead-letter-queues.ts';
export * from './errors.ts';
export { type MessageAttribute, md5OfBody, md5OfMessageAttributes } from './md5.ts';
export {
  answerSqs,
  type RouteRequest,
  SQS_OPERATIONS,
  SQS_TARGET_PREFIX,
  sqsRoute,
  type WireAnswer,
} from './sqs-endpoint.ts';
