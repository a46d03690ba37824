import { DescribeTasksCommand, ListTasksCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it, vi } from 'vitest';
import { loadOverlays } from '#config/overlays.ts';
import { DETAIL_TYPES, ECS_SOURCE, ECS_TASK_STATE_CHANGE } from '#contracts/names.ts';
import { decodeBootBundle } from '#core/boot-bundle.ts';
import { bootBundleKey, s3ObjectArn, secretsKey, stagedPrefix } from '#core/workspace-files.ts';
import { createAssetsStagedHandler } from '#functions/assets-staged/create-handler.ts';
import { createProvisionHandler } from '#functions/provision/create-handler.ts';
import { LAUNCH_REPORT_WAIT_MS } from '#functions/task-state/boot-evidence.ts';
import { createTaskStateHandler } from '#functions/task-state/create-handler.ts';
import { createTimeoutSweepHandler } from '#functions/timeout-sweep/create-handler.ts';
import {
  CLUSTER_ARN,
  ec2WithMock,
  ecsWithMock,
  envelope,
  eventBridgeWithMock,
  FakeClock,
  InMemoryPersistenceLayer,
  InMemoryProvisionRequestStore,
  InMemoryTaskVersionStore,
  InMemoryWorkspaceFiles,
  InMemoryWorkspaceLeaseStore,
  InMemoryWorkspaceRecordStore,
  lambdaContext,
  metricTotal,
  quietInstrumentation,
  SETTINGS,
  sentEvents,
  taskArnOf,
  taskDefinitionArnOf,
  testCatalog,
} from './harness.ts';

/**
 * v1.1 end to end over the handlers and in-memory ports: a templated request asks for its assets
 * and launches nothing; Template Assets Staged launches only a recorded request awaiting assets;
 * every failure code ends in Provision Failed with nothing launched; task-state reports Overlay
 * Applied on the boot step's exit 0, once, before Running with the address.
 */

const ORG = 'org-1';
const WS = 'ws-1';
const request = (overrides: Record<string, unknown> = {}) => ({
  requestId: 'req-1',
  workspaceId: WS,
  orgId: ORG,
  runtime: 'codex',
  kind: 'platform',
  ...overrides,
});

function setup() {
  const clock = new FakeClock();
  const { ecs, ecsMock } = ecsWithMock();
  const { eventBridge, eventBridgeMock } = eventBridgeWithMock();
  ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
  ecsMock.on(DescribeTasksCommand).resolves({ tasks: [], failures: [] });
  ecsMock.on(RunTaskCommand).resolves({
    tasks: [{ taskArn: taskArnOf('t-1'), clusterArn: CLUSTER_ARN, lastStatus: 'PROVISIONING' }],
  });
  const files = new InMemoryWorkspaceFiles();
  const provisionRequests = new InMemoryProvisionRequestStore();
  const workspaceLeases = new InMemoryWorkspaceLeaseStore(clock);
  const instrumentation = quietInstrumentation();
  const common = {
    ecs,
    ec2: ec2WithMock().ec2,
    eventBridge,
    workspaceLeases,
    provisionRequests,
    workspaceFiles: files,
    catalog: testCatalog(),
    overlays: loadOverlays(),
    settings: { ...SETTINGS, templateAssetsTimeoutSeconds: 300 },
    workspaceRecords: new InMemoryWorkspaceRecordStore(),
    clock,
    random: () => 0.5,
  };
  const provision = createProvisionHandler(
    { ...common, idempotencyStore: new InMemoryPersistenceLayer() },
    { instrumentation },
  );
  const staged = createAssetsStagedHandler(
    { ...common, idempotencyStore: new InMemoryPersistenceLayer() },
    { instrumentation },
  );
  const taskState = createTaskStateHandler(
    { ...common, taskVersions: new InMemoryTaskVersionStore() },
    { instrumentation },
  );
  const sweep = createTimeoutSweepHandler(common, { instrumentation });
  const context = () => lambdaContext(clock);
  const stage = (files_: Record<string, string>, requestId = 'req-1') => {
    for (const [path, text] of Object.entries(files_)) {
      files.objects.set(`${stagedPrefix(ORG, WS, requestId)}${path}`, Buffer.from(text));
    }
  };
  return {
    clock,
    ecsMock,
    eventBridgeMock,
    files,
    provisionRequests,
    instrumentation,
    stage,
    provision: (detail: unknown) => provision(envelope(DETAIL_TYPES.provisionRequested, detail), context()),
    staged: (detail: unknown) => staged(envelope(DETAIL_TYPES.templateAssetsStaged, detail), context()),
    taskState: (detail: unknown) =>
      taskState(envelope(ECS_TASK_STATE_CHANGE, detail, { source: ECS_SOURCE }), context()),
    sweep: () => sweep(envelope('Scheduled Event', {}, { source: 'aws.events' }), context()),
  };
}

