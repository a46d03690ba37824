import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKSPACE_DATA_PATH_ENV } from '#contracts/names.ts';
import { TaskDriverUnavailableError } from '../errors.ts';
import type { EcsTaskDefinition } from '../task-definitions.ts';
import { containerCommand, containerEnvironment, type TaskRecord } from '../task-record.ts';
import { daemonError, firstLine, runDocker as run } from './docker-cli.ts';
import { findFreePort } from './local-ports.ts';
import {
  EMPTY_LAUNCH,
  type StoppedOutcome,
  type TaskDriver,
  type TaskDriverContext,
  type TaskLaunch,
} from './types.ts';

/** Label on every container the driver starts, holding the task ARN. */
export const TASK_ARN_LABEL = 'local.ecs.task-arn';

/**
 * The container reasons of a task that never ran, as ECS names them (stopped task error codes,
 * https://docs.aws.amazon.com/AmazonECS/latest/userguide/stopped-task-error-codes.html):
 * the image could not be pulled, or the container could not be started.
 */
export type StartFailure = 'CannotPullContainerError' | 'CannotStartContainerError';

/** Reasons are cut to the length the workspace events keep of a stoppedReason (functions/core/task-state.ts). */
const REASON_MAX_LENGTH = 255;

/** How long `docker info` may take before the engine counts as unreachable. */
const DOCKER_INFO_TIMEOUT_MS = 15_000;

/**
 * Checks that a Docker engine answers (`docker info`).
 *
 * @throws TaskDriverUnavailableError naming what failed and what to do instead.
 */
export function assertDockerEngineReachable(dockerCommand: string): void {
  const result = spawnSync(dockerCommand, ['info', '--format', '{{.ServerVersion}}'], {
    encoding: 'utf8',
    timeout: DOCKER_INFO_TIMEOUT_MS,
  });
  if (result.error === undefined && result.status === 0) return;
  const detail =
    result.error !== undefined
      ? `${dockerCommand} could not be run (${result.error.message})`
      : `\`${dockerCommand} info\` failed: ${firstLine(result.stderr) || `exit status ${result.status}`}`;
  throw new TaskDriverUnavailableError(
    `The docker task driver needs a reachable Docker engine, and ${detail}. ` +
      'Start Docker, or run with --driver process (the default) or --driver simulated.',
    { cause: result.error },
  );
}

const containerNameOf = (task: TaskRecord): string => `ecs-local-${task.taskId}`;

/** `--mount` arguments binding a directory of this machine into the container; none without both. */
const bindMount = (source: string | undefined, target: string | undefined): string[] =>
  source !== undefined && target !== undefined
    ? ['--mount', `type=bind,source=${source},target=${target}`]
    : [];

/**
 * Runs `use` with the variables in a temporary env file (mode 0600, in a directory of its own),
 * removed as soon as `use` settles: values travel to the engine in the file, never on a command
 * line where `ps` would show them. Docker reads `--env-file` in the CLI at `docker create`.
 */
