import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskDriverUnavailableError } from '#local/ecs/index.ts';
import { CODEX, type EcsHarness, ecsHarness, runTaskRequest, waitFor } from './helpers.ts';

/**
 * The docker driver needs a Docker engine, which most machines running these tests lack. Rather than
 * skip, each case checks what holds on this machine: without an engine the driver must refuse to
 * start with a clear error; with one it must really run a container.
 */
const engineReachable =
  spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 15_000 }).status === 0;

describe('the docker driver', () => {
  const harnesses: EcsHarness[] = [];
  afterEach(async () => {
    for (const harness of harnesses.splice(0)) await harness.close();
  });

  it('refuses to start when the Docker CLI is missing, and says what to do instead', () => {
    const start = () => ecsHarness({ driver: 'docker', dockerCommand: '/definitely/not/docker' });

    expect(start).toThrow(TaskDriverUnavailableError);
    expect(start).toThrow(/needs a reachable Docker engine.*--driver process/);
  });

  it(engineReachable
    ? 'runs a task as a container and reports its exit code (a Docker engine is reachable here)'
    : 'refuses to start without a reachable Docker engine (none is reachable here)', async () => {
    if (!engineReachable) {
      expect(() => ecsHarness({ driver: 'docker' })).toThrow(/`docker info` failed|could not be run/);
      return;
    }
    const harness = ecsHarness({
      driver: 'docker',
      stopTimeoutMs: 1000,
      taskDefinitions: [{ ...CODEX, image: 'busybox:latest' }],
    });
    harnesses.push(harness);
    const overrides = { containerOverrides: [{ name: 'workspace', command: ['sh', '-c', 'exit 7'] }] };
    const taskArn = harness.ecs.runTask(runTaskRequest({ overrides })).tasks[0]?.taskArn as string;
    await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED', 120_000);

    // An engine without network access cannot pull the image: that must read as a failed start.
    const stopped = harness.stateChanges(taskArn).at(-1) as {
      stopCode?: string;
      containers: Array<{ exitCode?: number; reason?: string }>;
    };
    const outcome =
      stopped.stopCode === 'TaskFailedToStart'
        ? {
            stopCode: stopped.stopCode,
            pullFailed: /^CannotPullContainerError/.test(stopped.containers[0]?.reason ?? ''),
          }
        : { stopCode: stopped.stopCode, exitCode: stopped.containers[0]?.exitCode };
    expect([
      { stopCode: 'EssentialContainerExited', exitCode: 7 },
      { stopCode: 'TaskFailedToStart', pullFailed: true },
    ]).toContainEqual(outcome);
  }, 150_000);
});
