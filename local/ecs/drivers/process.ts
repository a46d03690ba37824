import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WORKSPACE_CONFIG_PATH_ENV, WORKSPACE_DATA_PATH_ENV } from '#contracts/names.ts';
import { safeText } from '#local/wire/safe-text.ts';
import type { EcsTaskDefinition } from '../task-definitions.ts';
import { containerEnvironment, type TaskRecord } from '../task-record.ts';
import { findFreePort } from './local-ports.ts';
import {
  EMPTY_LAUNCH,
  type StoppedOutcome,
  type TaskDriver,
  type TaskDriverContext,
  type TaskLaunch,
} from './types.ts';

/** The line the stand-in workspace prints once it listens; the task is RUNNING from then on. */
export const STAND_IN_READY_PREFIX = 'workspace-stand-in: ready ';

/** The stand-in workspace's source, run when a runtime has no `localCommand`. */
export const STAND_IN_PATH = fileURLToPath(new URL('../../workspace-stand-in.ts', import.meta.url));

/**
 * argv of the stand-in workspace: the same Node binary with the tsx loader (resolved to a file URL,
 * so it does not depend on the working directory). `--exit-with-parent` makes it exit when its stdin
 * (a pipe from the local stack) closes, so a killed stack leaves no orphans behind.
 */
export function standInArgv(): string[] {
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return [process.execPath, '--import', tsxLoader, STAND_IN_PATH, '--exit-with-parent'];
}

/** Parent variables a workspace process needs to run at all; nothing else leaks into it. */
const INHERITED_ENV = [
  'PATH',
  'HOME',
  'TMPDIR',
  'TMP',
  'TEMP',
  'LANG',
  'LC_ALL',
  'TZ',
  'SystemRoot',
  'WINDIR',
  'COMSPEC',
];

const LOOPBACK = '127.0.0.1';

/**
 * A workspace process's environment, in ECS's order of precedence: the few system variables it
 * needs to run, then its env files' variables (files in order, a later one winning), then the
 * container's own `environment` (task definition, then RunTask override), which wins over the files
 * (ECS API Reference, EnvironmentFile), then what the platform sets: `PORT`, the region,
 * `WORKSPACE_CONFIG_PATH` pointing at the task's configs directory (its `/configs`) and, for a task
 * with a managed EBS volume, `WORKSPACE_DATA_PATH` pointing at the volume's directory (its data path,
 * `/workspace`). Both directories are where the process finds those volumes, so they win over
 * whatever the container's environment says.
 */
function workspaceEnvironment(
  entry: RunningProcess,
  definition: EcsTaskDefinition,
  port: number,
  region: string,
): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const name of INHERITED_ENV) {
    const value = process.env[name];
    if (value !== undefined) environment[name] = value;
  }
  const { launch, task } = entry;
  Object.assign(
    environment,
    launch.environmentFileVariables,
    definition.environment ?? {},
    containerEnvironment(task, definition.containerName),
    { PORT: String(port), AWS_REGION: region, AWS_DEFAULT_REGION: region },
  );
  if (launch.configsDirectory !== undefined) environment[WORKSPACE_CONFIG_PATH_ENV] = launch.configsDirectory;
  if (launch.dataDirectory !== undefined) environment[WORKSPACE_DATA_PATH_ENV] = launch.dataDirectory;
  return environment;
}

const exitCodeOf = (code: number | null, signal: NodeJS.Signals | null): number | undefined => {
  if (code !== null) return code;
  const number = signal === null ? undefined : constants.signals[signal];
  // As Docker reports a container killed by a signal.
  return number === undefined ? undefined : 128 + number;
};

interface RunningProcess {
  readonly task: TaskRecord;
  /** What the agent prepared; kept to spawn the process again after a restart. */
  readonly launch: TaskLaunch;
  child?: ChildProcess;
  /** A process a previous run of the stack started and this one took over: not our child, watched by pid. */
  adopted?: { readonly pid: number; readonly argv: readonly string[]; watch?: NodeJS.Timeout };
  stopRequested: boolean;
  killTimer?: NodeJS.Timeout;
  readonly exited: Promise<void>;
  markExited(): void;
}

/** Why a task that ran before the stack restarted stopped when its process could not be spawned again. */
const RESPAWN_FAILED_REASON = 'Local stack restarted; the task process could not be spawned again';

