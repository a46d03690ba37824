import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { waitForEvents } from '#local/stack.ts';
import { hasAll, startTestStack, type TestStack } from './helpers.ts';
import { ROOT } from './spawned-stack.ts';

const execFileAsync = promisify(execFile);

/** Runs the installed-style bin (`bin/workspaces.js`) as a person would; resolves with its output and exit code. */
async function workspaces(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      [join(ROOT, 'bin/workspaces.js'), ...args],
      {
        cwd: ROOT,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let local: TestStack;
beforeAll(async () => {
  local = await startTestStack();
});
afterAll(async () => {
  await local?.stop();
});

describe('the workspaces CLI', () => {
  const workspaceId = 'cli-platform-1';

  it('publishes a platform request and shows the flow and the status', async () => {
    const sent = await workspaces(
      'provision',
      '--endpoint',
      local.stack.url,
      '--workspace-id',
      workspaceId,
      '--org-id',
      'org-1',
      '--runtime',
      'claude-code',
      '--kind',
      'platform',
      '--request-id',
      'cli-req-1',
    );
    expect(sent).toMatchObject({ code: 0 });
    expect(sent.stdout).toContain('requestId cli-req-1  workspace cli-platform-1  kind platform');
    await waitForEvents(
      local.stack.url,
      // Every event asserted below: the plugin install comes from the overlay function, which
      // nothing orders before Running.
      hasAll(
        workspaceId,
        DETAIL_TYPES.running,
        DETAIL_TYPES.configOverlayApplied,
        DETAIL_TYPES.taskLaunched,
        DETAIL_TYPES.templateAssetsRequested,
        DETAIL_TYPES.pluginInstallRequested,
      ),
    );

    const events = await workspaces('events', '--endpoint', local.stack.url, '--workspace-id', workspaceId);
    const types = events.stdout
      .trim()
      .split('\n')
      .map((line) => line.slice(10, 47).trim());
    expect(types).toEqual(
      expect.arrayContaining([
        'Workspace Provision Requested',
        'Workspace Task Launched',
        'Workspace Template Assets Requested',
        'Workspace Plugin Install Requested',
        'Workspace Config Overlay Applied',
        'Workspace Running',
      ]),
    );

    const status = await workspaces('status', '--endpoint', local.stack.url, '--workspace-id', workspaceId);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^status +running$/m);
    expect(status.stdout).toMatch(/^image +ghcr\.io\/molecule-ai\/workspace-template-claude-code:latest$/m);
    expect(status.stdout).toMatch(
      /^overlay +applied, template platform-agent, plugins molecule-ai-plugin-molecule-platform-mcp$/m,
    );
  });

  it('deprovisions, after which the status says so', async () => {
    const sent = await workspaces(
      'deprovision',
      '--endpoint',
      local.stack.url,
      '--workspace-id',
      workspaceId,
      '--reason',
      'done',
    );
    expect(sent.code).toBe(0);
    await waitForEvents(
      local.stack.url,
      hasAll(workspaceId, DETAIL_TYPES.deprovisioned, DETAIL_TYPES.stopped),
    );
    const status = await workspaces('status', '--endpoint', local.stack.url, '--workspace-id', workspaceId);
    expect(status.stdout).toMatch(/^status +deprovisioned$/m);
    expect(status.stdout).toMatch(/\(STOPPED\)$/m);
  });

  it('refuses bad flags with exit code 2 and sends nothing', async () => {
    const before = local.stack.bus.list().length;
    const refused = await workspaces(
      'provision',
      '--endpoint',
      local.stack.url,
      '--workspace-id',
      'cli-bad',
      '--org-id',
      'org-1',
      '--runtime',
      'cobol',
      '--tier',
      '7',
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--runtime: runtime must be one of the catalog's runtimes");
    expect(refused.stderr).toContain('--tier: tier must be an integer from 1 to 4');
    expect(local.stack.bus.list().length).toBe(before);
  });
});
