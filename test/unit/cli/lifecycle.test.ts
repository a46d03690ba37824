/**
 * Issue 13 in the CLI: `workspaces restart` publishes `Workspace Restart Requested` as `deprovision`
 * publishes its request, and `events` / `status` show the lifecycle events. The names are those of
 * the shared design (LIFECYCLE_DETAIL_TYPES, until the contract has them).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { UsageError } from '#local/cli/errors.ts';
import { formatEventLine } from '#local/cli/format.ts';
import { runCli } from '#local/cli/main.ts';
import { restartEntry } from '#local/cli/requests.ts';
import { deriveWorkspaceStatus, formatWorkspaceStatus } from '#local/cli/status.ts';
import { createEventBridgeEmulator } from '#local/eventbridge/index.ts';
import type { EventEnvelope } from '#local/interfaces.ts';
import { summarizeDetail } from '#local/stack/event-summary.ts';
import { createLocalServer } from '#local/wire/index.ts';
import { ecsHarness } from '../local/helpers.ts';

const TASK_1 = 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/aaa111';
const TASK_2 = 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/bbb222';

let next = 0;
const event = (
  detailType: string,
  detail: Record<string, unknown>,
  source = 'platform.provisioner',
): EventEnvelope => ({
  version: '0',
  id: `id-${next++}`,
  'detail-type': detailType,
  source,
  account: '000000000000',
  time: '2026-01-01T12:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail,
});

const requested = event(
  'Workspace Provision Requested',
  { requestId: 'r1', workspaceId: 'ws-1', orgId: 'o', runtime: 'codex' },
  'platform.workspace-server',
);
const launched = (taskArn: string) =>
  event('Workspace Task Launched', { requestId: 'r1', workspaceId: 'ws-1', runtime: 'codex', taskArn });
const running = (taskArn: string) =>
  event('Workspace Running', { requestId: 'r1', workspaceId: 'ws-1', taskArn });
const crashed = (taskArn: string) =>
  event('Workspace Stopped', { workspaceId: 'ws-1', taskArn, cause: 'crashed', exitCode: 3 });
const recovering = (attempt: number) =>
  event(DETAIL_TYPES.recovering, {
    workspaceId: 'ws-1',
    cause: 'crashed',
    attempt,
    previousTaskArn: TASK_1,
    requestId: 'r1',
    kind: 'workspace',
    backoffSeconds: 2,
  });

describe('restartEntry', () => {
  it('builds a Workspace Restart Requested from the workspace id argument and the flags', () => {
    const { entry, detail } = restartEntry({ reason: 'stuck', 'request-id': 'req-r1' }, ['ws-1']);

    expect(entry).toMatchObject({
      Source: 'platform.workspace-server',
      DetailType: 'Workspace Restart Requested',
      EventBusName: 'workspaces',
    });
    expect(JSON.parse(entry.Detail)).toEqual({ requestId: 'req-r1', workspaceId: 'ws-1', reason: 'stuck' });
    expect(detail.requestId).toBe('req-r1');
  });

  it('generates a request id and leaves the reason out when none is given', () => {
    const { detail } = restartEntry({}, ['ws-1']);

    expect(detail.requestId).toMatch(/^cli-[0-9a-f-]{36}$/);
    expect(detail).not.toHaveProperty('reason');
  });

  it('takes --workspace-id as well as the argument', () => {
    expect(restartEntry({ 'workspace-id': 'ws-2' }, []).detail.workspaceId).toBe('ws-2');
    expect(restartEntry({ 'workspace-id': 'ws-2' }, ['ws-2']).detail.workspaceId).toBe('ws-2');
  });

  it.each<{ why: string; flags: Record<string, string>; positionals: string[]; message: string }>([
    { why: 'no workspace id', flags: {}, positionals: [], message: 'restart needs the workspace id' },
    {
      why: 'two workspace ids',
      flags: {},
      positionals: ['ws-1', 'ws-2'],
      message: 'restart takes one workspace id',
    },
    {
      why: 'an argument and a different --workspace-id',
      flags: { 'workspace-id': 'ws-2' },
      positionals: ['ws-1'],
      message: 'give the workspace id once',
    },
    {
      why: 'a workspace id with a space',
      flags: {},
      positionals: ['ws 1'],
      message: '--workspace-id: workspaceId',
    },
    {
      why: 'a reason over the contract limit',
      flags: { reason: 'x'.repeat(300) },
      positionals: ['ws-1'],
      message: '--reason: reason must be at most',
    },
    {
      why: 'a request id outside the contract',
      flags: { 'request-id': 'bad id' },
      positionals: ['ws-1'],
      message: '--request-id:',
    },
  ])('refuses $why as a usage error', ({ flags, positionals, message }) => {
    let thrown: unknown;
    try {
      restartEntry(flags, positionals);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as Error).message).toContain(message);
  });
});

describe('the lifecycle events on one line', () => {
  it.each([
    [recovering(2), 'ws-1  cause=crashed attempt=2 backoff=2s previousTask=aaa111 request=r1'],
    [
      event(DETAIL_TYPES.recoveryAbandoned, {
        workspaceId: 'ws-1',
        cause: 'out-of-memory',
        attempts: 5,
        previousTaskArn: TASK_2,
        requestId: 'r1',
        kind: 'workspace',
      }),
      'ws-1  cause=out-of-memory attempts=5 previousTask=bbb222 request=r1',
    ],
    [
      event(DETAIL_TYPES.status, {
        requestId: 's1',
        workspaceId: 'ws-1',
        state: 'running',
        taskArn: TASK_2,
        url: 'http://10.0.1.5:8000',
        since: '2026-01-01T11:59:00.000Z',
      }),
      'ws-1  state=running task=bbb222 url=http://10.0.1.5:8000 since=2026-01-01T11:59:00.000Z request=s1',
    ],
    [
      event(DETAIL_TYPES.restartFailed, {
        requestId: 'x1',
        workspaceId: 'ws-1',
        code: 'WORKSPACE_UNKNOWN',
        reason: 'no such workspace',
      }),
      'ws-1  code=WORKSPACE_UNKNOWN request=x1 reason="no such workspace"',
    ],
    [
      event(DETAIL_TYPES.orphanTaskStopped, {
        workspaceId: 'ws-1',
        taskArn: TASK_1,
        reason: 'deprovisioned',
      }),
      'ws-1  task=aaa111 reason=deprovisioned',
    ],
    [
      event(
        DETAIL_TYPES.restartRequested,
        { requestId: 'x1', workspaceId: 'ws-1', reason: 'stuck' },
        'platform.workspace-server',
      ),
      'ws-1  request=x1 reason=stuck',
    ],
  ])('%#: %s', (envelope, tail) => {
    const line = formatEventLine(envelope);

    expect(line).toContain(envelope['detail-type']);
    expect(line.endsWith(tail)).toBe(true);
  });

  it('summarizes them where every other event is summarized, so the stack’s own log shows them too', () => {
    expect(summarizeDetail(running(TASK_1))).toContain('task=');
  });
});

describe('the status of a workspace through its lifecycle events', () => {
  it('is recovering after a crash, whichever of Stopped and Recovering comes first, then running again', () => {
    const stoppedFirst = deriveWorkspaceStatus('ws-1', [
      requested,
      launched(TASK_1),
      running(TASK_1),
      crashed(TASK_1),
      recovering(1),
    ]);
    const recoveringFirst = deriveWorkspaceStatus('ws-1', [
      requested,
      launched(TASK_1),
      running(TASK_1),
      recovering(1),
      crashed(TASK_1),
    ]);
    const recovered = deriveWorkspaceStatus('ws-1', [
      requested,
      launched(TASK_1),
      running(TASK_1),
      crashed(TASK_1),
      recovering(1),
      launched(TASK_2),
      running(TASK_2),
    ]);

    expect(stoppedFirst).toMatchObject({
      state: 'recovering',
      recovery: { outcome: 'recovering', attempts: 1 },
    });
    expect(recoveringFirst.state).toBe('recovering');
    expect(formatWorkspaceStatus(stoppedFirst)).toMatch(/^recovery +recovering from crashed, attempt 1$/m);
    expect(recovered).toMatchObject({ state: 'running', taskArn: TASK_2 });
  });

  it('is failed once recovery is abandoned, and a later stop of the task does not hide it', () => {
    const abandoned = event(DETAIL_TYPES.recoveryAbandoned, {
      workspaceId: 'ws-1',
      cause: 'crashed',
      attempts: 2,
      requestId: 'r1',
      kind: 'workspace',
    });
    const status = deriveWorkspaceStatus('ws-1', [
      requested,
      launched(TASK_1),
      running(TASK_1),
      abandoned,
      crashed(TASK_1),
    ]);

    expect(status).toMatchObject({
      state: 'failed',
      recovery: { outcome: 'abandoned', cause: 'crashed', attempts: 2 },
    });
    expect(formatWorkspaceStatus(status)).toMatch(/^recovery +abandoned after 2 attempts \(crashed\)$/m);
  });

  it('shows a restart, its failure, the provisioner reported state and the orphans the sweep stopped', () => {
    const status = deriveWorkspaceStatus('ws-1', [
      requested,
      launched(TASK_1),
      running(TASK_1),
      event(
        DETAIL_TYPES.restartRequested,
        { requestId: 'x1', workspaceId: 'ws-1' },
        'platform.workspace-server',
      ),
      event(DETAIL_TYPES.restartFailed, {
        requestId: 'x1',
        workspaceId: 'ws-1',
        code: 'RESTART_FAILED',
        reason: 'the new task did not start',
      }),
      event(DETAIL_TYPES.status, {
        requestId: 's1',
        workspaceId: 'ws-1',
        state: 'running',
        since: '2026-01-01T11:59:00.000Z',
      }),
      event(DETAIL_TYPES.orphanTaskStopped, {
        workspaceId: 'ws-1',
        taskArn: TASK_2,
        reason: 'deprovisioned',
      }),
    ]);
    const lines = formatWorkspaceStatus(status);

    expect(status.state).toBe('running');
    expect(lines).toMatch(/^restart +failed RESTART_FAILED: the new task did not start \(request x1\)$/m);
    expect(lines).toMatch(/^reported +running since 2026-01-01T11:59:00.000Z \(request s1\)$/m);
    expect(lines).toContain(`orphan     task ${TASK_2} stopped (deprovisioned)`);
  });
});

describe('workspaces restart, events and status against an endpoint', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      io: { stdout: (line: string) => out.push(line), stderr: (line: string) => err.push(line) },
      out,
      err,
    };
  };

  async function endpoint() {
    const harness = ecsHarness();
    cleanups.unshift(() => harness.close());
    const eventBridge = createEventBridgeEmulator({ bus: harness.bus });
    const server = await createLocalServer({
      port: 0,
      eventBridge,
      ecs: harness.ecs,
      bus: harness.bus,
      ready: () => true,
    });
    cleanups.unshift(() => server.close());
    return { bus: harness.bus, url: server.url };
  }

  it('publishes Workspace Restart Requested with PutEvents and prints its request id', async () => {
    const { bus, url } = await endpoint();
    const { io, out } = capture();

    const code = await runCli(
      ['restart', 'ws-1', '--reason', 'stuck', '--request-id', 'req-r1', '--endpoint', url],
      io,
    );

    expect(code).toBe(0);
    const [accepted] = bus.list({ detailType: 'Workspace Restart Requested' });
    expect(accepted?.bus).toBe('workspaces');
    expect(accepted?.envelope).toMatchObject({
      source: 'platform.workspace-server',
      detail: { requestId: 'req-r1', workspaceId: 'ws-1', reason: 'stuck' },
    });
    expect(out).toEqual([
      `sent Workspace Restart Requested to bus workspaces: event ${accepted?.envelope.id}`,
      'requestId req-r1  workspace ws-1',
    ]);
  });

  it('exits 2 and sends nothing without a workspace id', async () => {
    const { bus, url } = await endpoint();
    const { io, err } = capture();

    expect(await runCli(['restart', '--endpoint', url], io)).toBe(2);
    expect(err[0]).toContain('restart needs the workspace id');
    expect(bus.list()).toEqual([]);
  });

  it('shows the lifecycle events in events and status', async () => {
    const { bus, url } = await endpoint();
    bus.accept('workspaces', [requested, launched(TASK_1), running(TASK_1), crashed(TASK_1), recovering(1)]);
    const events = capture();
    const status = capture();

    expect(await runCli(['events', '--workspace-id', 'ws-1', '--endpoint', url], events.io)).toBe(0);
    expect(await runCli(['status', '--workspace-id', 'ws-1', '--endpoint', url], status.io)).toBe(0);

    expect(events.out.at(-1)).toContain('Workspace Recovering');
    expect(events.out.at(-1)).toContain('cause=crashed attempt=1');
    expect(status.out.join('\n')).toMatch(/^status +recovering$/m);
  });

  it('lists restart in the usage', async () => {
    const { io, out } = capture();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(out.join('\n')).toContain('workspaces restart <workspaceId> [--reason TEXT] [--request-id ID]');
  });
});
