import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { waitForEvents } from '#local/stack.ts';
import { about, clientsFor, hasAll, tasksOf, tempStateDir } from './helpers.ts';
import { ROOT, type SpawnedStack, spawnStack } from './spawned-stack.ts';

const run = promisify(execFile);

/** The environment without any AWS_ variable. */
const withoutAws = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));

/** Settings that would send a careless client somewhere else, or break it. */
const HOSTILE: NodeJS.ProcessEnv = {
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_ENDPOINT_URL_ECS: 'http://127.0.0.1:9',
  AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://127.0.0.1:9',
  AWS_REGION: 'eu-west-9',
  AWS_DEFAULT_REGION: 'eu-west-9',
  AWS_ACCESS_KEY_ID: 'bogus',
  AWS_SECRET_ACCESS_KEY: 'bogus',
  AWS_SESSION_TOKEN: 'bogus',
  AWS_PROFILE: 'nonexistent',
  AWS_CONFIG_FILE: '/nonexistent/config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
  AWS_MAX_ATTEMPTS: '1',
  AWS_RETRY_MODE: 'adaptive',
};

const stateDirs: string[] = [];
const stacks: SpawnedStack[] = [];
afterAll(async () => {
  for (const stack of stacks) await stack.kill();
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
});

describe.each([
  { name: 'unset', env: withoutAws() },
  { name: 'pointing elsewhere', env: { ...withoutAws(), ...HOSTILE } },
])('with AWS_ variables $name', ({ env }) => {
  it('runs the whole flow on loopback, for the stack and for the CLI', async () => {
    const stateDir = tempStateDir();
    stateDirs.push(stateDir);
    const stack = await spawnStack(
      ['--port', '0', '--state-dir', stateDir, '--driver', 'simulated', '--quiet'],
      { env },
    );
    stacks.push(stack);
    expect(stack.readyLine).toContain('http://127.0.0.1:');

    const workspaceId = `outside-${stacks.length}`;
    const { stdout } = await run(
      process.execPath,
      [
        join(ROOT, 'bin/workspaces.js'),
        'provision',
        '--endpoint',
        stack.url,
        '--workspace-id',
        workspaceId,
        '--org-id',
        'org-1',
        '--runtime',
        'hermes',
        '--kind',
        'platform',
      ],
      { env, cwd: ROOT },
    );
    expect(stdout).toContain('sent Workspace Provision Requested');

    const events = await waitForEvents(
      stack.url,
      hasAll(workspaceId, DETAIL_TYPES.running, DETAIL_TYPES.configOverlayApplied),
    );
    const [launched] = about(events, DETAIL_TYPES.taskLaunched, workspaceId);
    // The stack's own region, never the environment's.
    expect((launched?.detail as { taskArn?: string } | undefined)?.taskArn).toMatch(
      /^arn:aws:ecs:us-east-1:000000000000:task\//,
    );
    const { ecs } = clientsFor(stack.url);
    expect(await tasksOf(ecs, workspaceId)).toHaveLength(1);
    ecs.destroy();
  });
});
