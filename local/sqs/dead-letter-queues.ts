/**
 * Amazon SQS over the local stack's dead-letter tables: the operations a tool needs to look at
 * dead letters and redrive them (ListQueues, GetQueueUrl, GetQueueAttributes, ReceiveMessage,
 * ChangeMessageVisibility, DeleteMessage), taking and returning SQS's AWS JSON 1.0 wire shapes.
 * The tables stay the truth: a queue is a view of one table's rows, and DeleteMessage removes the
 * row. What SQS keeps per message besides the row (visibility, receive count) lives in memory,
 * so a restart makes every message visible again, as a visibility timeout running out would.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  InvalidAttributeNameError,
  InvalidParameterValueError,
  MessageNotInflightError,
  QueueDoesNotExistError,
  ReceiptHandleIsInvalidError,
} from './errors.ts';
import { type MessageAttribute, md5OfBody, md5OfMessageAttributes } from './md5.ts';

/** One dead letter as a queue holds it. */
export interface DeadLetter {
  /** Stable and unique within its queue (a table's primary key). */
  readonly key: string;
  /** The message body: the event, as AWS writes it to this kind of DLQ. */
  readonly body: string;
  /** When it was dead-lettered (epoch ms): SQS's `SentTimestamp`. */
  readonly sentAt: number;
  readonly attributes: Readonly<Record<string, MessageAttribute>>;
}

/**
 * A dead-letter table seen as a queue. The part that owns the table implements it; the SQS
 * endpoint reads and deletes through it and knows nothing of the tables.
 */
export interface DeadLetterMailbox {
  readonly queueName: string;
  /** The messages, oldest first. */
  list(): readonly DeadLetter[];
  /** Removes a message; false when it was gone already. */
  remove(key: string): boolean;
}

export interface DeadLetterQueuesOptions {
  readonly mailboxes: readonly DeadLetterMailbox[];
  readonly region: string;
  readonly account: string;
  /** The endpoint's own URL (`http://127.0.0.1:4010`): queue URLs are `<url>/<account>/<name>`. */
  readonly endpointUrl: () => string;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The SQS operations, on the wire shapes (`input` is the parsed JSON request body). */
export interface DeadLetterQueues {
  listQueues(input: unknown): { QueueUrls?: string[]; NextToken?: string };
  getQueueUrl(input: unknown): { QueueUrl: string };
  getQueueAttributes(input: unknown): { Attributes: Record<string, string> };
  receiveMessage(input: unknown): { Messages?: WireMessage[] };
  changeMessageVisibility(input: unknown): Record<string, never>;
  deleteMessage(input: unknown): Record<string, never>;
}

/** A received message in SQS's wire shape. */
export interface WireMessage {
  readonly MessageId: string;
  readonly ReceiptHandle: string;
  readonly MD5OfBody: string;
  readonly Body: string;
  readonly Attributes?: Record<string, string>;
  readonly MD5OfMessageAttributes?: string;
  readonly MessageAttributes?: Record<string, MessageAttribute>;
}

/** A queue's default visibility timeout (SQS's default, 30 s). */
export const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;
/** SQS's limits: ReceiveMessage takes 1 to 10 messages, a visibility timeout of 0 to 12 hours. */
const MAX_MESSAGES = 10;
const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;
const MAX_WAIT_SECONDS = 20;
/** What the deployed queues are created with (infra/constructs/dead-letter-queue.ts). */
const RETENTION_SECONDS = 1_209_600;

const SYSTEM_ATTRIBUTES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
] as const;
const QUEUE_ATTRIBUTES = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'SqsManagedSseEnabled',
] as const;

interface InFlight {
  invisibleUntil: number;
  receiveCount: number;
  firstReceivedAt: number;
  nonce: string;
}

