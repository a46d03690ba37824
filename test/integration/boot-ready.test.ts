import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '#config/catalog.ts';
import { loadOverlays } from '#config/overlays.ts';
import { DETAIL_TYPES, type SecretScope } from '#contracts/names.ts';
import { renderConfigs } from '#core/render-configs.ts';
import { readTemplateFiles, TEMPLATES_DIR } from '#local/asset-channel/index.ts';
import { runCli } from '#local/cli/main.ts';
import type { EventEnvelope } from '#local/interfaces.ts';
import { type LocalStackOptions, waitForEvents } from '#local/stack.ts';
import {
  about,
  hasAll,
  publish,
  publishProvision,
  settled,
  startTestStack,
  type TestStack,
  tasksOf,
  uniqueId,
} from './helpers.ts';

/**
 * Issue 12's acceptance, end to end on the local stack with the real EventBridge, ECS and S3
 * clients: workspaces boot ready, with their secrets by reference and an address to reach them.
 */

const catalog = loadCatalog();
const overlays = loadOverlays();

/** One secret per scope: a name the report must show, a value nothing may show. */
const SECRET_NAMES: Readonly<Record<SecretScope, string>> = {
  org: 'ANTHROPIC_API_KEY',
  platform: 'MOLECULE_ORG_ADMIN_TOKEN',
  workspace: 'GIT_TOKEN',
};

interface Logged {
  readonly local: TestStack;
  readonly log: string[];
}

async function startLogged(options: Partial<LocalStackOptions>): Promise<Logged> {
  const log: string[] = [];
  const local = await startTestStack({ quiet: false, log: (line) => log.push(line), ...options });
  return { local, log };
}

