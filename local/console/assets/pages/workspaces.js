/**
 * Workspaces: the live table of workspace records (state, kind, runtime, tier, task, address,
 * since), a page at a time, filtered by the box. It re-reads the page whenever the event log has
 * grown (`GET /local/events?after=lastSeq`), so it updates by itself.
 */
import { getJson } from '../api.js';
import { append, h, replace } from '../dom.js';
import { ago, shortTask } from '../format.js';
import { poll } from '../poll.js';

const PAGE_SIZE = 50;
const POLL_MS = 1000;

export function workspacesPage(view) {
  const state = { filter: '', offset: 0, lastSeq: undefined, dirty: true };
  const filterBox = h('input', {
    type: 'search',
    id: 'filter',
    placeholder: 'Filter by id, org, state, kind, runtime',
    'aria-label': 'Filter workspaces',
  });
  const summary = h('span', { class: 'muted', id: 'page-summary' });
  const previous = h('button', { type: 'button', id: 'previous-page' }, '← Previous');
  const next = h('button', { type: 'button', id: 'next-page' }, 'Next →');
  const body = h('tbody');
  const status = h('p', { class: 'muted', id: 'status' });
  const table = h(
    'table',
    { class: 'workspaces', id: 'workspaces' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Workspace', 'State', 'Kind', 'Runtime', 'Tier', 'Task', 'Address', 'Since'].map((name) =>
          h('th', {}, name),
        ),
      ),
    ),
    body,
  );
  append(view, [
    h(
      'div',
      { class: 'toolbar' },
      h('h1', {}, 'Workspaces'),
      filterBox,
      h('a', { class: 'button', href: '#/new' }, 'New workspace'),
    ),
    table,
    h('div', { class: 'pager' }, previous, summary, next),
    status,
  ]);

  let typing;
  filterBox.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      state.filter = filterBox.value.trim();
      state.offset = 0;
      refresh();
    }, 150);
  });
  previous.addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - PAGE_SIZE);
    refresh();
  });
  next.addEventListener('click', () => {
    state.offset += PAGE_SIZE;
    refresh();
  });

  let reading = Promise.resolve();
  function refresh() {
    reading = reading.then(readPage, (error) => showError(error));
    return reading;
  }

  async function readPage() {
    const page = await getJson('/local/workspaces', {
      q: state.filter,
      offset: state.offset,
      limit: PAGE_SIZE,
    });
    state.lastSeq ??= page.lastSeq;
    replace(body, page.workspaces.map(row));
    if (page.workspaces.length === 0) {
      append(body, [
        h(
          'tr',
          {},
          h(
            'td',
            { colspan: 8, class: 'muted' },
            state.filter ? 'No workspace matches the filter.' : 'No workspaces yet: provision one.',
          ),
        ),
      ]);
    }
    const last = Math.min(page.total, state.offset + page.workspaces.length);
    replace(summary, page.total === 0 ? '0 workspaces' : `${state.offset + 1}–${last} of ${page.total}`);
    previous.disabled = state.offset === 0;
    next.disabled = last >= page.total;
    replace(status, `Updated ${new Date().toLocaleTimeString([], { hour12: false })}`);
  }

  function row(workspace) {
    const link = `#/workspaces/${encodeURIComponent(workspace.workspaceId)}`;
    return h(
      'tr',
      { 'data-workspace': workspace.workspaceId, 'data-state': workspace.state },
      h('td', {}, h('a', { href: link }, workspace.workspaceId)),
      h('td', {}, h('span', { class: `state state-${workspace.state}` }, workspace.state)),
      h('td', {}, workspace.kind),
      h('td', {}, workspace.runtime),
      h('td', {}, workspace.tier ?? ''),
      h('td', { class: 'mono', title: workspace.taskArn ?? '' }, shortTask(workspace.taskArn)),
      h('td', { class: 'mono' }, workspace.url ?? ''),
      h('td', { title: new Date(workspace.since).toISOString() }, ago(workspace.since)),
    );
  }

  function showError(error) {
    replace(status, h('span', { class: 'error' }, `Cannot read the stack: ${error.message}`));
  }

  // The table changes only when an event was accepted: poll the log from the last seq seen.
  const poller = poll(
    async () => {
      if (state.lastSeq === undefined) {
        await refresh();
        return;
      }
      const { events, lastSeq } = await getJson('/local/events', { after: state.lastSeq, limit: 1000 });
      if (events.length > 0) {
        state.lastSeq = lastSeq;
        await refresh();
      }
    },
    POLL_MS,
    showError,
  );
  return { stop: () => poller.stop() };
}