/** Creates the SQS operations over the mailboxes. */
export function createDeadLetterQueues(options: DeadLetterQueuesOptions): DeadLetterQueues {
  const { region, account } = options;
  const now = options.now ?? Date.now;
  const mailboxes = new Map(options.mailboxes.map((mailbox) => [mailbox.queueName, mailbox]));
  /** `<queue>\n<key>` -> what SQS knows of a received message. */
  const inFlight = new Map<string, InFlight>();

  const queueUrl = (name: string) => `${options.endpointUrl()}/${account}/${name}`;

  /** The queue a URL names: any host (clients may reach the endpoint by another name), our account. */
  const mailboxAt = (input: Record<string, unknown>): DeadLetterMailbox => {
    const url = requiredString(input, 'QueueUrl');
    const [owner, name, ...rest] = pathOf(url).split('/').filter(Boolean);
    const mailbox = owner === account && rest.length === 0 && name ? mailboxes.get(name) : undefined;
    if (!mailbox) throw new QueueDoesNotExistError();
    return mailbox;
  };

  const stateOf = (mailbox: DeadLetterMailbox, key: string) => inFlight.get(`${mailbox.queueName}\n${key}`);
  const isVisible = (mailbox: DeadLetterMailbox, key: string, at: number) =>
    (stateOf(mailbox, key)?.invisibleUntil ?? 0) <= at;

  /** Forgets the in-memory state of messages whose rows are gone. */
  const prune = (mailbox: DeadLetterMailbox, letters: readonly DeadLetter[]) => {
    const keys = new Set(letters.map((letter) => `${mailbox.queueName}\n${letter.key}`));
    for (const id of inFlight.keys()) {
      if (id.startsWith(`${mailbox.queueName}\n`) && !keys.has(id)) inFlight.delete(id);
    }
  };

  const receiptHandle = (mailbox: DeadLetterMailbox, key: string, nonce: string) =>
    Buffer.from(JSON.stringify([mailbox.queueName, key, nonce]), 'utf8').toString('base64url');

  const decodeReceipt = (mailbox: DeadLetterMailbox, handle: string): { key: string; nonce: string } => {
    try {
      const decoded = JSON.parse(Buffer.from(handle, 'base64url').toString('utf8')) as unknown;
      if (
        Array.isArray(decoded) &&
        decoded.length === 3 &&
        decoded[0] === mailbox.queueName &&
        typeof decoded[1] === 'string' &&
        typeof decoded[2] === 'string'
      ) {
        return { key: decoded[1], nonce: decoded[2] };
      }
    } catch {
      // Falls through to the error below.
    }
    throw new ReceiptHandleIsInvalidError(handle);
  };

  return {
    listQueues(raw) {
      const input = objectInput(raw);
      const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
      const maxResults = optionalInteger(input, 'MaxResults', 1, 1000);
      const token = optionalString(input, 'NextToken');
      const start = token === undefined ? 0 : Number.parseInt(token, 10);
      if (!Number.isInteger(start) || start < 0) throw new InvalidParameterValueError('Invalid NextToken.');
      const names = [...mailboxes.keys()].filter((name) => name.startsWith(prefix));
      // As SQS: without MaxResults, up to 1000 and no token.
      const page = names.slice(start, start + (maxResults ?? 1000));
      const next = start + page.length;
      return {
        ...(page.length > 0 ? { QueueUrls: page.map(queueUrl) } : {}),
        ...(maxResults !== undefined && next < names.length ? { NextToken: String(next) } : {}),
      };
    },

    getQueueUrl(raw) {
      const input = objectInput(raw);
      const name = requiredString(input, 'QueueName');
      const owner = optionalString(input, 'QueueOwnerAWSAccountId');
      if (!mailboxes.has(name) || (owner !== undefined && owner !== account)) {
        throw new QueueDoesNotExistError();
      }
      return { QueueUrl: queueUrl(name) };
    },

    getQueueAttributes(raw) {
      const input = objectInput(raw);
      const mailbox = mailboxAt(input);
      const requested = optionalStrings(input, 'AttributeNames') ?? [];
      const names = requested.includes('All') ? [...QUEUE_ATTRIBUTES] : requested;
      const at = now();
      const letters = mailbox.list();
      prune(mailbox, letters);
      const visible = letters.filter((letter) => isVisible(mailbox, letter.key, at)).length;
      const values: Record<(typeof QUEUE_ATTRIBUTES)[number], string> = {
        QueueArn: `arn:aws:sqs:${region}:${account}:${mailbox.queueName}`,
        ApproximateNumberOfMessages: String(visible),
        ApproximateNumberOfMessagesNotVisible: String(letters.length - visible),
        ApproximateNumberOfMessagesDelayed: '0',
        VisibilityTimeout: String(DEFAULT_VISIBILITY_TIMEOUT_SECONDS),
        MessageRetentionPeriod: String(RETENTION_SECONDS),
        DelaySeconds: '0',
        SqsManagedSseEnabled: 'true',
      };
      const attributes: Record<string, string> = {};
      for (const name of names) {
        if (!(QUEUE_ATTRIBUTES as readonly string[]).includes(name))
          throw new InvalidAttributeNameError(name);
        attributes[name] = values[name as (typeof QUEUE_ATTRIBUTES)[number]];
      }
      return { Attributes: attributes };
    },

    receiveMessage(raw) {
      const input = objectInput(raw);
      const mailbox = mailboxAt(input);
      const max = optionalInteger(input, 'MaxNumberOfMessages', 1, MAX_MESSAGES) ?? 1;
      const visibility =
        optionalInteger(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_TIMEOUT_SECONDS) ??
        DEFAULT_VISIBILITY_TIMEOUT_SECONDS;
      // Long polling is accepted and answered at once: dead letters arrive rarely and a caller polls again.
      optionalInteger(input, 'WaitTimeSeconds', 0, MAX_WAIT_SECONDS);
      const systemNames = new Set([
        ...(optionalStrings(input, 'AttributeNames') ?? []),
        ...(optionalStrings(input, 'MessageSystemAttributeNames') ?? []),
      ]);
      const attributeFilter = optionalStrings(input, 'MessageAttributeNames') ?? [];
      const at = now();
      const letters = mailbox.list();
      prune(mailbox, letters);
      const messages: WireMessage[] = [];
      for (const letter of letters) {
        if (messages.length >= max) break;
        if (!isVisible(mailbox, letter.key, at)) continue;
        const id = `${mailbox.queueName}\n${letter.key}`;
        const previous = inFlight.get(id);
        const state: InFlight = {
          invisibleUntil: at + visibility * 1000,
          receiveCount: (previous?.receiveCount ?? 0) + 1,
          firstReceivedAt: previous?.firstReceivedAt ?? at,
          nonce: randomBytes(12).toString('base64url'),
        };
        inFlight.set(id, state);
        const system: Record<(typeof SYSTEM_ATTRIBUTES)[number], string> = {
          SenderId: account,
          SentTimestamp: String(letter.sentAt),
          ApproximateReceiveCount: String(state.receiveCount),
          ApproximateFirstReceiveTimestamp: String(state.firstReceivedAt),
        };
        const attributes = Object.fromEntries(
          SYSTEM_ATTRIBUTES.filter((name) => systemNames.has('All') || systemNames.has(name)).map((name) => [
            name,
            system[name],
          ]),
        );
        const messageAttributes = Object.fromEntries(
          Object.entries(letter.attributes).filter(([name]) => attributeWanted(name, attributeFilter)),
        );
        const md5OfAttributes = md5OfMessageAttributes(messageAttributes);
        messages.push({
          MessageId: messageIdOf(mailbox.queueName, letter.key),
          ReceiptHandle: receiptHandle(mailbox, letter.key, state.nonce),
          MD5OfBody: md5OfBody(letter.body),
          Body: letter.body,
          ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
          ...(md5OfAttributes
            ? { MD5OfMessageAttributes: md5OfAttributes, MessageAttributes: messageAttributes }
            : {}),
        });
      }
      return messages.length > 0 ? { Messages: messages } : {};
    },

    changeMessageVisibility(raw) {
      const input = objectInput(raw);
      const mailbox = mailboxAt(input);
      const { key } = decodeReceipt(mailbox, requiredString(input, 'ReceiptHandle'));
      const timeout = optionalInteger(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_TIMEOUT_SECONDS);
      if (timeout === undefined) throw new InvalidParameterValueError('VisibilityTimeout is required.');
      const state = stateOf(mailbox, key);
      const at = now();
      if (!state || state.invisibleUntil <= at || !mailbox.list().some((letter) => letter.key === key)) {
        throw new MessageNotInflightError();
      }
      state.invisibleUntil = at + timeout * 1000;
      return {};
    },

    deleteMessage(raw) {
      const input = objectInput(raw);
      const mailbox = mailboxAt(input);
      const { key } = decodeReceipt(mailbox, requiredString(input, 'ReceiptHandle'));
      // As SQS: deleting a message that is already gone succeeds.
      mailbox.remove(key);
      inFlight.delete(`${mailbox.queueName}\n${key}`);
      return {};
    },
  };
}