async function withEnvFile<T>(
  variables: Readonly<Record<string, string>>,
  use: (path: string | undefined) => Promise<T>,
): Promise<T> {
  const entries = Object.entries(variables);
  if (entries.length === 0) return use(undefined);
  const directory = mkdtempSync(join(tmpdir(), 'ecs-local-env-'));
  const path = join(directory, 'task.env');
  try {
    writeFileSync(path, entries.map(([name, value]) => `${name}=${value}\n`).join(''), { mode: 0o600 });
    return await use(path);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** The container's address on its (bridge) network, as `docker inspect` reports it; '' when none. */
async function containerAddress(dockerCommand: string, containerId: string): Promise<string> {
  const inspected = await run(dockerCommand, [
    'inspect',
    '--format',
    '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}',
    containerId,
  ]);
  return inspected.code === 0 ? (inspected.stdout.trim().split(/\s+/)[0] ?? '') : '';
}

/**
 * The `docker` driver: each task is a container of the task definition's image, named
 * `ecs-local-<task id>`, with the container override's environment and command, `PORT` set to the
 * container port, published on a free loopback port. The task's configs directory is bind-mounted at
 * `/configs`, its managed EBS volume's directory (v1.3) at the runtime's data path with
 * `WORKSPACE_DATA_PATH` set to that path, and its env files' variables go in through a temporary `--env-file` (mode 0600,
 * removed once the container is created), never on the command line. The task's address is the
 * container's bridge IP; its port the container port. The image is pulled only when the engine lacks
 * it; then the container is created and started, each step on its own so a failure is named for the
 * step that failed: `CannotPullContainerError: <the daemon's pull error>` or
 * `CannotStartContainerError: <the daemon's create or start error>`, as the task's stoppedReason and
 * its container's reason, with stop code `TaskFailedToStart`; a container that was created but could
 * not start is removed. RUNNING once `docker start` returns; STOPPED with the container's exit code
 * (`docker wait`). StopTask runs `docker stop` with the stop timeout.
 *
 * Containers outlive a crashed local stack; after a restart a still-running container is adopted
 * again, one that exited is reported with its exit code.
 *
 * @throws TaskDriverUnavailableError at creation when no Docker engine is reachable.
 */
export function createDockerDriver(context: TaskDriverContext): TaskDriver {
  const { hooks, dockerCommand, log } = context;
  assertDockerEngineReachable(dockerCommand);
  const watchers = new Map<string, ChildProcess>();
  const containers = new Map<string, string>();
  const stopping = new Set<string>();

  /** Follows a running container until it exits, then reports the exit and removes it. */
  function watch(task: TaskRecord, containerId: string): void {
    containers.set(task.taskArn, containerId);
    const waiter = spawn(dockerCommand, ['wait', containerId], { stdio: ['ignore', 'pipe', 'ignore'] });
    watchers.set(task.taskArn, waiter);
    let output = '';
    waiter.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    waiter.once('error', () => {});
    waiter.once('close', (code) => {
      if (watchers.get(task.taskArn) !== waiter) return;
      watchers.delete(task.taskArn);
      containers.delete(task.taskArn);
      stopping.delete(task.taskArn);
      const exitCode = Number.parseInt(output.trim(), 10);
      hooks.stopped(task.taskArn, code === 0 && Number.isFinite(exitCode) ? { exitCode } : {});
      void run(dockerCommand, ['rm', containerId]);
    });
  }

  /** Reports a task that never ran, with the reason ECS would give. */
  function failedToStart(task: TaskRecord, failure: StartFailure, detail: string): void {
    const reason = `${failure}: ${detail}`.slice(0, REASON_MAX_LENGTH);
    hooks.stopped(task.taskArn, { failedToStart: true, containerReason: reason, stoppedReason: reason });
  }

  /** Pulls `image` unless the engine has it; resolves to the daemon's error when the pull fails. */
  async function pullUnlessPresent(image: string): Promise<string | undefined> {
    const present = await run(dockerCommand, ['image', 'inspect', '--format', '{{.Id}}', image]);
    if (present.code === 0) return undefined;
    const pulled = await run(dockerCommand, ['pull', '--quiet', image]);
    if (pulled.code === 0) return undefined;
    return daemonError(pulled.stderr) || `docker pull exited with status ${pulled.code}`;
  }

  async function launch(
    task: TaskRecord,
    definition: EcsTaskDefinition,
    prepared: TaskLaunch,
  ): Promise<void> {
    hooks.pending(task.taskArn);
    const pullError = await pullUnlessPresent(definition.image);
    if (pullError !== undefined) {
      failedToStart(task, 'CannotPullContainerError', pullError);
      return;
    }
    const port = await findFreePort();
    // The container's own environment wins over its env files: `--env` is applied after `--env-file`.
    // The volume's mount path wins over the container's own environment: that is where the data is.
    const hasDataVolume = prepared.dataDirectory !== undefined && prepared.dataMountPath !== undefined;
    const environment = {
      ...(definition.environment ?? {}),
      ...containerEnvironment(task, definition.containerName),
      PORT: String(definition.containerPort),
      AWS_REGION: context.region,
      AWS_DEFAULT_REGION: context.region,
      ...(hasDataVolume ? { [WORKSPACE_DATA_PATH_ENV]: prepared.dataMountPath as string } : {}),
    };
    const mount = [
      ...bindMount(prepared.configsDirectory, prepared.configsMountPath),
      ...bindMount(prepared.dataDirectory, prepared.dataMountPath),
    ];
    const created = await withEnvFile(prepared.environmentFileVariables, (envFile) =>
      run(dockerCommand, [
        'create',
        '--name',
        containerNameOf(task),
        '--label',
        `${TASK_ARN_LABEL}=${task.taskArn}`,
        '--publish',
        `127.0.0.1:${port}:${definition.containerPort}`,
        '--cpus',
        String(Number(task.cpu) / 1024),
        '--memory',
        `${task.memory}m`,
        ...mount,
        ...(envFile !== undefined ? ['--env-file', envFile] : []),
        ...Object.entries(environment).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
        definition.image,
        ...(containerCommand(task, definition.containerName) ?? []),
      ]),
    );
    const containerId = created.stdout.trim();
    if (created.code !== 0 || containerId === '') {
      failedToStart(task, 'CannotStartContainerError', daemonError(created.stderr) || 'docker create failed');
      return;
    }
    const started = await run(dockerCommand, ['start', containerId]);
    if (started.code !== 0) {
      // A container that could not start stays in Created; nothing else would ever remove it.
      await run(dockerCommand, ['rm', '--force', containerId]);
      failedToStart(task, 'CannotStartContainerError', daemonError(started.stderr) || 'docker start failed');
      return;
    }
    log(`task   ${task.family} ${task.taskId.slice(0, 8)} | container ${containerId.slice(0, 12)}`);
    // As on Fargate, the workspace is reached on its own address at its container port.
    const address = await containerAddress(dockerCommand, containerId);
    hooks.running(task.taskArn, {
      containerId,
      port,
      ...(address !== '' ? { privateIPv4Address: address } : {}),
    });
    watch(task, containerId);
    if (stopping.has(task.taskArn)) void run(dockerCommand, ['stop', '--time', stopSeconds(), containerId]);
  }

  const stopSeconds = (): string => String(Math.max(0, Math.ceil(context.stopTimeoutMs / 1000)));

  function stop(task: TaskRecord): void {
    stopping.add(task.taskArn);
    const containerId = containers.get(task.taskArn) ?? task.local?.containerId;
    if (containerId !== undefined) void run(dockerCommand, ['stop', '--time', stopSeconds(), containerId]);
  }

  return {
    name: 'docker',
    start(task, definition, prepared = EMPTY_LAUNCH) {
      setImmediate(() => {
        launch(task, definition, prepared).catch((error: unknown) =>
          failedToStart(
            task,
            'CannotStartContainerError',
            error instanceof Error ? error.message : String(error),
          ),
        );
      });
    },
    stop,
    async adopt(task) {
      const containerId = task.local?.containerId ?? containerNameOf(task);
      const inspect = await run(dockerCommand, [
        'inspect',
        '--format',
        '{{.State.Running}} {{.State.ExitCode}}',
        containerId,
      ]);
      const [isRunning, exitCodeText] = inspect.stdout.trim().split(' ');
      if (inspect.code === 0 && isRunning === 'true') {
        if (task.startedAt === undefined) {
          const address = await containerAddress(dockerCommand, containerId);
          hooks.running(task.taskArn, {
            containerId,
            ...(address !== '' ? { privateIPv4Address: address } : {}),
          });
        }
        watch(task, containerId);
        if (task.desiredStatus === 'STOPPED') stop(task);
        return;
      }
      const exitCode = Number.parseInt(exitCodeText ?? '', 10);
      const outcome: StoppedOutcome = {
        failedToStart: task.startedAt === undefined,
        stoppedReason:
          inspect.code === 0
            ? 'Local stack restarted; the container had exited'
            : 'Local stack restarted; the container is gone',
        ...(inspect.code === 0 && Number.isFinite(exitCode) ? { exitCode } : {}),
      };
      hooks.stopped(task.taskArn, outcome);
      if (inspect.code === 0) void run(dockerCommand, ['rm', containerId]);
    },
    async close() {
      const running = [...containers.values()];
      await Promise.all(
        running.map((containerId) => run(dockerCommand, ['stop', '--time', stopSeconds(), containerId])),
      );
      const waiting = [...watchers.values()];
      await Promise.all(
        waiting.map(
          (waiter) =>
            new Promise<void>((resolve) => {
              if (waiter.exitCode !== null || waiter.signalCode !== null) resolve();
              else waiter.once('close', () => resolve());
            }),
        ),
      );
    },
  };
}