const CONCIERGE = {
  'config.yaml': '# staged\nname: concierge\nruntime_config:\n  required_env: [X]\n',
  'prompts/concierge.md': 'Hello',
};
const types = (harness: ReturnType<typeof setup>) =>
  sentEvents(harness.eventBridgeMock).map((event) => event.detailType);

describe('provision (v1.1): a templated request waits for its assets', () => {
  it('records the request and emits Template Assets Requested with the destination, launching nothing', async () => {
    const harness = setup();
    const result = await harness.provision(request());
    const destination = `s3://workspace-files/${stagedPrefix(ORG, WS, 'req-1')}`;
    expect(result).toEqual({ outcome: 'awaiting-assets', destination });
    expect(harness.ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 0);
    const [event] = sentEvents(harness.eventBridgeMock);
    expect(event?.detailType).toBe(DETAIL_TYPES.templateAssetsRequested);
    expect(event?.detail).toEqual({
      requestId: 'req-1',
      workspaceId: WS,
      orgId: ORG,
      kind: 'platform',
      template: 'platform-agent',
      paths: ['config.yaml', 'prompts/concierge.md'],
      destination,
    });
    expect((await harness.provisionRequests.get('req-1'))?.status).toBe('awaiting-assets');
  });

  it('launches a request without a template at once, with config.yaml from the base config in the boot bundle', async () => {
    const harness = setup();
    const result = await harness.provision(request({ kind: 'workspace', secrets: [] }));
    expect(result).toMatchObject({ outcome: 'launched', taskArn: taskArnOf('t-1') });
    const bundle = harness.files.objects.get(bootBundleKey(ORG, WS, 'req-1'));
    expect(decodeBootBundle(bundle?.toString() ?? '').map((file) => file.path)).toEqual(['config.yaml']);
    const input = harness.ecsMock.commandCalls(RunTaskCommand)[0]?.args[0].input;
    expect(input?.overrides?.containerOverrides?.[1]).toEqual({
      name: 'boot',
      environmentFiles: [
        { type: 's3', value: `arn:aws:s3:::workspace-files/${bootBundleKey(ORG, WS, 'req-1')}` },
      ],
    });
    expect((await harness.provisionRequests.get('req-1'))?.status).toBe('launched');
  });

  it.each([
    ['org', ['org']],
    ['workspace', ['org', 'workspace']],
  ])(
    'ends in SECRETS_UNAVAILABLE naming the %s scope when its file is missing, launching nothing',
    async (scope, listed) => {
      const harness = setup();
      for (const present of listed.filter((candidate) => candidate !== scope)) {
        harness.files.objects.set(secretsKey(present as 'org', ORG, WS), Buffer.from('A=1'));
      }
      const result = await harness.provision(request({ kind: 'workspace', secrets: listed }));
      expect(result).toEqual({ outcome: 'failed', code: 'SECRETS_UNAVAILABLE' });
      expect(harness.ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 0);
      const [failed] = sentEvents(harness.eventBridgeMock);
      expect(failed?.detail).toMatchObject({
        code: 'SECRETS_UNAVAILABLE',
        reason: expect.stringContaining(`the ${scope} secrets file`),
      });
      // The provisioner asked whether the file exists; it never read a secret.
      expect(harness.files.reads.filter((key) => key.includes('secrets'))).toEqual([]);
    },
  );
});

