/**
 * `workspaces dead-letters list` and `redrive`: what each dead-letter queue of the stack holds, and
 * sending each message back to the function that should have handled it (Lambda asynchronous
 * Invoke with the original event, which also works for `aws.ecs` events that PutEvents cannot
 * re-publish), deleting it once Lambda accepted it. Queues and functions are found by the
 * deterministic names of wiring/dead-letter-queues.ts, so the same code works against AWS and the
 * local stack; only the clients differ.
 */
import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  DEAD_LETTER_QUEUES,
  type DeadLetterQueueSpec,
  functionPhysicalName,
} from '#wiring/dead-letter-queues.ts';
import { UsageError } from './errors.ts';
import { workspaceOf } from './format.ts';
import { escapeControl, printableValue } from './printable.ts';

/** The two clients the commands use; tests pass their own. */
export interface DeadLetterClients {
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly lambda: Pick<LambdaClient, 'send'>;
}

export interface DeadLetterIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
}

export interface DeadLetterCommandOptions {
  /** A queue's full name, or its short form (`deprovision`, `ProvisionRequested-target`). @default every queue */
  readonly queue?: string | undefined;
  /** @default Date.now */
  readonly now?: () => number;
}

/** How long `list` keeps what it read hidden before it gives the messages back. */
const LIST_VISIBILITY_SECONDS = 30;
/** How long `redrive` keeps a message hidden while it invokes: an invoke takes well under this. */
const REDRIVE_VISIBILITY_SECONDS = 120;
/** The most a command reads from one queue in one run. */
const MAX_MESSAGES_PER_QUEUE = 1000;

/** The queues `--queue` names: a full name, or the name without `<stack>-` and `-dlq`. */
export function selectQueues(queue: string | undefined): DeadLetterQueueSpec[] {
  if (queue === undefined) return [...DEAD_LETTER_QUEUES];
  const match = DEAD_LETTER_QUEUES.find((spec) => spec.queueName === queue || shortName(spec) === queue);
  if (!match) {
    throw new UsageError(
      `--queue "${escapeControl(queue)}" names no dead-letter queue; the queues are ${DEAD_LETTER_QUEUES.map(shortName).join(', ')}`,
    );
  }
  return [match];
}

/** `WorkspaceProvisioner-deprovision-dlq` -> `deprovision`. */
const shortName = (spec: DeadLetterQueueSpec): string =>
  spec.queueName.replace(/^[^-]+-/, '').replace(/-dlq$/, '');

/** What one dead letter is about, read from its body and attributes. */
export interface DeadLetterFacts {
  readonly messageId: string;
  readonly detailType?: string;
  readonly workspaceId?: string;
  readonly error?: string;
  readonly ageMs?: number;
}

/**
 * The facts of a message. A Lambda DLQ of the failure reporter holds Lambda's on-failure records,
 * so the event is the record's `requestPayload`.
 */
export function factsOf(message: Message, now: number): DeadLetterFacts {
  let event: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(message.Body ?? '') as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const record = parsed as Record<string, unknown>;
      const inner = record.requestPayload;
      event = typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>) : record;
    }
  } catch {
    event = undefined;
  }
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  const targetError = attribute('ERROR_CODE');
  const error = targetError
    ? `${targetError}: ${attribute('ERROR_MESSAGE') ?? ''}`
    : attribute('ErrorMessage');
  const sent = Number(message.Attributes?.SentTimestamp);
  const detailType = event?.['detail-type'];
  const workspaceId = event ? workspaceOf(event as Parameters<typeof workspaceOf>[0]) : undefined;
  return {
    messageId: message.MessageId ?? '?',
    ...(typeof detailType === 'string' ? { detailType } : {}),
    ...(workspaceId !== undefined ? { workspaceId } : {}),
    ...(error !== undefined ? { error } : {}),
    ...(Number.isFinite(sent) && sent > 0 ? { ageMs: Math.max(0, now - sent) } : {}),
  };
}

