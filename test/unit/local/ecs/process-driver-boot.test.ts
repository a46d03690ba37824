/**
 * The process driver with the boot step and env files: the workspace process gets its env files'
 * variables (a later file winning, the container's environment winning over every file, as the ECS
 * API Reference's EnvironmentFile says), `WORKSPACE_CONFIG_PATH` at the task's configs directory,
 * and is reported at 127.0.0.1 with a `networkBindings` entry for its real port.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBootBundle, sha256Hex } from '#core/boot-bundle.ts';
import { s3ObjectArn } from '#core/workspace-files.ts';
import type { EcsTaskDefinition } from '#local/ecs/index.ts';
import { createS3ObjectStore } from '#local/s3/index.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';
import {
  CODEX_WITH_BOOT,
  type EcsHarness,
  ecsHarness,
  runTaskRequest,
  temporaryStateDir,
  waitFor,
} from '../helpers.ts';

const BUCKET = 'workspace-files';
const FILES = [
  { path: 'config.yaml', content: Buffer.from('model: claude\n') },
  { path: 'prompts/a.md', content: Buffer.from('# a\n') },
];

describe('the process driver with env files and the boot step', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  function open(definition: EcsTaskDefinition): EcsHarness & { configsDirectory: string } {
    const state = temporaryStateDir();
    const database = openDatabase(IN_MEMORY);
    const objects = createS3ObjectStore(database);
    const put = (key: string, body: string) =>
      objects.put({ bucket: BUCKET, key, body: Buffer.from(body), headers: {} }, Date.now());
    put('orgs/o/secrets/org.env', 'FROM_ORG=org-value\nSHARED=org-value\nOVERRIDDEN=org-value\n');
    put('orgs/o/workspaces/w/secrets.env', 'SHARED=workspace-value\nOVERRIDDEN=workspace-value\n');
    put('boot/o/w/r.env', encodeBootBundle(FILES));
    const configsDirectory = join(state.dir, 'configs');
    const harness = ecsHarness({
      database,
      driver: 'process',
      stopTimeoutMs: 2000,
      taskDefinitions: [definition],
      envFiles: objects,
      configsDirectory,
    });
    cleanups.unshift(async () => {
      await harness.close();
      database.close();
      state.remove();
    });
    return { ...harness, configsDirectory };
  }

  const overrides = {
    containerOverrides: [
      {
        name: 'workspace',
        environment: [
          { name: 'WORKSPACE_ID', value: 'ws-boot' },
          { name: 'WORKSPACE_KIND', value: 'workspace' },
          { name: 'OVERRIDDEN', value: 'container-value' },
        ],
        environmentFiles: [
          { type: 's3', value: s3ObjectArn(BUCKET, 'orgs/o/secrets/org.env') },
          { type: 's3', value: s3ObjectArn(BUCKET, 'orgs/o/workspaces/w/secrets.env') },
        ],
      },
      { name: 'boot', environmentFiles: [{ type: 's3', value: s3ObjectArn(BUCKET, 'boot/o/w/r.env') }] },
    ],
  };

  it('runs the stand-in on its configs, reachable at 127.0.0.1 on the bound host port, reporting names and files', async () => {
    const harness = open(CODEX_WITH_BOOT);
    const taskArn = harness.ecs.runTask(runTaskRequest({ overrides })).tasks[0]?.taskArn as string;
    await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING');

    const running = harness.stateChanges(taskArn).at(-1) as {
      containers: Array<{
        name: string;
        networkBindings?: Array<{ bindIP: string; hostPort: number }>;
        exitCode?: number;
      }>;
      attachments: Array<{ details: Array<{ name: string; value: string }> }>;
    };
    const workspace = running.containers.find((container) => container.name === 'workspace');
    const boot = running.containers.find((container) => container.name === 'boot');
    expect(boot?.exitCode).toBe(0);
    const binding = workspace?.networkBindings?.[0];
    expect(binding?.bindIP).toBe('127.0.0.1');
    const address = running.attachments[0]?.details.find(
      (detail) => detail.name === 'privateIPv4Address',
    )?.value;
    expect(address).toBe('127.0.0.1');

    const report = (await (await fetch(`http://${address}:${binding?.hostPort}/`)).json()) as {
      workspaceId: string;
      kind: string;
      env: string[];
      configs: Array<{ path: string; sha256: string }>;
    };
    expect(report.workspaceId).toBe('ws-boot');
    expect(report.kind).toBe('workspace');
    expect(report.env).toEqual(
      expect.arrayContaining(['FROM_ORG', 'SHARED', 'OVERRIDDEN', 'WORKSPACE_CONFIG_PATH']),
    );
    expect(report.configs).toEqual(
      FILES.map((file) => ({ path: file.path, sha256: sha256Hex(file.content) })),
    );
    expect(JSON.stringify(report)).not.toContain('-value');
  });

  it('gives the files in order, a later one winning, the container environment winning over both, and WORKSPACE_CONFIG_PATH at the task configs', async () => {
    const printEnvironment = [
      process.execPath,
      '-e',
      "const e = process.env; console.log('ENV ' + JSON.stringify({ FROM_ORG: e.FROM_ORG, SHARED: e.SHARED, OVERRIDDEN: e.OVERRIDDEN, WORKSPACE_CONFIG_PATH: e.WORKSPACE_CONFIG_PATH })); setInterval(() => {}, 1000);",
    ];
    const harness = open({ ...CODEX_WITH_BOOT, localCommand: printEnvironment });
    const taskArn = harness.ecs.runTask(runTaskRequest({ overrides })).tasks[0]?.taskArn as string;
    await waitFor(() => harness.lines.some((line) => line.includes('| ENV ')), 'the environment line');
    const line = harness.lines.find((candidate) => candidate.includes('| ENV ')) as string;
    expect(JSON.parse(line.slice(line.indexOf('| ENV ') + 6))).toEqual({
      FROM_ORG: 'org-value',
      SHARED: 'workspace-value',
      OVERRIDDEN: 'container-value',
      WORKSPACE_CONFIG_PATH: join(harness.configsDirectory, taskArn.split('/').at(-1) as string),
    });
  });

  it('stops a task StopTask reaches before the agent prepared it: no boot step, no process', async () => {
    const harness = open(CODEX_WITH_BOOT);
    const taskArn = harness.ecs.runTask(runTaskRequest({ overrides })).tasks[0]?.taskArn as string;
    harness.ecs.stopTask({ cluster: 'workspaces', task: taskArn, reason: 'changed my mind' });
    await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(harness.stateChanges(taskArn).map((change) => change.lastStatus)).toEqual([
      'PROVISIONING',
      'PROVISIONING',
      'STOPPED',
    ]);
    expect(harness.stateChanges(taskArn).at(-1)).toMatchObject({
      stopCode: 'UserInitiated',
      stoppedReason: 'changed my mind',
    });
    expect(harness.lines.some((line) => line.includes('boot:') || line.includes('workspace-stand-in'))).toBe(
      false,
    );
    expect(existsSync(join(harness.configsDirectory, taskArn.split('/').at(-1) as string))).toBe(false);
  });
});