describe('assets-staged (v1.1)', () => {
  it('launches the recorded request with the merge patch applied to the staged config.yaml and the template in Task Launched', async () => {
    const harness = setup();
    harness.files.objects.set(secretsKey('org', ORG, WS), Buffer.from('K=1'));
    harness.files.objects.set(secretsKey('platform', ORG, WS), Buffer.from('K=2'));
    await harness.provision(request({ secrets: ['platform', 'org'] }));
    harness.stage(CONCIERGE);

    const result = await harness.staged({ requestId: 'req-1', workspaceId: WS });

    expect(result).toMatchObject({ outcome: 'launched', taskArn: taskArnOf('t-1') });
    expect(types(harness)).toEqual([DETAIL_TYPES.templateAssetsRequested, DETAIL_TYPES.taskLaunched]);
    expect(sentEvents(harness.eventBridgeMock)[1]?.detail).toMatchObject({
      template: 'platform-agent',
      kind: 'platform',
    });
    const record = await harness.provisionRequests.get('req-1');
    expect(record?.status).toBe('launched');
    expect(record?.effectiveConfig).toEqual({
      name: 'concierge',
      runtime_config: { required_env: [] },
      prompt_files: ['prompts/concierge.md'],
    });
    const input = harness.ecsMock.commandCalls(RunTaskCommand)[0]?.args[0].input;
    expect(input?.overrides?.containerOverrides?.[0]?.environmentFiles?.map((file) => file.value)).toEqual([
      `arn:aws:s3:::workspace-files/${secretsKey('org', ORG, WS)}`,
      `arn:aws:s3:::workspace-files/${secretsKey('platform', ORG, WS)}`,
    ]);
    // Only ARNs travel: no secret value in the overrides.
    expect(JSON.stringify(input?.overrides)).not.toContain('K=1');
  });

  it("a workspace's own template: assets asked for, then launched with the template in Task Launched", async () => {
    const harness = setup();
    expect(await harness.provision(request({ kind: 'workspace', template: 'starter' }))).toMatchObject({
      outcome: 'awaiting-assets',
    });
    expect(sentEvents(harness.eventBridgeMock)[0]?.detail).toMatchObject({ template: 'starter', paths: [] });
    harness.stage({ 'notes.md': 'hi' });
    await harness.staged({ requestId: 'req-1', workspaceId: WS });
    expect(sentEvents(harness.eventBridgeMock)[1]).toMatchObject({
      detailType: DETAIL_TYPES.taskLaunched,
      detail: { kind: 'workspace', tier: 2, template: 'starter', taskArn: taskArnOf('t-1') },
    });
  });

  it.each([
    ['an unknown requestId', { requestId: 'req-unknown', workspaceId: WS }, false],
    ['another workspace', { requestId: 'req-1', workspaceId: 'ws-other' }, true],
  ])(
    'ignores a forged Staged event for %s: nothing launched, counted and logged',
    async (_name, forged, recorded) => {
      const harness = setup();
      if (recorded) await harness.provision(request());
      harness.stage(CONCIERGE);
      const result = await harness.staged(forged);
      expect(result).toMatchObject({ outcome: 'ignored' });
      expect(harness.ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 0);
      expect(types(harness).filter((type) => type !== DETAIL_TYPES.templateAssetsRequested)).toEqual([]);
      expect(metricTotal(harness.instrumentation.emittedMetrics(), 'ForgedEventIgnored')).toBe(1);
    },
  );

  it('drops a Staged event that breaks the contract, launching nothing and never retrying it', async () => {
    const harness = setup();
    await harness.provision(request());
    harness.stage(CONCIERGE);
    const result = await harness.staged({
      requestId: 'req-1',
      workspaceId: WS,
      destination: 's3://elsewhere/',
    });
    expect(result).toEqual({ outcome: 'ignored', reason: 'unparseable' });
    expect(harness.ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 0);
    expect((await harness.provisionRequests.get('req-1'))?.status).toBe('awaiting-assets');
  });

  it('ignores a Staged event for a request that launches at once (never awaited assets)', async () => {
    const harness = setup();
    await harness.provision(request({ kind: 'workspace' }));
    const result = await harness.staged({ requestId: 'req-1', workspaceId: WS });
    expect(result).toEqual({ outcome: 'ignored', reason: 'not-awaiting-assets' });
    expect(harness.ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 1);
  });

  it('ends in TEMPLATE_ASSETS_MISSING listing the missing paths, launching nothing', async () => {
    const harness = setup();
    await harness.provision(request());
    harness.stage({ 'config.yaml': 'a: 1' });
    const result = await harness.staged({ requestId: 'req-1', workspaceId: WS });
    expect(result).toEqual({ outcome: 'failed', code: 'TEMPLATE_ASSETS_MISSING' });
    expect(harness.ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 0);
    expect(sentEvents(harness.eventBridgeMock)[1]?.detail).toMatchObject({
      code: 'TEMPLATE_ASSETS_MISSING',
      reason: expect.stringContaining('prompts/concierge.md'),
    });
    expect((await harness.provisionRequests.get('req-1'))?.status).toBe('failed');
  });

  it('ends in TEMPLATE_ASSETS_INVALID for a config.yaml that is not a mapping', async () => {
    const harness = setup();
    await harness.provision(request());
    harness.stage({ ...CONCIERGE, 'config.yaml': '- a list' });
    expect(await harness.staged({ requestId: 'req-1', workspaceId: WS })).toEqual({
      outcome: 'failed',
      code: 'TEMPLATE_ASSETS_INVALID',
    });
    expect(harness.ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 0);
  });

  it('ends a staged request whose secrets file is missing in SECRETS_UNAVAILABLE, launching nothing', async () => {
    const harness = setup();
    await harness.provision(request({ secrets: ['platform'] }));
    harness.stage(CONCIERGE);
    expect(await harness.staged({ requestId: 'req-1', workspaceId: WS })).toEqual({
      outcome: 'failed',
      code: 'SECRETS_UNAVAILABLE',
    });
    expect(harness.ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 0);
  });

  it('cannot launch a request the timeout sweep failed first, and the timeout is reported once', async () => {
    const harness = setup();
    await harness.provision(request());
    harness.clock.advance(300_000);
    await harness.sweep();
    await harness.sweep();
    harness.stage(CONCIERGE);
    expect(await harness.staged({ requestId: 'req-1', workspaceId: WS })).toMatchObject({
      outcome: 'ignored',
    });
    expect(harness.ecsMock).toHaveReceivedCommandTimes(RunTaskCommand, 0);
    const codes = sentEvents(harness.eventBridgeMock)
      .filter((event) => event.detailType === DETAIL_TYPES.provisionFailed)
      .map((event) => event.detail.code);
    expect(codes).toEqual(['TEMPLATE_ASSETS_TIMEOUT']);
  });
});