/** How often an adopted process (not our child, so no exit event) is checked for being gone. */
const ADOPTED_WATCH_MS = 250;

/** True when `pid` is alive and still runs `argv` (Linux only; elsewhere we cannot tell, so false). */
function isSameProcess(pid: number, argv: readonly string[] | undefined): boolean {
  if (argv === undefined || process.platform !== 'linux') return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return cmdline.length === argv.length && cmdline.every((part, index) => part === argv[index]);
  } catch {
    return false;
  }
}

/**
 * The `process` driver: each task is a local process, the runtime's `localCommand` or the stand-in
 * workspace, with its env files' variables, the container's environment, `PORT` (a free loopback
 * port), the Fargate region variables, `WORKSPACE_CONFIG_PATH` at the task's configs directory and
 * `WORKSPACE_DATA_PATH` at its EBS volume's directory when it has one (see `workspaceEnvironment`). Its address is 127.0.0.1 and its port a `networkBindings` entry
 * (`hostPort`). RUNNING once spawned, or for the stand-in once it prints its ready line;
 * STOPPED with the real exit code when it exits. StopTask sends SIGTERM, then SIGKILL after
 * `stopTimeoutMs`. A task whose spawn fails stops with `TaskFailedToStart`.
 *
 * After a restart of the stack, a task that was to keep running goes on, as an ECS task does when
 * the control plane restarts: a `localCommand` process still running under the recorded pid and
 * argv is adopted (watched by pid; its exit code is then unknown), anything else is spawned again
 * (the stand-in always: it exits with its parent), on a new port, so the task's record and its
 * RUNNING event change (version rises) while it stays the same task. Only a task whose desired
 * status was already STOPPED is recorded stopped (a leftover process of it is sent SIGTERM).
 */