/** `95s` -> `1m35s`; `26h` -> `1d2h`. */
export function formatAge(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d${hours % 24}h`;
}

/** One message on one line, every field escaped. */
export function formatDeadLetter(spec: DeadLetterQueueSpec, facts: DeadLetterFacts): string {
  const fields: Array<[string, string | undefined]> = [
    ['function', spec.handledBy],
    ['detail-type', facts.detailType],
    ['workspace', facts.workspaceId],
    ['age', facts.ageMs === undefined ? undefined : formatAge(facts.ageMs)],
    ['error', facts.error],
  ];
  return `  ${escapeControl(facts.messageId)} ${fields
    .filter((field): field is [string, string] => field[1] !== undefined)
    .map(([key, value]) => `${key}=${printableValue(value)}`)
    .join(' ')}`;
}

/** The queue's URL, or undefined when it does not exist (the stack is not deployed there). */
async function queueUrlOf(
  clients: DeadLetterClients,
  spec: DeadLetterQueueSpec,
): Promise<string | undefined> {
  try {
    const { QueueUrl } = await clients.sqs.send(new GetQueueUrlCommand({ QueueName: spec.queueName }));
    return QueueUrl;
  } catch (error) {
    if ((error as Error).name === 'QueueDoesNotExist') return undefined;
    throw error;
  }
}

/**
 * Reads up to `MAX_MESSAGES_PER_QUEUE` messages, each once, keeping them hidden for `visibility`
 * seconds so that the next receive returns the next ones.
 */
async function receiveEach(
  clients: DeadLetterClients,
  queueUrl: string,
  visibility: number,
  onMessage: (message: Message) => Promise<void>,
): Promise<Message[]> {
  const seen = new Set<string>();
  const received: Message[] = [];
  while (received.length < MAX_MESSAGES_PER_QUEUE) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: visibility,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
      }),
    );
    const fresh = Messages.filter((message) => !seen.has(message.MessageId ?? ''));
    if (fresh.length === 0) break;
    for (const message of fresh) {
      seen.add(message.MessageId ?? '');
      received.push(message);
      await onMessage(message);
    }
  }
  return received;
}

/** Gives messages back to the queue at once (best effort: they reappear after their timeout anyway). */
async function release(
  clients: DeadLetterClients,
  queueUrl: string,
  messages: readonly Message[],
): Promise<void> {
  for (const message of messages) {
    try {
      await clients.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    } catch {
      // Deleted meanwhile, or its timeout ran out: visible again either way.
    }
  }
}

/** `workspaces dead-letters list`: every message of every selected queue, then a summary per queue. */
export async function listDeadLetters(
  clients: DeadLetterClients,
  io: DeadLetterIo,
  options: DeadLetterCommandOptions = {},
): Promise<number> {
  const now = options.now ?? Date.now;
  let total = 0;
  for (const spec of selectQueues(options.queue)) {
    const queueUrl = await queueUrlOf(clients, spec);
    if (!queueUrl) {
      io.stdout(`${spec.queueName}: not found (is the stack deployed in this account and region?)`);
      continue;
    }
    const { Attributes = {} } = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const lines: string[] = [];
    let oldest: number | undefined;
    const messages = await receiveEach(clients, queueUrl, LIST_VISIBILITY_SECONDS, async (message) => {
      const facts = factsOf(message, now());
      if (facts.ageMs !== undefined) oldest = Math.max(oldest ?? 0, facts.ageMs);
      lines.push(formatDeadLetter(spec, facts));
    });
    await release(clients, queueUrl, messages);
    total += messages.length;
    const inFlight = Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
    io.stdout(
      `${spec.queueName}: ${messages.length} message(s) for ${spec.handledBy}` +
        (oldest !== undefined ? `, oldest ${formatAge(oldest)}` : '') +
        (inFlight > 0 ? `; ${inFlight} more in flight (being received elsewhere)` : ''),
    );
    for (const line of lines) io.stdout(line);
  }
  io.stdout(`${total} dead letter(s)`);
  return 0;
}

/**
 * `workspaces dead-letters redrive`: for each message, Lambda asynchronous Invoke of the function
 * that should have handled it with the body as the payload, then DeleteMessage. A message whose
 * invoke fails stays in the queue and is reported; the exit code is 1 then. `dryRun` prints what
 * would be sent and changes nothing.
 */
export async function redriveDeadLetters(
  clients: DeadLetterClients,
  io: DeadLetterIo,
  options: DeadLetterCommandOptions & { readonly dryRun?: boolean | undefined } = {},
): Promise<number> {
  const now = options.now ?? Date.now;
  const dryRun = options.dryRun ?? false;
  // A redriven event that fails again comes back as a new dead letter (at once on the local stack,
  // whose retry gaps are scaled): one run sends only what was there when it started, never its own
  // returns. Clock skew can only defer a message to the next run, never send one twice.
  const startedAt = now();
  let redriven = 0;
  let failed = 0;
  let deferred = 0;
  for (const spec of selectQueues(options.queue)) {
    const queueUrl = await queueUrlOf(clients, spec);
    if (!queueUrl) {
      io.stdout(`${spec.queueName}: not found (is the stack deployed in this account and region?)`);
      continue;
    }
    const functionName = functionPhysicalName(spec.handledBy);
    let queueRedriven = 0;
    let queueFailed = 0;
    const keep: Message[] = [];
    await receiveEach(clients, queueUrl, REDRIVE_VISIBILITY_SECONDS, async (message) => {
      const line = formatDeadLetter(spec, factsOf(message, now()));
      const body = message.Body ?? '';
      if (Number(message.Attributes?.SentTimestamp) > startedAt) {
        keep.push(message);
        deferred++;
        io.stdout(
          `arrived after this redrive started (a redriven event that failed again?), left for the next run:${line}`,
        );
        return;
      }
      if (dryRun) {
        keep.push(message);
        queueRedriven++;
        io.stdout(`would invoke ${functionName} (Event):${line}`);
        io.stdout(`    payload ${escapeControl(body)}`);
        return;
      }
      const outcome = await invokeAndDelete(clients, queueUrl, functionName, message, body);
      if (outcome === 'redriven') {
        queueRedriven++;
        io.stdout(`redriven to ${functionName}:${line}`);
      } else {
        keep.push(message);
        queueFailed++;
        io.stderr(`not redriven (${escapeControl(outcome)}), left in ${spec.queueName}:${line}`);
      }
    });
    // What stays is visible again at once, for the next look or the next try.
    await release(clients, queueUrl, keep);
    redriven += queueRedriven;
    failed += queueFailed;
    io.stdout(
      dryRun
        ? `${spec.queueName}: would redrive ${queueRedriven} message(s) to ${functionName}`
        : `${spec.queueName}: redrove ${queueRedriven} message(s) to ${functionName}` +
            (queueFailed > 0 ? `, ${queueFailed} left in the queue` : ''),
    );
  }
  io.stdout(
    dryRun
      ? `dry run: would redrive ${redriven} message(s); nothing was sent or deleted`
      : `redrove ${redriven} message(s)${failed > 0 ? `; ${failed} failed and stay in their queues` : ''}${
          deferred > 0 ? `; ${deferred} arrived during the run and wait for the next one` : ''
        }`,
  );
  return failed > 0 ? 1 : 0;
}

/** Invokes, then deletes; 'redriven', or why not (the message then stays). */
async function invokeAndDelete(
  clients: DeadLetterClients,
  queueUrl: string,
  functionName: string,
  message: Message,
  body: string,
): Promise<'redriven' | string> {
  try {
    JSON.parse(body);
  } catch {
    return 'the body is not JSON, so it is no event a function can take';
  }
  let invoked: InvokeCommandOutput;
  try {
    invoked = await clients.lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(body),
      }),
    );
  } catch (error) {
    return `invoke failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  }
  if (invoked.StatusCode !== 202) return `invoke answered ${invoked.StatusCode ?? 'no status'}, not 202`;
  try {
    await clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
    );
  } catch (error) {
    // The event was sent, so the next redrive sends it again; the handlers are idempotent.
    return `invoked, but the delete failed (${error instanceof Error ? error.message : String(error)}); the next redrive invokes it again`;
  }
  return 'redriven';
}