describe('task-state (v1.1): Overlay Applied on evidence, then Running with an address', () => {
  const change = (version: number, bootExit: number | undefined, lastStatus = 'RUNNING') => ({
    clusterArn: CLUSTER_ARN,
    taskArn: taskArnOf('t-1'),
    taskDefinitionArn: taskDefinitionArnOf('codex', 1),
    startedBy: WS,
    lastStatus,
    desiredStatus: 'RUNNING',
    version,
    createdAt: '2026-03-01T12:00:00.000Z',
    startedAt: '2026-03-01T12:00:05.000Z',
    containers: [
      {
        name: 'boot',
        lastStatus: bootExit === undefined ? 'RUNNING' : 'STOPPED',
        ...(bootExit === undefined ? {} : { exitCode: bootExit }),
      },
      { name: 'workspace', lastStatus },
    ],
    attachments: [
      {
        type: 'ElasticNetworkInterface',
        status: 'ATTACHED',
        details: [{ name: 'privateIPv4Address', value: '10.0.1.23' }],
      },
    ],
    overrides: {
      containerOverrides: [
        {
          name: 'workspace',
          environment: [
            { name: 'WORKSPACE_KIND', value: 'platform' },
            { name: 'WORKSPACE_RUNTIME', value: 'codex' },
          ],
        },
      ],
    },
  });

  async function launchedPlatform() {
    const harness = setup();
    harness.files.objects.set(secretsKey('org', ORG, WS), Buffer.from('K=1'));
    await harness.provision(request({ secrets: ['org'] }));
    harness.stage(CONCIERGE);
    await harness.staged({ requestId: 'req-1', workspaceId: WS });
    return harness;
  }

  it('publishes Overlay Applied with the files and secrets, then Running with the address, in that order and once', async () => {
    const harness = await launchedPlatform();
    await harness.taskState(change(2, 0));
    await harness.taskState(change(3, 0));

    const events = sentEvents(harness.eventBridgeMock).slice(2);
    expect(events.map((event) => event.detailType)).toEqual([
      DETAIL_TYPES.configOverlayApplied,
      DETAIL_TYPES.running,
      DETAIL_TYPES.running,
    ]);
    const applied = events[0]?.detail;
    expect(applied).toMatchObject({
      requestId: 'req-1',
      taskArn: taskArnOf('t-1'),
      kind: 'platform',
      secrets: ['org'],
    });
    expect(((applied?.files ?? []) as Array<{ path: string }>).map((file) => file.path)).toEqual([
      'config.yaml',
      'prompts/concierge.md',
    ]);
    expect(events[1]?.detail).toMatchObject({
      privateIpv4Address: '10.0.1.23',
      port: 8000,
      url: 'http://10.0.1.23:8000',
    });
    // Separate publishes: Overlay Applied is on the bus before Running.
    expect(harness.eventBridgeMock.commandCalls(PutEventsCommand).length).toBe(5);
  });

  it('reports nothing while the boot step has not exited 0', async () => {
    const harness = await launchedPlatform();
    await harness.taskState(change(2, undefined, 'PENDING'));
    await harness.taskState(change(3, 1, 'STOPPED'));
    expect(types(harness)).not.toContain(DETAIL_TYPES.configOverlayApplied);
  });

  it("finds the request through the task's boot bundle when the record does not know the task yet", async () => {
    const harness = await launchedPlatform();
    // As after an invocation that died between RunTask and recording the task.
    vi.spyOn(harness.provisionRequests, 'findByTask').mockResolvedValue(undefined);
    const withBundle = (bundleWorkspace: string, version: number) => {
      const event = change(version, 0);
      event.overrides.containerOverrides.push({
        name: 'boot',
        environmentFiles: [
          { type: 's3', value: s3ObjectArn('workspace-files', bootBundleKey(ORG, bundleWorkspace, 'req-1')) },
        ],
      } as never);
      return event;
    };
    // A bundle of another workspace names nothing.
    await harness.taskState(withBundle('ws-other', 2));
    expect(types(harness)).not.toContain(DETAIL_TYPES.configOverlayApplied);
    await harness.taskState(withBundle(WS, 3));
    expect(
      sentEvents(harness.eventBridgeMock)
        .filter((event) => event.detailType === DETAIL_TYPES.configOverlayApplied)
        .map((event) => event.detail.requestId),
    ).toEqual(['req-1']);
  });

  it('marks the request launched only once its Task Launched is out, having named the task before', async () => {
    const harness = setup();
    harness.files.objects.set(secretsKey('org', ORG, WS), Buffer.from('K=1'));
    await harness.provision(request({ secrets: ['org'] }));
    harness.stage(CONCIERGE);
    const atLaunch: Array<{ status?: string; taskArn?: string }> = [];
    harness.eventBridgeMock
      .on(PutEventsCommand)
      .callsFake(async (input: { Entries?: Array<{ DetailType?: string }> }) => {
        if (input.Entries?.some((entry) => entry.DetailType === DETAIL_TYPES.taskLaunched)) {
          const record = await harness.provisionRequests.get('req-1');
          atLaunch.push({ status: record?.status, taskArn: record?.taskArn });
        }
        return {
          FailedEntryCount: 0,
          Entries: (input.Entries ?? []).map((_, index) => ({ EventId: `e-${index}` })),
        };
      });
    await harness.staged({ requestId: 'req-1', workspaceId: WS });
    expect(atLaunch).toEqual([{ status: 'launching', taskArn: taskArnOf('t-1') }]);
    expect(await harness.provisionRequests.get('req-1')).toMatchObject({
      status: 'launched',
      taskArn: taskArnOf('t-1'),
    });
  });

  it('holds Overlay Applied while the request is launching (its Task Launched not out), and reports it once it is launched', async () => {
    const harness = await launchedPlatform();
    // The boot step exited before the launching function marked the request launched.
    const launched = harness.provisionRequests.records.get('req-1');
    if (!launched) throw new Error('no request record');
    harness.provisionRequests.records.set('req-1', { ...launched, status: 'launching' });
    const reads = vi.spyOn(harness.provisionRequests, 'get');
    reads.mockImplementation(async (requestId) => {
      // The third read finds Task Launched out.
      if (reads.mock.calls.length >= 3) harness.provisionRequests.records.set('req-1', launched);
      return structuredClone(harness.provisionRequests.records.get(requestId));
    });
    const sleptBefore = harness.clock.sleeps.length;

    await harness.taskState(change(2, 0));
    expect(types(harness).slice(2)).toEqual([DETAIL_TYPES.configOverlayApplied, DETAIL_TYPES.running]);
    const waited = harness.clock.sleeps.slice(sleptBefore);
    expect(waited.length).toBeGreaterThanOrEqual(2);
    expect(waited.reduce((sum, ms) => sum + ms, 0)).toBeLessThan(LAUNCH_REPORT_WAIT_MS);
  });

  it('reports Overlay Applied all the same once the wait is over (the launch invocation died before its event)', async () => {
    const harness = await launchedPlatform();
    const launched = harness.provisionRequests.records.get('req-1');
    if (!launched) throw new Error('no request record');
    harness.provisionRequests.records.set('req-1', { ...launched, status: 'launching' });
    const sleptBefore = harness.clock.sleeps.length;

    await harness.taskState(change(2, 0));
    expect(types(harness).slice(2)).toEqual([DETAIL_TYPES.configOverlayApplied, DETAIL_TYPES.running]);
    // Bounded: late at worst, never lost.
    expect(harness.clock.sleeps.slice(sleptBefore).reduce((sum, ms) => sum + ms, 0)).toBe(
      LAUNCH_REPORT_WAIT_MS,
    );
  });

  it('reports nothing for a task the provisioner did not launch', async () => {
    const harness = setup();
    await harness.taskState(change(2, 0));
    expect(types(harness)).toEqual([DETAIL_TYPES.running]);
  });
});
