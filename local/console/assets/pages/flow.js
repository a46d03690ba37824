/**
 * The flow of one request: each of its events in order (and ECS's state changes of the tasks it
 * launched), the rule that routed it, and the function invocation that rule queued with its
 * attempts, duration and outcome; drawn as rows of boxes joined by arrows, failures in red.
 * Re-read every second until it stops changing.
 */
import { getJson } from '../api.js';
import { append, h, replace, svg } from '../dom.js';
import { clock, duration, failedType } from '../format.js';
import { poll } from '../poll.js';

const POLL_MS = 1000;

/** One invocation: its function, attempts, duration and outcome, and its last error. */
function invocationBox(invocation, failed) {
  return h(
    'div',
    {
      class: `box invocation outcome-${invocation.outcome}${failed ? ' failed' : ''}`,
      'data-outcome': invocation.outcome,
    },
    h('div', { class: 'title' }, invocation.function),
    h(
      'div',
      {},
      `${invocation.attempts} attempt${invocation.attempts === 1 ? '' : 's'} · ${duration(invocation.durationMs) || '…'} · ${invocation.outcome}`,
    ),
    invocation.lastError ? h('div', { class: 'error-text' }, invocation.lastError) : null,
  );
}

/** A drawn arrow between two boxes, labelled with the rule. */
function arrow(label, failed) {
  return h(
    'div',
    { class: failed ? 'arrow failed' : 'arrow' },
    h('span', { class: 'rule' }, label),
    svg(
      'svg',
      { viewBox: '0 0 100 12', preserveAspectRatio: 'none', 'aria-hidden': 'true' },
      svg('line', { x1: 0, y1: 6, x2: 92, y2: 6 }),
      svg('polygon', { points: '92,1 100,6 92,11' }),
    ),
  );
}

export function flowPage(view, requestId) {
  const diagram = h('div', { class: 'flow', id: 'flow' });
  const summary = h('p', { class: 'muted', id: 'flow-summary' });
  append(view, [
    h('div', { class: 'toolbar' }, h('h1', {}, h('span', { class: 'muted' }, 'Request '), requestId)),
    summary,
    h(
      'div',
      { class: 'flow-legend muted' },
      'event',
      ' → ',
      'rule',
      ' → ',
      'function invocation (attempts · duration · outcome)',
    ),
    diagram,
  ]);
  let signature = '';

  function draw(flow) {
    const bySeq = new Map();
    for (const delivery of flow.deliveries) {
      if (!bySeq.has(delivery.seq)) bySeq.set(delivery.seq, []);
      bySeq.get(delivery.seq).push(delivery);
    }
    const invocationOf = new Map(
      flow.invocations.map((invocation) => [`${invocation.seq}:${invocation.rule}`, invocation]),
    );
    const rows = flow.events.map((event) => {
      const eventBox = h(
        'div',
        { class: failedType(event.detailType) ? 'box event failed' : 'box event' },
        h('div', { class: 'title' }, event.detailType),
        h('div', { class: 'muted' }, `#${event.seq} · ${clock(event.time)} · ${event.source}`),
      );
      const deliveries = bySeq.get(event.seq) ?? [];
      const routes =
        deliveries.length === 0
          ? [h('div', { class: 'route none muted' }, 'no rule matched')]
          : deliveries.map((delivery) => {
              const invocation = invocationOf.get(`${delivery.seq}:${delivery.rule}`);
              const failed =
                delivery.status === 'dlq' || delivery.status === 'failed' || invocation?.outcome === 'failed';
              const target = invocation
                ? invocationBox(invocation, failed)
                : h(
                    'div',
                    { class: `box invocation${failed ? ' failed' : ''}` },
                    h('div', { class: 'title' }, delivery.target),
                    h('div', {}, `delivery ${delivery.status} after ${delivery.attempts} attempt(s)`),
                    delivery.lastError ? h('div', { class: 'error-text' }, delivery.lastError) : null,
                  );
              return h('div', { class: 'route' }, arrow(delivery.rule, failed), target);
            });
      return h(
        'div',
        { class: 'flow-row', 'data-seq': event.seq },
        eventBox,
        h('div', { class: 'routes' }, routes),
      );
    });
    // Invocations no rule queued: Lambda Invoke's, as a redrive sends them.
    for (const invocation of flow.invocations.filter((candidate) => candidate.rule === null)) {
      const failed = invocation.outcome === 'failed';
      rows.push(
        h(
          'div',
          { class: 'flow-row invoked' },
          h(
            'div',
            { class: 'box event' },
            h('div', { class: 'title' }, 'Lambda Invoke'),
            h('div', { class: 'muted' }, `asynchronous · ${clock(invocation.enqueuedAt)}`),
          ),
          h(
            'div',
            { class: 'routes' },
            h(
              'div',
              { class: 'route' },
              arrow('Invoke (redrive)', failed),
              invocationBox(invocation, failed),
            ),
          ),
        ),
      );
    }
    replace(
      diagram,
      rows.length ? rows : h('p', { class: 'muted' }, 'No event carries this request id (yet).'),
    );
    const failures = flow.invocations.filter((invocation) => invocation.outcome === 'failed').length;
    replace(
      summary,
      `${flow.events.length} events · ${flow.deliveries.length} deliveries · ${flow.invocations.length} invocations`,
      failures ? h('strong', { class: 'error' }, ` · ${failures} failed`) : '',
    );
  }

  const poller = poll(
    async () => {
      const flow = await getJson('/local/invocations', { requestId });
      const next = JSON.stringify(flow);
      if (next !== signature) {
        signature = next;
        draw(flow);
      }
    },
    POLL_MS,
    (error) => replace(summary, h('span', { class: 'error' }, `Cannot read the stack: ${error.message}`)),
  );
  return { stop: () => poller.stop() };
}