/** `workspaces <argv> --endpoint <stack>`, its exit code and output. */
async function cli(local: TestStack, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli([...argv, '--endpoint', local.stack.url], {
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Sets one secret in a scope with the CLI; answers the value, which nothing may show later. */
async function setSecret(local: TestStack, orgId: string, scope: SecretScope, workspaceId?: string) {
  const value = `sk-${scope}-${randomUUID()}`;
  const where = scope === 'workspace' ? ['--workspace', workspaceId ?? ''] : ['--scope', scope];
  const run = await cli(local, 'secrets', 'set', '--org', orgId, ...where, `${SECRET_NAMES[scope]}=${value}`);
  expect(run, run.err).toMatchObject({ code: 0 });
  return value;
}

/** The log's events of one workspace, in order. */
const eventsOf = (events: readonly EventEnvelope[], workspaceId: string) =>
  events.filter((event) => (event.detail as { workspaceId?: string } | null)?.workspaceId === workspaceId);

/** The `/configs` files a kind's workspace must find, rendered as the provisioner renders them. */
async function expectedConfigs(kind: 'workspace' | 'platform', runtime: string) {
  const overlay = overlays[kind];
  const template = (overlay as { template?: string }).template;
  const staged = template
    ? new Map(
        (await readTemplateFiles(join(TEMPLATES_DIR, template))).map((file) => [file.path, file.content]),
      )
    : undefined;
  const rendered = renderConfigs({
    ...(staged ? { staged } : {}),
    requiredPaths: (overlay as { identity?: { paths?: string[] } }).identity?.paths ?? [],
    configPatch: overlay.config as Record<string, unknown>,
    baseConfig: catalog.runtimes[runtime]?.baseConfig ?? {},
  });
  if (rendered.outcome !== 'ready')
    throw new Error(`the ${kind} overlay does not render: ${rendered.outcome}`);
  return rendered.manifest;
}

describe('workspaces boot ready (process driver, asset channel stand-in on)', () => {
  let running: Logged;
  const orgId = uniqueId('org');
  const secretValues: string[] = [];

  beforeAll(async () => {
    running = await startLogged({ driver: 'process' });
    secretValues.push(await setSecret(running.local, orgId, 'org'));
    secretValues.push(await setSecret(running.local, orgId, 'platform'));
  });
  afterAll(async () => {
    await running?.local.stop();
  });

  it.each([
    { kind: 'workspace' as const, runtime: 'codex', secrets: ['org', 'workspace'] as SecretScope[] },
    {
      kind: 'platform' as const,
      runtime: 'claude-code',
      secrets: ['org', 'workspace', 'platform'] as SecretScope[],
    },
  ])(
    'a $kind with secrets $secrets reaches RUNNING and reports what it booted with',
    async (request) => {
      const { local, log } = running;
      const workspaceId = uniqueId(request.kind);
      const requestId = `req-${workspaceId}`;
      secretValues.push(await setSecret(local, orgId, 'workspace', workspaceId));

      await publishProvision(local.events, {
        requestId,
        workspaceId,
        orgId,
        runtime: request.runtime,
        kind: request.kind,
        secrets: request.secrets,
      });
      const events = await waitForEvents(
        local.stack.url,
        hasAll(workspaceId, DETAIL_TYPES.running, DETAIL_TYPES.configOverlayApplied),
        20_000,
      );

      // The order a consumer sees: the asset round trip (templated kinds only) before the launch.
      const order = eventsOf(events, workspaceId).map((event) => event['detail-type']);
      const expectedOrder =
        request.kind === 'platform'
          ? [
              DETAIL_TYPES.templateAssetsRequested,
              DETAIL_TYPES.templateAssetsStaged,
              DETAIL_TYPES.taskLaunched,
              DETAIL_TYPES.configOverlayApplied,
              DETAIL_TYPES.running,
            ]
          : [DETAIL_TYPES.taskLaunched, DETAIL_TYPES.configOverlayApplied, DETAIL_TYPES.running];
      expect(order.filter((type) => (expectedOrder as string[]).includes(type))).toEqual(expectedOrder);

      const configs = await expectedConfigs(request.kind, request.runtime);
      const [applied] = about(events, DETAIL_TYPES.configOverlayApplied, workspaceId);
      expect(applied?.detail).toMatchObject({ requestId, files: configs });
      const delivered = (applied?.detail as { secrets?: string[] } | undefined)?.secrets ?? [];
      expect([...delivered].sort()).toEqual([...request.secrets].sort());

      const [runningEvent] = about(events, DETAIL_TYPES.running, workspaceId);
      if (!runningEvent) throw new Error('no Workspace Running');
      const { url, port, privateIpv4Address } = runningEvent.detail as {
        url: string;
        port: number;
        privateIpv4Address: string;
      };
      expect(url).toBe(`http://${privateIpv4Address}:${port}`);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      const body = await response.text();
      const report = JSON.parse(body) as {
        workspaceId: string;
        kind: string;
        env: string[];
        configs: { path: string; sha256: string }[];
      };
      expect(report).toMatchObject({ workspaceId, kind: request.kind });
      for (const scope of request.secrets) expect(report.env).toContain(SECRET_NAMES[scope]);
      expect(report.env).toEqual([...report.env].sort());
      expect([...report.configs].sort((a, b) => a.path.localeCompare(b.path))).toEqual(
        configs.map(({ path, sha256 }) => ({ path, sha256 })),
      );

      // No secret value anywhere: the report, the events, the stack's log, DescribeTasks.
      const tasks = await tasksOf(local.ecs, workspaceId);
      expect(tasks).toHaveLength(1);
      const seen = [body, JSON.stringify(events), log.join('\n'), JSON.stringify(tasks)].join('\n');
      for (const value of secretValues) expect(seen).not.toContain(value);
    },
    60_000,
  );
});

describe('workspaces that cannot boot ready end in their failure, with nothing left running', () => {
  let failing: Logged;
  const orgId = uniqueId('org');

  beforeAll(async () => {
    // No stand-in channel: this test stages by hand, or not at all. A short assets timeout and a
    // frequent sweep find the unanswered request quickly.
    failing = await startLogged({
      assetChannel: false,
      templateAssetsTimeoutSeconds: 1,
      sweepIntervalMs: 250,
    });
    await setSecret(failing.local, orgId, 'org');
  });
  afterAll(async () => {
    await failing?.local.stop();
  });

  const failureOf = async (workspaceId: string) => {
    const events = await waitForEvents(
      failing.local.stack.url,
      hasAll(workspaceId, DETAIL_TYPES.provisionFailed),
      15_000,
    );
    const [failed] = about(events, DETAIL_TYPES.provisionFailed, workspaceId);
    return { events, failed: failed?.detail as { code: string; reason: string } };
  };

  const expectNothingLaunched = async (events: readonly EventEnvelope[], workspaceId: string) => {
    expect(about(events, DETAIL_TYPES.taskLaunched, workspaceId)).toEqual([]);
    expect(await tasksOf(failing.local.ecs, workspaceId)).toEqual([]);
  };

  it('a listed secrets file that does not exist: SECRETS_UNAVAILABLE naming the scope, no task', async () => {
    const workspaceId = uniqueId('nosecrets');
    await publishProvision(failing.local.events, {
      requestId: `req-${workspaceId}`,
      workspaceId,
      orgId,
      runtime: 'codex',
      kind: 'workspace',
      secrets: ['org', 'workspace'],
    });
    const { events, failed } = await failureOf(workspaceId);
    expect(failed.code).toBe('SECRETS_UNAVAILABLE');
    expect(failed.reason).toContain('workspace');
    await expectNothingLaunched(events, workspaceId);
  });

  it('staged assets without a required path: TEMPLATE_ASSETS_MISSING naming it, no task', async () => {
    const workspaceId = uniqueId('missing');
    const requestId = `req-${workspaceId}`;
    await publishProvision(failing.local.events, {
      requestId,
      workspaceId,
      orgId,
      runtime: 'claude-code',
      kind: 'platform',
    });
    await waitForEvents(failing.local.stack.url, hasAll(workspaceId, DETAIL_TYPES.templateAssetsRequested));
    const partial = mkdtempSync(join(tmpdir(), 'partial-template-'));
    writeFileSync(join(partial, 'config.yaml'), 'name: Concierge\n');
    const staged = await cli(failing.local, 'assets', 'stage', '--request', requestId, '--from', partial);
    expect(staged, staged.err).toMatchObject({ code: 0 });
    const { events, failed } = await failureOf(workspaceId);
    expect(failed.code).toBe('TEMPLATE_ASSETS_MISSING');
    expect(failed.reason).toContain('prompts/concierge.md');
    await expectNothingLaunched(events, workspaceId);
  });

  it('no Staged within the template assets timeout: TEMPLATE_ASSETS_TIMEOUT, no task', async () => {
    const workspaceId = uniqueId('timeout');
    await publishProvision(failing.local.events, {
      requestId: `req-${workspaceId}`,
      workspaceId,
      orgId,
      runtime: 'claude-code',
      kind: 'platform',
    });
    const { events, failed } = await failureOf(workspaceId);
    expect(failed.code).toBe('TEMPLATE_ASSETS_TIMEOUT');
    expect(about(events, DETAIL_TYPES.templateAssetsRequested, workspaceId)).toHaveLength(1);
    await expectNothingLaunched(events, workspaceId);
  });

  it('platform secrets on a workspace kind: Provision Rejected at path secrets, nothing asked or launched', async () => {
    const workspaceId = uniqueId('rejected');
    await publishProvision(failing.local.events, {
      requestId: `req-${workspaceId}`,
      workspaceId,
      orgId,
      runtime: 'codex',
      kind: 'workspace',
      secrets: ['org', 'platform'],
    });
    const events = await waitForEvents(
      failing.local.stack.url,
      hasAll(workspaceId, DETAIL_TYPES.provisionRejected),
    );
    const [rejected] = about(events, DETAIL_TYPES.provisionRejected, workspaceId);
    const errors = (rejected?.detail as { errors?: { path: string }[] } | undefined)?.errors ?? [];
    expect(errors.map((error) => error.path)).toContain('secrets');
    expect(about(events, DETAIL_TYPES.templateAssetsRequested, workspaceId)).toEqual([]);
    await expectNothingLaunched(events, workspaceId);
  });

  it('a forged Template Assets Staged for an unknown request launches nothing', async () => {
    const workspaceId = uniqueId('forged');
    await publish(failing.local.events, DETAIL_TYPES.templateAssetsStaged, {
      requestId: `forged-${randomUUID()}`,
      workspaceId,
    });
    await settled(failing.local.stack);
    const events = await waitForEvents(failing.local.stack.url, () => true);
    expect(about(events, DETAIL_TYPES.templateAssetsStaged, workspaceId)).toHaveLength(1);
    await expectNothingLaunched(events, workspaceId);
  });
});
