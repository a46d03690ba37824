import { spawnSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TASK_ARN_LABEL } from '#local/ecs/drivers/docker.ts';
import { daemonError } from '#local/ecs/drivers/docker-cli.ts';
import { TaskDriverUnavailableError } from '#local/ecs/index.ts';
import { buildStandInImages, containersOf, docker, dockerEngineFor } from '../../docker-engine.ts';
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

const engine = dockerEngineFor('ecs-docker-driver.test.ts');

/** A stopped task's stop code and its container's reason, as the state change carries them. */
function stoppedOutcome(harness: EcsHarness, taskArn: string) {
  const stopped = harness.stateChanges(taskArn).at(-1) as {
    stopCode?: string;
    stoppedReason?: string;
    containers: Array<{ reason?: string }>;
  };
  return {
    stopCode: stopped.stopCode,
    stoppedReason: stopped.stoppedReason,
    reason: stopped.containers[0]?.reason,
  };
}

describe.skipIf(!engine.available)('the docker driver on a real engine', () => {
  const harnesses: EcsHarness[] = [];
  beforeAll(() => buildStandInImages(), 120_000);
  afterEach(async () => {
    for (const harness of harnesses.splice(0)) await harness.close();
  });

  async function stoppedTask(definition: Partial<typeof CODEX>, overrides?: Record<string, unknown>) {
    const harness = ecsHarness({
      driver: 'docker',
      stopTimeoutMs: 1000,
      taskDefinitions: [{ ...CODEX, ...definition }],
    });
    harnesses.push(harness);
    const taskArn = harness.ecs.runTask(runTaskRequest(overrides ? { overrides } : {})).tasks[0]
      ?.taskArn as string;
    await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED', 60_000);
    return { taskArn, outcome: stoppedOutcome(harness, taskArn) };
  }

  it('runs the stand-in image, reports the exit code of its command and removes the container', async () => {
    const { taskArn, outcome } = await stoppedTask(
      {},
      {
        containerOverrides: [
          { name: 'workspace', command: ['/usr/local/bin/node', '-e', 'process.exit(7)'] },
        ],
      },
    );
    const exitCode = (harness: EcsHarness | undefined) =>
      (harness?.stateChanges(taskArn).at(-1) as { containers: Array<{ exitCode?: number }> } | undefined)
        ?.containers[0]?.exitCode;

    expect({ stopCode: outcome.stopCode, exitCode: exitCode(harnesses.at(-1)) }).toEqual({
      stopCode: 'EssentialContainerExited',
      exitCode: 7,
    });
    const deadline = Date.now() + 10_000;
    // The driver removes the container right after `docker wait` reports the exit.
    while (containersOf(TASK_ARN_LABEL, [taskArn]).length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(containersOf(TASK_ARN_LABEL, [taskArn])).toEqual([]);
  }, 90_000);

  it('reports an image that cannot be pulled with the pull error Docker gives, as CannotPullContainerError', async () => {
    const image = `ghcr.io/molecule-ai/workspace-template-codex:missing-${process.pid}`;
    // What this engine says when it pulls the image: no registry is reachable, or the tag does not exist.
    const pull = docker('pull', '--quiet', image);
    expect(pull.status).not.toBe(0);

    const { outcome } = await stoppedTask({ image });

    // Stopped task error codes: https://docs.aws.amazon.com/AmazonECS/latest/userguide/stopped-task-error-codes.html
    const reason = `CannotPullContainerError: ${pull.stderr.split('\n')[0]}`.slice(0, 255);
    expect(outcome).toEqual({ stopCode: 'TaskFailedToStart', stoppedReason: reason, reason });
  }, 90_000);

  it('reports a command that cannot be started as CannotStartContainerError, not a pull error', async () => {
    const { outcome } = await stoppedTask(
      {},
      {
        containerOverrides: [{ name: 'workspace', command: ['no-such-command-in-the-image'] }],
      },
    );

    // Stopped task error codes: https://docs.aws.amazon.com/AmazonECS/latest/userguide/stopped-task-error-codes.html
    expect(outcome.stopCode).toBe('TaskFailedToStart');
    expect(outcome.reason).toMatch(/^CannotStartContainerError: .*no-such-command-in-the-image.*not found/);
    expect(outcome.stoppedReason).toBe(outcome.reason);
  }, 90_000);

  it('removes the container of a task that failed to start (none is left in Created)', async () => {
    const { taskArn } = await stoppedTask(
      {},
      {
        containerOverrides: [{ name: 'workspace', command: ['no-such-command-in-the-image'] }],
      },
    );

    expect(containersOf(TASK_ARN_LABEL, [taskArn])).toEqual([]);
  }, 90_000);
});

describe('the daemon error in the Docker CLI stderr', () => {
  // Stderr of docker 20.10 and 28.2 CLIs against a 20.10 engine with no registry reachable.
  const pullError =
    'Error response from daemon: Get "https://ghcr.io/v2/": dial tcp: lookup ghcr.io: no such host';
  const startError =
    'Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: ' +
    'unable to start container process: exec: "nope": executable file not found in $PATH: unknown';
  it.each([
    { call: 'docker pull', stderr: `${pullError}\n`, expected: pullError },
    {
      call: 'docker run (implicit pull)',
      stderr: `Unable to find image 'ghcr.io/x/y:latest' locally\ndocker: ${pullError}\n\nRun 'docker run --help' for more information\n`,
      expected: pullError,
    },
    {
      call: 'docker start',
      stderr: `${startError}\nError: failed to start containers: 0123456789ab\n`,
      expected: startError,
    },
    {
      call: 'only chatter',
      stderr: 'Error: failed to start containers: 0123\n',
      expected: 'Error: failed to start containers: 0123',
    },
    { call: 'nothing', stderr: '', expected: '' },
  ])('is the cause, not the chatter, for $call', ({ stderr, expected }) => {
    expect(daemonError(stderr)).toBe(expected);
  });
});