/** A stable UUID-shaped message id: the same row is the same message on every receive and restart. */
export function messageIdOf(queueName: string, key: string): string {
  const hex = createHash('md5').update(`${queueName}\n${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** `All`, `.*`, an exact name, or a `prefix.*` (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html). */
function attributeWanted(name: string, filter: readonly string[]): boolean {
  return filter.some(
    (wanted) =>
      wanted === 'All' ||
      wanted === '.*' ||
      wanted === name ||
      (wanted.endsWith('.*') && name.startsWith(wanted.slice(0, -1))),
  );
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    throw new QueueDoesNotExistError();
  }
}

function objectInput(input: unknown): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidParameterValueError('The request body must be a JSON object.');
  }
  return input as Record<string, unknown>;
}

function requiredString(input: Record<string, unknown>, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '') {
    throw new InvalidParameterValueError(`Value for parameter ${name} is invalid. Reason: must be a string.`);
  }
  return value;
}

function optionalString(input: Record<string, unknown>, name: string): string | undefined {
  return input[name] === undefined ? undefined : requiredString(input, name);
}

function optionalStrings(input: Record<string, unknown>, name: string): string[] | undefined {
  const value = input[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new InvalidParameterValueError(
      `Value for parameter ${name} is invalid. Reason: must be a list of strings.`,
    );
  }
  return value as string[];
}

function optionalInteger(
  input: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = input[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidParameterValueError(
      `Value ${JSON.stringify(value)} for parameter ${name} is invalid. Reason: must be between ${min} and ${max}.`,
    );
  }
  return value;
}
