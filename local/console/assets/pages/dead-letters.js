/**
 * Dead letters: what each dead-letter queue holds, read over SQS as `workspaces dead-letters list`
 * reads it (ReceiveMessage, then the messages given back at once), and a redrive button per queue
 * that does what `workspaces dead-letters redrive` does: each message that was there when it
 * started is sent to the function that should have handled it (Lambda asynchronous Invoke with the
 * body), then deleted; one that fails stays and is reported.
 */
import { getJson, invokeEvent, sqs } from '../api.js';
import { append, h, replace } from '../dom.js';
import { ago } from '../format.js';
import { poll } from '../poll.js';

const LIST_VISIBILITY_SECONDS = 30;
const REDRIVE_VISIBILITY_SECONDS = 120;
const MAX_MESSAGES_PER_QUEUE = 1000;
const POLL_MS = 3000;

/** Receives each message once (hidden for `visibility` s), calling `onMessage` for each. */
async function receiveEach(queueUrl, visibility, onMessage) {
  const seen = new Set();
  const received = [];
  while (received.length < MAX_MESSAGES_PER_QUEUE) {
    const { Messages = [] } = await sqs('ReceiveMessage', {
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: visibility,
      WaitTimeSeconds: 0,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
    });
    const fresh = Messages.filter((message) => !seen.has(message.MessageId));
    if (fresh.length === 0) break;
    for (const message of fresh) {
      seen.add(message.MessageId);
      received.push(message);
      await onMessage(message);
    }
  }
  return received;
}

/** Gives messages back to the queue at once. */
async function release(queueUrl, messages) {
  for (const message of messages) {
    try {
      await sqs('ChangeMessageVisibility', {
        QueueUrl: queueUrl,
        ReceiptHandle: message.ReceiptHandle,
        VisibilityTimeout: 0,
      });
    } catch {
      // Deleted meanwhile, or its timeout ran out: visible again either way.
    }
  }
}

/** What a message is about, as the CLI's `factsOf` reads it. */
function factsOf(message) {
  let event;
  try {
    const parsed = JSON.parse(message.Body ?? '');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      event =
        parsed.requestPayload && typeof parsed.requestPayload === 'object' ? parsed.requestPayload : parsed;
    }
  } catch {
    event = undefined;
  }
  const attribute = (name) => message.MessageAttributes?.[name]?.StringValue;
  const targetError = attribute('ERROR_CODE');
  const error = targetError
    ? `${targetError}: ${attribute('ERROR_MESSAGE') ?? ''}`
    : attribute('ErrorMessage');
  const sent = Number(message.Attributes?.SentTimestamp);
  return {
    messageId: message.MessageId,
    detailType: event?.['detail-type'],
    workspaceId: event?.detail?.workspaceId ?? event?.detail?.startedBy,
    requestId: event?.detail?.requestId,
    error,
    sent: Number.isFinite(sent) && sent > 0 ? sent : undefined,
  };
}

