/**
 * One workspace: its record, the actions (restart, deprovision with or without erase, crash,
 * retirement), the tasks it had with their stop causes, the overlay it booted with (files and
 * secret scopes: names only), its data snapshots, and the timeline: every event about it, of
 * every request, in the order the bus accepted them, each with its detail. Events are read a page
 * at a time and drawn at most 8 ms a frame, so a long history never blocks the page; new ones arrive by
 * polling from the last seq.
 */
import { ApiError, crashWorkspace, getJson, publishRequest, simulate } from '../api.js';
import { append, h, replace } from '../dom.js';
import { ago, clock, failedType, gist, shortTask } from '../format.js';
import { poll } from '../poll.js';

const POLL_MS = 1000;
const EVENTS_PAGE = 1000;
/** The first read is short, so the first screenful shows before a long history has arrived. */
const FIRST_PAGE = 100;
/** The source the bus reserves to the provisioner's functions. */
const PROVISIONER_SOURCE = 'platform.provisioner';
/** How long one frame may spend drawing timeline rows, so the page keeps answering while a long one draws. */
const FRAME_BUDGET_MS = 8;

export function workspacePage(view, workspaceId) {
  const path = `/local/workspaces/${encodeURIComponent(workspaceId)}`;
  const recordBox = h('dl', { class: 'record', id: 'record' });
  const actionsBox = h('div', { class: 'actions', id: 'actions' });
  const notice = h('p', { class: 'notice', id: 'action-result', role: 'status' });
  const tasksBody = h('tbody');
  const overlayBox = h('div', { id: 'overlay' }, h('p', { class: 'muted' }, 'No overlay applied yet.'));
  const snapshotsBody = h('tbody');
  const timeline = h('ol', { class: 'timeline', id: 'timeline' });
  const timelineCount = h('span', { class: 'muted', id: 'timeline-count' });

  append(view, [
    h(
      'div',
      { class: 'toolbar' },
      h('h1', {}, h('span', { class: 'muted' }, 'Workspace '), workspaceId),
      h('a', { href: `#/`, class: 'muted' }, '← all workspaces'),
    ),
    h('section', { class: 'columns' }, h('div', {}, recordBox), h('div', {}, actionsBox, notice)),
    h('h2', {}, 'Tasks'),
    h(
      'table',
      { id: 'tasks' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Task', 'Request', 'Launched', 'Address', 'Status', 'Stop cause'].map((name) => h('th', {}, name)),
        ),
      ),
      tasksBody,
    ),
    h(
      'section',
      { class: 'columns' },
      h('div', {}, h('h2', {}, 'Overlay'), overlayBox),
      h(
        'div',
        {},
        h('h2', {}, 'Data snapshots'),
        h(
          'table',
          { id: 'snapshots' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Snapshot', 'Size', 'From task', 'Saved'].map((name) => h('th', {}, name)),
            ),
          ),
          snapshotsBody,
        ),
      ),
    ),
    h('h2', {}, 'Timeline ', timelineCount),
    timeline,
  ]);

  const state = {
    after: 0,
    count: 0,
    record: undefined,
    tasks: new Map(),
    overlay: undefined,
    snapshots: [],
    queue: [],
    drawing: false,
  };

  // ---- actions -------------------------------------------------------------------------------
  const reason = h('input', {
    type: 'text',
    id: 'reason',
    placeholder: 'reason (optional)',
    'aria-label': 'Reason',
  });
  const erase = h('input', { type: 'checkbox', id: 'erase' });
  function action(label, id, run) {
    const button = h('button', { type: 'button', id }, label);
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        replace(notice, await run());
        notice.className = 'notice ok';
      } catch (error) {
        const problems = error instanceof ApiError ? (error.body?.problems ?? []) : [];
        replace(
          notice,
          error.message,
          problems.map((problem) => h('div', {}, `${problem.flag}: ${problem.message}`)),
        );
        notice.className = 'notice error';
      } finally {
        button.disabled = false;
      }
    });
    return button;
  }
  const flags = () => ({
    'workspace-id': workspaceId,
    ...(reason.value.trim() ? { reason: reason.value.trim() } : {}),
  });
  append(actionsBox, [
    h('h2', {}, 'Actions'),
    reason,
    h(
      'div',
      { class: 'buttons' },
      action('Restart', 'restart', async () => {
        const { detail } = await publishRequest('restart', flags());
        return `Restart requested (${detail.requestId}).`;
      }),
      action('Deprovision', 'deprovision', async () => {
        const { detail } = await publishRequest('deprovision', {
          ...flags(),
          ...(erase.checked ? { erase: true } : {}),
        });
        return `Deprovision requested${erase.checked ? ' with erase' : ''} (${detail.requestId}).`;
      }),
      h('label', { class: 'inline' }, erase, ' erase data'),
    ),
    h(
      'div',
      { class: 'buttons' },
      action('Crash (exit 3)', 'crash', async () => {
        const url = state.record?.url;
        if (!url)
          throw new Error(
            'The workspace has no address to crash (is it running, on the process or docker driver?)',
          );
        await crashWorkspace(url, 3);
        return `Sent POST ${url}/exit {"code": 3}.`;
      }),
      action('Retire task', 'retire', async () => {
        const taskArn = state.record?.taskArn;
        if (!taskArn) throw new Error('The workspace has no task to retire.');
        await simulate('task-retirement', { taskArn });
        return `Task ${shortTask(taskArn)} is being retired.`;
      }),
    ),
  ]);

  // ---- record --------------------------------------------------------------------------------
  async function readRecord() {
    try {
      const { workspace } = await getJson(path);
      state.record = workspace;
      const request = workspace.request ?? {};
      replace(
        recordBox,
        [
          [
            'State',
            h('span', { class: `state state-${workspace.state}`, id: 'workspace-state' }, workspace.state),
          ],
          ['Since', `${clock(workspace.since)} (${ago(workspace.since)})`],
          ['Kind', workspace.kind],
          ['Runtime', workspace.runtime],
          ['Tier', request.tier ?? ''],
          ['Org', workspace.orgId],
          [
            'Task',
            h('span', { class: 'mono', title: workspace.taskArn ?? '' }, shortTask(workspace.taskArn)),
          ],
          ['Address', h('span', { class: 'mono' }, workspace.url ?? '')],
          [
            'Request',
            request.requestId
              ? h('a', { href: `#/requests/${encodeURIComponent(request.requestId)}` }, request.requestId)
              : '',
          ],
          ['Recoveries', String(workspace.recoveries?.length ?? 0)],
        ].flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
      );
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      replace(recordBox, h('dt', {}, 'State'), h('dd', { id: 'workspace-state' }, 'no record (yet)'));
    }
  }

  // ---- what the events say -----------------------------------------------------------------
  function learn({ envelope }) {
    const detail = envelope.detail ?? {};
    // Only the provisioner's own events (its source is reserved to it on the bus) and ECS's say
    // what the workspace's tasks, overlay and snapshots are; anyone may put the same detail-type.
    const type = envelope.source === PROVISIONER_SOURCE ? envelope['detail-type'] : undefined;
    const task = (arn) => {
      if (!state.tasks.has(arn)) state.tasks.set(arn, { arn });
      return state.tasks.get(arn);
    };
    if (type === 'Workspace Task Launched' && detail.taskArn)
      Object.assign(task(detail.taskArn), { requestId: detail.requestId, launched: envelope.time });
    if (type === 'Workspace Running' && detail.taskArn)
      Object.assign(task(detail.taskArn), { url: detail.url, status: 'RUNNING' });
    if (type === 'Workspace Stopped' && detail.taskArn)
      Object.assign(task(detail.taskArn), {
        status: 'STOPPED',
        cause: [
          detail.cause,
          detail.exitCode !== undefined ? `exit ${detail.exitCode}` : '',
          detail.stoppedReason,
        ]
          .filter(Boolean)
          .join(' · '),
      });
    if (
      envelope.source === 'aws.ecs' &&
      detail.taskArn &&
      state.tasks.has(detail.taskArn) &&
      !state.tasks.get(detail.taskArn).cause
    ) {
      task(detail.taskArn).status = detail.lastStatus;
    }
    if (type === 'Workspace Config Overlay Applied') state.overlay = detail;
    if (type === 'Workspace Data Saved') state.snapshots.push({ ...detail, time: envelope.time });
  }

  function drawFacts() {
    replace(
      tasksBody,
      [...state.tasks.values()].map((task) =>
        h(
          'tr',
          { 'data-task': task.arn },
          h('td', { class: 'mono', title: task.arn }, shortTask(task.arn)),
          h(
            'td',
            {},
            task.requestId
              ? h('a', { href: `#/requests/${encodeURIComponent(task.requestId)}` }, task.requestId)
              : '',
          ),
          h('td', {}, clock(task.launched)),
          h('td', { class: 'mono' }, task.url ?? ''),
          h('td', {}, task.status ?? ''),
          h('td', { class: task.cause ? 'cause' : '' }, task.cause ?? ''),
        ),
      ),
    );
    if (state.overlay) {
      const overlay = state.overlay;
      const name = (item) =>
        typeof item === 'string' ? item : (item?.path ?? item?.name ?? JSON.stringify(item));
      const overlayFields = Object.entries(overlay.overlay ?? {}).filter(
        ([, value]) => typeof value !== 'object',
      );
      replace(
        overlayBox,
        h(
          'p',
          {},
          'Applied to task ',
          h('span', { class: 'mono' }, shortTask(overlay.taskArn)),
          ` (${overlay.kind}, ${overlay.runtime})`,
        ),
        overlayFields.length
          ? h('p', { class: 'muted' }, overlayFields.map(([key, value]) => `${key}=${value}`).join(' · '))
          : null,
        h('h3', {}, 'Files'),
        h(
          'ul',
          { id: 'overlay-files' },
          (overlay.files ?? []).map((file) => h('li', { class: 'mono' }, name(file))),
        ),
        h('h3', {}, 'Secret scopes'),
        h(
          'ul',
          { id: 'overlay-secrets' },
          (overlay.secrets ?? []).length
            ? overlay.secrets.map((scope) => h('li', {}, name(scope)))
            : h('li', { class: 'muted' }, 'none'),
        ),
      );
    }
    replace(
      snapshotsBody,
      state.snapshots.length === 0
        ? h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No snapshots (ephemeral, or none saved yet).'))
        : state.snapshots.map((snapshot) =>
            h(
              'tr',
              {},
              h('td', { class: 'mono' }, snapshot.snapshotId),
              h('td', {}, `${snapshot.sizeGiB} GiB`),
              h('td', { class: 'mono' }, shortTask(snapshot.taskArn)),
              h('td', {}, clock(snapshot.time)),
            ),
          ),
    );
  }

  // ---- timeline, drawn a few rows a frame -------------------------------------------------------------
  function showDetail(element, detail) {
    if (!element.open || element.querySelector('pre')) return;
    element.append(h('pre', { class: 'detail' }, JSON.stringify(detail, null, 2)));
  }

  function eventRow({ seq, envelope }) {
    const detail = envelope.detail ?? {};
    const type = envelope['detail-type'];
    return h(
      'li',
      { class: failedType(type) ? 'event failed' : 'event', 'data-seq': seq, 'data-type': type },
      h(
        'details',
        // The detail is drawn when opened: a long timeline stays a list of one-line summaries.
        { on: { toggle: (event) => showDetail(event.currentTarget, detail) } },
        h(
          'summary',
          {},
          h('span', { class: 'seq' }, `#${seq}`),
          h('span', { class: 'time' }, clock(envelope.time)),
          h('span', { class: 'type' }, type),
          h('span', { class: 'source muted' }, envelope.source),
          typeof detail.requestId === 'string'
            ? h(
                'a',
                { class: 'request', href: `#/requests/${encodeURIComponent(detail.requestId)}` },
                detail.requestId,
              )
            : null,
          h('span', { class: 'gist' }, gist(envelope)),
        ),
      ),
    );
  }

  function drawSlice() {
    const deadline = performance.now() + FRAME_BUDGET_MS;
    const fragment = document.createDocumentFragment();
    let drawn = 0;
    // At least one row a frame, however slow the machine; as many as fit in the budget otherwise.
    while (drawn < state.queue.length && (drawn === 0 || performance.now() < deadline)) {
      fragment.append(eventRow(state.queue[drawn]));
      drawn++;
    }
    state.queue.splice(0, drawn);
    timeline.append(fragment);
    if (state.queue.length > 0) requestAnimationFrame(drawSlice);
    else {
      state.drawing = false;
      timeline.dataset.drawn = String(state.count);
    }
  }

  async function readEvents() {
    let grew = false;
    for (;;) {
      const limit = state.after === 0 ? FIRST_PAGE : EVENTS_PAGE;
      const { events, lastSeq } = await getJson(`${path}/events`, { after: state.after, limit });
      state.after = lastSeq;
      for (const event of events) learn(event);
      state.queue.push(...events);
      state.count += events.length;
      grew ||= events.length > 0;
      if (!state.drawing && state.queue.length > 0) {
        state.drawing = true;
        drawSlice();
      }
      if (events.length < limit) break;
    }
    replace(timelineCount, `(${state.count} events)`);
    return grew;
  }

  let first = true;
  const poller = poll(
    async () => {
      // The first time, the record is read beside the events rather than after them.
      const record = first ? readRecord() : undefined;
      const grew = await readEvents();
      await record;
      if (grew || first) {
        if (!first) await readRecord();
        first = false;
        drawFacts();
      }
    },
    POLL_MS,
    (error) => {
      replace(notice, `Cannot read the stack: ${error.message}`);
      notice.className = 'notice error';
    },
  );
  return { stop: () => poller.stop() };
}