export function createProcessDriver(context: TaskDriverContext): TaskDriver {
  const { hooks, log } = context;
  const running = new Map<string, RunningProcess>();
  const defaultArgv = standInArgv();

  function finish(entry: RunningProcess, outcome: StoppedOutcome): void {
    if (running.get(entry.task.taskArn) !== entry) return;
    running.delete(entry.task.taskArn);
    clearTimeout(entry.killTimer);
    clearInterval(entry.adopted?.watch);
    entry.markExited();
    hooks.stopped(entry.task.taskArn, outcome);
  }

  function isRunning(entry: RunningProcess): boolean {
    const { child, adopted } = entry;
    if (child !== undefined) return child.exitCode === null && child.signalCode === null;
    return adopted !== undefined && isSameProcess(adopted.pid, adopted.argv);
  }

  function signal(entry: RunningProcess, name: NodeJS.Signals): void {
    if (!isRunning(entry)) return;
    if (entry.child !== undefined) {
      entry.child.kill(name);
      return;
    }
    try {
      if (entry.adopted !== undefined) process.kill(entry.adopted.pid, name);
    } catch {
      // Gone in the meantime: the watch reports it.
    }
  }

  function terminate(entry: RunningProcess): void {
    entry.stopRequested = true;
    if (!isRunning(entry)) return;
    signal(entry, 'SIGTERM');
    if (entry.killTimer === undefined) {
      entry.killTimer = setTimeout(() => signal(entry, 'SIGKILL'), context.stopTimeoutMs);
      entry.killTimer.unref();
    }
  }

  function track(task: TaskRecord, launch: TaskLaunch): RunningProcess {
    let markExited = () => {};
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    const entry: RunningProcess = {
      task,
      launch,
      stopRequested: false,
      exited,
      markExited: () => markExited(),
    };
    running.set(task.taskArn, entry);
    return entry;
  }

  /**
   * Spawns the task's process on a later tick (RunTask answers first, and PENDING follows as its own
   * change). A task that ran before the stack restarted and cannot be spawned again has not failed
   * to start: it stops as a container that exited.
   */
  function spawnLater(entry: RunningProcess, definition: EcsTaskDefinition): void {
    const ranBefore = entry.task.startedAt !== undefined;
    setImmediate(() => {
      launch(entry, definition, ranBefore).catch((error: unknown) =>
        finish(entry, {
          failedToStart: !ranBefore,
          containerReason: `CannotStartContainerError: ${error instanceof Error ? error.message : String(error)}`,
          stoppedReason: ranBefore ? RESPAWN_FAILED_REASON : 'Task failed to start',
        }),
      );
    });
  }

  /** Takes over a live process of a previous run: watched by pid until it is gone. */
  function watchAdopted(entry: RunningProcess, pid: number, argv: readonly string[]): void {
    const adopted: RunningProcess['adopted'] = { pid, argv };
    entry.adopted = adopted;
    adopted.watch = setInterval(() => {
      if (!isSameProcess(pid, argv)) finish(entry, {});
    }, ADOPTED_WATCH_MS);
  }

  async function launch(
    entry: RunningProcess,
    definition: EcsTaskDefinition,
    ranBefore: boolean,
  ): Promise<void> {
    const { task } = entry;
    const argv = definition.localCommand ? [...definition.localCommand] : defaultArgv;
    const isStandIn = definition.localCommand === undefined;
    if (entry.stopRequested) {
      finish(entry, {});
      return;
    }
    hooks.pending(task.taskArn);
    const port = await findFreePort();
    if (entry.stopRequested) {
      finish(entry, {});
      return;
    }
    const environment = workspaceEnvironment(entry, definition, port, context.region);

    const [command, ...args] = argv as [string, ...string[]];
    const child = spawn(command, args, {
      cwd: context.cwd,
      env: environment,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    entry.child = child;
    let spawned = false;
    const prefix = `task   ${task.family} ${task.taskId.slice(0, 8)} |`;
    // The workspace is reached on loopback: that is its address, and its port is bound on the host.
    const placement = () => ({
      ...(child.pid !== undefined ? { pid: child.pid } : {}),
      argv,
      port,
      privateIPv4Address: LOOPBACK,
      networkBindings: [{ bindIP: LOOPBACK, containerPort: port, hostPort: port, protocol: 'tcp' as const }],
    });

    child.once('spawn', () => {
      spawned = true;
      if (entry.stopRequested) terminate(entry);
      else if (!isStandIn) hooks.running(task.taskArn, placement());
    });
    child.once('error', (error) => {
      if (spawned) {
        log(`${prefix} ${error.message}`);
        return;
      }
      finish(entry, {
        failedToStart: !ranBefore,
        containerReason: `CannotStartContainerError: ${error.message}`.slice(0, 255),
        stoppedReason: ranBefore ? RESPAWN_FAILED_REASON : 'Task failed to start',
      });
    });
    child.once('exit', (code, signal) => {
      if (!spawned) return;
      const exitCode = exitCodeOf(code, signal);
      finish(entry, exitCode === undefined ? {} : { exitCode });
    });
    // Keep stdin open and unused: the stand-in watches it to exit with its parent.
    child.stdin?.on('error', () => {});
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on('line', (line) => {
        if (isStandIn && line.startsWith(STAND_IN_READY_PREFIX) && !entry.stopRequested) {
          hooks.running(task.taskArn, placement());
        }
        log(`${prefix} ${safeText(line)}`);
      });
    }
  }

  return {
    name: 'process',
    start(task, definition, launch = EMPTY_LAUNCH) {
      spawnLater(track(task, launch), definition);
    },
    stop(task) {
      const entry = running.get(task.taskArn);
      if (entry !== undefined) terminate(entry);
      else hooks.stopped(task.taskArn, {});
    },
    adopt(task, definition, launch = EMPTY_LAUNCH) {
      const pid = task.local?.pid;
      const argv = task.local?.argv;
      const alive = pid !== undefined && isSameProcess(pid, argv);
      const prefix = `task   ${task.family} ${task.taskId.slice(0, 8)}`;
      if (task.desiredStatus === 'RUNNING' && alive && definition.localCommand !== undefined) {
        watchAdopted(track(task, launch), pid, argv as readonly string[]);
        log(`${prefix} adopted its process ${pid}, still running after the local stack restarted`);
        return;
      }
      if (alive) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // Gone in the meantime: nothing to stop.
        }
      }
      if (task.desiredStatus === 'RUNNING') {
        log(`${prefix} spawning its process again after the local stack restarted`);
        spawnLater(track(task, launch), definition);
        return;
      }
      hooks.stopped(task.taskArn, {
        failedToStart: task.startedAt === undefined,
        stoppedReason: alive
          ? 'Local stack restarted; the task process was left over and has been stopped'
          : 'Local stack restarted; the task process is gone',
      });
    },
    async close() {
      const entries = [...running.values()];
      for (const entry of entries) terminate(entry);
      await Promise.all(entries.map((entry) => entry.exited));
    },
  };
}