export function deadLettersPage(view) {
  const list = h('div', { id: 'queues' });
  const status = h('p', { class: 'muted', id: 'status' });
  append(view, [h('div', { class: 'toolbar' }, h('h1', {}, 'Dead letters')), status, list]);
  const sections = new Map();
  let busy = false;

  function sectionOf(queue) {
    if (sections.has(queue.queueName)) return sections.get(queue.queueName);
    const body = h('tbody');
    const count = h('span', { class: 'count' });
    const result = h('p', { class: 'notice', role: 'status' });
    const button = h(
      'button',
      { type: 'button', class: 'redrive', 'data-queue': queue.queueName },
      'Redrive',
    );
    button.addEventListener('click', () => redrive(queue, section));
    const element = h(
      'section',
      { class: 'queue', 'data-queue': queue.queueName },
      h(
        'div',
        { class: 'toolbar' },
        h('h2', {}, queue.queueName, ' ', count),
        h('span', { class: 'muted' }, `${queue.source} → ${queue.functionName}`),
        button,
      ),
      result,
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Message', 'Detail type', 'Workspace', 'Error', 'Age'].map((name) => h('th', {}, name)),
          ),
        ),
        body,
      ),
    );
    const section = { element, body, count, result, button };
    sections.set(queue.queueName, section);
    list.append(element);
    return section;
  }

  function drawMessages(section, messages) {
    replace(section.count, `(${messages.length})`);
    section.element.classList.toggle('empty', messages.length === 0);
    section.button.disabled = messages.length === 0;
    replace(
      section.body,
      messages.length === 0
        ? h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'Empty.'))
        : messages.map((message) => {
            const facts = factsOf(message);
            return h(
              'tr',
              { 'data-message': facts.messageId },
              h('td', { class: 'mono' }, facts.messageId.slice(0, 8)),
              h('td', {}, facts.detailType ?? ''),
              h(
                'td',
                {},
                facts.workspaceId
                  ? h(
                      'a',
                      { href: `#/workspaces/${encodeURIComponent(facts.workspaceId)}` },
                      facts.workspaceId,
                    )
                  : '',
              ),
              h('td', { class: 'error-text' }, facts.error ?? ''),
              h('td', {}, facts.sent ? ago(facts.sent) : ''),
            );
          }),
    );
  }

  async function refresh() {
    if (busy) return;
    const { queues } = await getJson('/local/dead-letter-queues');
    for (const queue of queues) {
      const messages = await receiveEach(queue.queueUrl, LIST_VISIBILITY_SECONDS, async () => {});
      await release(queue.queueUrl, messages);
      drawMessages(sectionOf(queue), messages);
    }
    // Queues holding messages first, in the table's order otherwise.
    const ordered = queues.map((queue) => sections.get(queue.queueName));
    const holding = ordered.filter((section) => !section.element.classList.contains('empty'));
    const empty = ordered.filter((section) => section.element.classList.contains('empty'));
    list.append(...[...holding, ...empty].map((section) => section.element));
    const total = [...sections.values()].reduce(
      (sum, section) => sum + Number(section.count.textContent.replace(/\D/g, '') || 0),
      0,
    );
    replace(
      status,
      `${total} dead letter(s) in ${queues.length} queues · updated ${new Date().toLocaleTimeString([], { hour12: false })}`,
    );
  }

  async function redrive(queue, section) {
    busy = true;
    section.button.disabled = true;
    const startedAt = Date.now();
    let redriven = 0;
    const failures = [];
    const keep = [];
    try {
      await receiveEach(queue.queueUrl, REDRIVE_VISIBILITY_SECONDS, async (message) => {
        // A redriven event that fails again comes back as a new message: leave it for the next run.
        if (Number(message.Attributes?.SentTimestamp) > startedAt) {
          keep.push(message);
          return;
        }
        try {
          JSON.parse(message.Body ?? '');
          await invokeEvent(queue.functionName, message.Body);
        } catch (error) {
          keep.push(message);
          failures.push(`${message.MessageId.slice(0, 8)}: ${error.message}`);
          return;
        }
        await sqs('DeleteMessage', { QueueUrl: queue.queueUrl, ReceiptHandle: message.ReceiptHandle });
        redriven++;
      });
      await release(queue.queueUrl, keep);
      replace(
        section.result,
        `Redrove ${redriven} message(s) to ${queue.functionName}`,
        failures.length ? `; ${failures.length} left in the queue: ${failures.join('; ')}` : '.',
      );
      section.result.className = failures.length ? 'notice error' : 'notice ok';
    } catch (error) {
      replace(section.result, `Redrive failed: ${error.message}`);
      section.result.className = 'notice error';
    } finally {
      busy = false;
      await refresh().catch(() => {});
    }
  }

  const poller = poll(refresh, POLL_MS, (error) =>
    replace(status, h('span', { class: 'error' }, `Cannot read the queues: ${error.message}`)),
  );
  return { stop: () => poller.stop() };
}
