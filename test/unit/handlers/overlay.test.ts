import { ParseError } from '@aws-lambda-powertools/parser';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadOverlays } from '#config/overlays.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { TaskLaunchedDetail } from '#contracts/outbound.ts';
import { createOverlayHandler } from '#functions/overlay/create-handler.ts';
import {
  CLUSTER_ARN,
  envelope,
  eventBridgeWithMock,
  FakeClock,
  InMemoryPersistenceLayer,
  lambdaContext,
  quietInstrumentation,
  SETTINGS,
  sentEvents,
  taskArnOf,
  testCatalog,
} from './harness.ts';

const launched = (overrides: Partial<TaskLaunchedDetail> = {}): TaskLaunchedDetail => ({
  requestId: 'req-1',
  workspaceId: 'ws-1',
  orgId: 'org-1',
  runtime: 'claude-code',
  kind: 'workspace',
  tier: 2,
  image: 'ghcr.io/molecule-ai/workspace-template-claude-code:latest',
  taskArn: taskArnOf('t-1'),
  clusterArn: CLUSTER_ARN,
  cpu: 512,
  memory: 1024,
  ...overrides,
});

function setup() {
  const clock = new FakeClock();
  const { eventBridge, eventBridgeMock } = eventBridgeWithMock();
  const handler = createOverlayHandler(
    {
      eventBridge,
      idempotencyStore: new InMemoryPersistenceLayer(),
      catalog: testCatalog(),
      overlays: loadOverlays(),
      settings: SETTINGS,
      clock,
    },
    { instrumentation: quietInstrumentation() },
  );
  const invoke = (detail: unknown) =>
    handler(
      envelope(DETAIL_TYPES.taskLaunched, detail, { source: 'platform.provisioner' }),
      lambdaContext(clock),
    );
  return { eventBridgeMock, invoke };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('overlay', () => {
  it('gives kind=platform the concierge overlay: template assets, the platform plugin, then Applied', async () => {
    const { invoke, eventBridgeMock } = setup();

    const result = await invoke(launched({ kind: 'platform' }));

    expect(result).toEqual({ outcome: 'applied', taskArn: taskArnOf('t-1'), events: 3 });
    const events = sentEvents(eventBridgeMock);
    expect(events.map((event) => event.detailType)).toEqual([
      DETAIL_TYPES.templateAssetsRequested,
      DETAIL_TYPES.pluginInstallRequested,
      DETAIL_TYPES.configOverlayApplied,
    ]);
    expect(events[0]?.detail).toMatchObject({
      workspaceId: 'ws-1',
      kind: 'platform',
      template: 'platform-agent',
      paths: ['config.yaml', 'prompts/concierge.md'],
    });
    expect(events[1]?.detail).toMatchObject({
      plugin: {
        name: 'molecule-ai-plugin-molecule-platform-mcp',
        source: 'gitea://molecule-ai/molecule-ai-plugin-molecule-platform-mcp#main',
      },
    });
    expect(events[2]?.detail).toMatchObject({
      requestId: 'req-1',
      workspaceId: 'ws-1',
      kind: 'platform',
      runtime: 'claude-code',
      taskArn: taskArnOf('t-1'),
      overlay: {
        template: 'platform-agent',
        config: { runtime_config: { required_env: [] }, prompt_files: ['prompts/concierge.md'] },
      },
    });
    expect(events.every((event) => event.resources?.includes(taskArnOf('t-1')))).toBe(true);
  });

  it('gives kind=workspace the empty overlay and no follow-up requests', async () => {
    const { invoke, eventBridgeMock } = setup();

    await invoke(launched({ kind: 'workspace' }));

    const events = sentEvents(eventBridgeMock);
    expect(events).toHaveLength(1);
    expect(events[0]?.detailType).toBe(DETAIL_TYPES.configOverlayApplied);
    expect(events[0]?.detail.overlay).toEqual({ plugins: [], config: {} });
  });

  it('is idempotent per request and task', async () => {
    const { invoke, eventBridgeMock } = setup();

    await invoke(launched({ kind: 'platform' }));
    await invoke(launched({ kind: 'platform' }));
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);

    // Another request reported the same live task (alreadyRunning): its own answer is due.
    await invoke(launched({ kind: 'platform', requestId: 'req-2', alreadyRunning: true }));
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 2);
  });

  it('throws on a malformed launched event, so it is retried and then kept in the DLQ', async () => {
    const { invoke, eventBridgeMock } = setup();
    await expect(invoke({ ...launched(), taskArn: undefined })).rejects.toBeInstanceOf(ParseError);
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });
});
