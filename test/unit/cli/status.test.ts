import { describe, expect, it } from 'vitest';
import { formatEventLine } from '#local/cli/format.ts';
import { deriveWorkspaceStatus, formatWorkspaceStatus } from '#local/cli/status.ts';
import type { EventEnvelope } from '#local/interfaces.ts';

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

const taskArn = 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/abc123';
const launchedFlow = [
  event(
    'Workspace Provision Requested',
    { requestId: 'r1', workspaceId: 'ws-1', orgId: 'o', runtime: 'codex', kind: 'platform' },
    'platform.workspace-server',
  ),
  event('Workspace Task Launched', {
    requestId: 'r1',
    workspaceId: 'ws-1',
    runtime: 'codex',
    kind: 'platform',
    image: 'ghcr.io/molecule-ai/workspace-template-codex:latest',
    taskArn,
  }),
  event('Workspace Config Overlay Applied', {
    requestId: 'r1',
    workspaceId: 'ws-1',
    kind: 'platform',
    overlay: { template: 'platform-agent', plugins: [{ name: 'mcp', source: 'x' }], config: {} },
  }),
];

describe('deriveWorkspaceStatus', () => {
  it('reports a launched workspace with its overlay', () => {
    const status = deriveWorkspaceStatus('ws-1', launchedFlow);
    expect(status).toMatchObject({
      state: 'launched',
      requestId: 'r1',
      kind: 'platform',
      taskArn,
      image: 'ghcr.io/molecule-ai/workspace-template-codex:latest',
      overlayApplied: true,
      overlayTemplate: 'platform-agent',
      plugins: ['mcp'],
    });
  });

  it('reports running once the task runs, and stopped after deprovision', () => {
    const running = [
      ...launchedFlow,
      event('Workspace Running', { workspaceId: 'ws-1', taskArn, version: 3 }),
    ];
    expect(deriveWorkspaceStatus('ws-1', running).state).toBe('running');
    const stopped = [
      ...running,
      event('Workspace Stopped', { workspaceId: 'ws-1', taskArn, version: 5 }),
      event('Workspace Deprovisioned', { requestId: 'r2', workspaceId: 'ws-1', taskArns: [taskArn] }),
    ];
    expect(deriveWorkspaceStatus('ws-1', stopped).state).toBe('deprovisioned');
  });

  it('takes ECS at its word about a task that stopped', () => {
    expect(deriveWorkspaceStatus('ws-1', launchedFlow, [{ taskArn, lastStatus: 'STOPPED' }])).toMatchObject({
      state: 'stopped',
      taskStatus: 'STOPPED',
    });
  });

  it('reports a rejection with its errors', () => {
    const status = deriveWorkspaceStatus('ws-9', [
      event('Workspace Provision Rejected', {
        workspaceId: 'ws-9',
        rejectedEventId: 'e',
        rejectedDetailType: 'Workspace Provision Requested',
        errors: [{ path: 'runtime', message: 'unknown' }],
      }),
    ]);
    expect(status).toMatchObject({ state: 'rejected', rejection: ['runtime: unknown'] });
  });

  it('reports a failure with its code', () => {
    const status = deriveWorkspaceStatus('ws-1', [
      ...launchedFlow.slice(0, 1),
      event('Workspace Provision Failed', {
        workspaceId: 'ws-1',
        code: 'CAPACITY_UNAVAILABLE',
        reason: 'no room',
        retryable: true,
      }),
    ]);
    expect(status).toMatchObject({
      state: 'failed',
      failure: { code: 'CAPACITY_UNAVAILABLE', reason: 'no room' },
    });
    expect(formatWorkspaceStatus(status)).toContain('failure    CAPACITY_UNAVAILABLE: no room');
  });

  it('ignores other workspaces', () => {
    expect(deriveWorkspaceStatus('ws-2', launchedFlow)).toMatchObject({ state: 'unknown', events: 0 });
  });
});

describe('formatEventLine', () => {
  it('puts the detail-type, the workspace and the facts on one line', () => {
    const line = formatEventLine(launchedFlow[1] as EventEnvelope);
    expect(line).toMatch(/^12:00:00 {2}Workspace Task Launched +ws-1 {2}task=abc123 image=ghcr\.io/);
  });

  it('shows an ECS task state change by its startedBy workspace', () => {
    const line = formatEventLine(
      event(
        'ECS Task State Change',
        { taskArn, startedBy: 'ws-1', lastStatus: 'RUNNING', version: 2 },
        'aws.ecs',
      ),
    );
    expect(line).toContain('ws-1  task=abc123 lastStatus=RUNNING version=2');
  });
});
