/**
 * The process driver with a managed EBS volume (v1.3): the workspace process gets
 * `WORKSPACE_DATA_PATH` at the volume's directory (winning over the container's own environment, as
 * `WORKSPACE_CONFIG_PATH` does for the configs), the stand-in writes `PUT /data/<path>` into it, and
 * what it wrote is there after the task stopped and the volume was released.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EcsTaskDefinition } from '#local/ecs/index.ts';
import {
  CODEX,
  type EcsHarness,
  ecsHarness,
  runTaskRequest,
  temporaryStateDir,
  waitFor,
} from '../helpers.ts';
import { type FakeDataVolumes, fakeDataVolumes } from './fake-data-volumes.ts';

const CODEX_WITH_DATA: EcsTaskDefinition = {
  ...CODEX,
  dataVolume: { name: 'workspace-data', mountPath: '/workspace' },
};

/** A RunTask with a kept volume and `environment` on the workspace container. */
function withVolume(environment: Array<{ name: string; value: string }>): Record<string, unknown> {
  return runTaskRequest({
    startedBy: 'ws-1',
    overrides: { containerOverrides: [{ name: 'workspace', environment }] },
    volumeConfigurations: [
      {
        name: 'workspace-data',
        managedEBSVolume: {
          roleArn: 'arn:aws:iam::000000000000:role/WorkspaceProvisioner-ecs-infrastructure',
          sizeInGiB: 20,
          terminationPolicy: { deleteOnTermination: false },
        },
      },
    ],
  });
}

describe('the process driver with a managed EBS volume', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  function open(definition: EcsTaskDefinition): EcsHarness & { volumes: FakeDataVolumes } {
    const state = temporaryStateDir();
    const volumes = fakeDataVolumes(state.dir);
    const harness = ecsHarness({
      driver: 'process',
      stopTimeoutMs: 2000,
      taskDefinitions: [definition],
      dataVolumes: volumes,
      configsDirectory: join(state.dir, 'configs'),
    });
    cleanups.unshift(async () => {
      await harness.close();
      state.remove();
    });
    return { ...harness, volumes };
  }

  it('sets WORKSPACE_DATA_PATH to the volume directory, over what the container environment says', async () => {
    const printEnvironment = [
      process.execPath,
      '-e',
      "console.log('DATA ' + JSON.stringify(process.env.WORKSPACE_DATA_PATH)); setInterval(() => {}, 1000);",
    ];
    const harness = open({ ...CODEX_WITH_DATA, localCommand: printEnvironment });
    harness.ecs.runTask(withVolume([{ name: 'WORKSPACE_DATA_PATH', value: '/workspace' }]));
    await waitFor(() => harness.lines.some((line) => line.includes('| DATA ')), 'the data path line');

    const line = harness.lines.find((candidate) => candidate.includes('| DATA ')) as string;
    const [volume] = [...harness.volumes.volumes.values()];
    expect(JSON.parse(line.slice(line.indexOf('| DATA ') + 7))).toBe(volume?.directory);
  });

  it('sets no WORKSPACE_DATA_PATH for a task without a volume configuration', async () => {
    const printEnvironment = [
      process.execPath,
      '-e',
      "console.log('DATA ' + JSON.stringify(process.env.WORKSPACE_DATA_PATH ?? null)); setInterval(() => {}, 1000);",
    ];
    const harness = open({ ...CODEX_WITH_DATA, localCommand: printEnvironment });
    harness.ecs.runTask(runTaskRequest({ startedBy: 'ws-1' }));
    await waitFor(() => harness.lines.some((line) => line.includes('| DATA ')), 'the data path line');

    const line = harness.lines.find((candidate) => candidate.includes('| DATA ')) as string;
    expect(JSON.parse(line.slice(line.indexOf('| DATA ') + 7))).toBeNull();
    expect(harness.volumes.calls).toEqual([]);
  });

  it('runs the stand-in on the volume: a file it writes is in the volume after the task stopped', async () => {
    const harness = open(CODEX_WITH_DATA);
    const taskArn = harness.ecs.runTask(withVolume([{ name: 'WORKSPACE_ID', value: 'ws-1' }])).tasks[0]
      ?.taskArn as string;
    await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING');
    const running = harness.stateChanges(taskArn).at(-1) as {
      containers: Array<{ networkBindings?: Array<{ hostPort: number }> }>;
    };
    const port = running.containers[0]?.networkBindings?.[0]?.hostPort;

    const written = await fetch(`http://127.0.0.1:${port}/data/repo/notes.md`, {
      method: 'PUT',
      body: 'kept\n',
    });
    expect(written.status).toBe(201);
    harness.ecs.stopTask({ cluster: 'workspaces', task: taskArn });
    await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');

    const [volume] = [...harness.volumes.volumes.values()];
    expect(volume?.state).toBe('available');
    expect(readFileSync(join(volume?.directory as string, 'repo', 'notes.md'), 'utf8')).toBe('kept\n');
  });
});
