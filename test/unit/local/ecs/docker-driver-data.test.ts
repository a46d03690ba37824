/**
 * The docker driver with a managed EBS volume (v1.3), at the level of the Docker CLI it runs: a fake
 * `docker` records every argv and plays a container that runs until `docker stop`, so this runs
 * where no Docker engine does. The volume's directory is bind-mounted at the runtime's data path and
 * `WORKSPACE_DATA_PATH` is that path, over what the container's environment says; a task without a
 * volume gets neither.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
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
const END = '--end-of-call--';

/**
 * A fake Docker CLI in `directory`: each call's arguments go to `calls.log`, one per line, then END;
 * `info`, `image inspect`, `create`, `start` and `inspect` succeed, `wait` blocks until `stop`.
 */
function fakeDockerCli(directory: string): { command: string; calls(): string[][] } {
  const log = join(directory, 'calls.log');
  const stopped = join(directory, 'stopped');
  const command = join(directory, 'docker');
  writeFileSync(
    command,
    [
      '#!/bin/sh',
      `{ for argument in "$@"; do printf '%s\\n' "$argument"; done; printf '%s\\n' '${END}'; } >> '${log}'`,
      'case "$1" in',
      '  info) echo 27.0.0 ;;',
      '  image) echo sha256:0123 ;;',
      '  create) echo 0123456789abcdef0123456789abcdef ;;',
      '  inspect) echo 172.17.0.9 ;;',
      `  wait) while [ ! -f '${stopped}' ]; do sleep 0.05; done; echo 0 ;;`,
      `  stop) touch '${stopped}' ;;`,
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(command, 0o755);
  writeFileSync(log, '');
  return {
    command,
    calls: () =>
      readFileSync(log, 'utf8')
        .split(`${END}\n`)
        .filter((call) => call !== '')
        .map((call) => call.split('\n').slice(0, -1)),
  };
}

/** The values following each `flag` in `argv`. */
const valuesOf = (argv: readonly string[], flag: string): string[] =>
  argv.flatMap((argument, index) => (argument === flag ? [argv[index + 1] as string] : []));

describe('the docker driver with a managed EBS volume', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  function open(): EcsHarness & { volumes: FakeDataVolumes; createArgv(): string[] } {
    const state = temporaryStateDir();
    const cli = fakeDockerCli(state.dir);
    const volumes = fakeDataVolumes(state.dir);
    const harness = ecsHarness({
      driver: 'docker',
      dockerCommand: cli.command,
      stopTimeoutMs: 1000,
      taskDefinitions: [CODEX_WITH_DATA],
      dataVolumes: volumes,
      configsDirectory: join(state.dir, 'configs'),
    });
    cleanups.unshift(async () => {
      await harness.close();
      state.remove();
    });
    return {
      ...harness,
      volumes,
      createArgv: () => cli.calls().find((call) => call[0] === 'create') ?? [],
    };
  }

  it('bind-mounts the volume directory at the data path and sets WORKSPACE_DATA_PATH to that path', async () => {
    const harness = open();
    const taskArn = harness.ecs.runTask(
      runTaskRequest({
        overrides: {
          containerOverrides: [
            { name: 'workspace', environment: [{ name: 'WORKSPACE_DATA_PATH', value: '/somewhere-else' }] },
          ],
        },
        volumeConfigurations: [
          {
            name: 'workspace-data',
            managedEBSVolume: {
              roleArn: 'arn:aws:iam::000000000000:role/WorkspaceProvisioner-ecs-infrastructure',
              sizeInGiB: 20,
            },
          },
        ],
      }),
    ).tasks[0]?.taskArn as string;
    await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING');

    const [volume] = [...harness.volumes.volumes.values()];
    const argv = harness.createArgv();
    expect(valuesOf(argv, '--mount')).toEqual([`type=bind,source=${volume?.directory},target=/workspace`]);
    expect(valuesOf(argv, '--env').filter((pair) => pair.startsWith('WORKSPACE_DATA_PATH='))).toEqual([
      'WORKSPACE_DATA_PATH=/workspace',
    ]);

    harness.ecs.stopTask({ cluster: 'workspaces', task: taskArn });
    await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');
    expect(harness.volumes.volumes.size).toBe(0);
  });

  it('mounts nothing and sets no WORKSPACE_DATA_PATH for a task without a volume configuration', async () => {
    const harness = open();
    const taskArn = harness.ecs.runTask(runTaskRequest()).tasks[0]?.taskArn as string;
    await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING');

    const argv = harness.createArgv();
    expect(argv).toContain(CODEX.image);
    expect(valuesOf(argv, '--mount')).toEqual([]);
    expect(valuesOf(argv, '--env').some((pair) => pair.startsWith('WORKSPACE_DATA_PATH='))).toBe(false);
  });
});
