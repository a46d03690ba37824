import type { DriverName } from '../../interfaces.ts';
import type { EcsTaskDefinition } from '../task-definitions.ts';
import type { LocalPlacement, TaskRecord } from '../task-record.ts';

/** How a task came to stop, as its driver saw it. The emulator turns it into stopCode and reason. */
export interface StoppedOutcome {
  /** The essential container's exit code, when it had one. */
  readonly exitCode?: number;
  /** The task never got to run (spawn failed, image could not be pulled, restart before start). */
  readonly failedToStart?: boolean;
  /** The container's `reason`, e.g. `CannotStartContainerError: spawn ENOENT`. */
  readonly containerReason?: string;
  /** The task's `stoppedReason` unless StopTask already set one. */
  readonly stoppedReason?: string;
  /** v1.3: the task's EBS volume could not be created, for this reason (its attachment FAILED). */
  readonly dataVolumeFailure?: string;
}

/**
 * What the ECS agent prepared before the essential container starts (`local/ecs/task-agent.ts`):
 * the variables of its env files, the directory the boot step wrote the `configs` volume into, and
 * the directory of the task's managed EBS volume.
 */
export interface TaskLaunch {
  /** The essential container's env files' variables, files in order, a later file winning. */
  readonly environmentFileVariables: Readonly<Record<string, string>>;
  /** The task's `configs` volume on this machine, when the task definition has a boot step. */
  readonly configsDirectory?: string;
  /** Where the volume is mounted in the container (`/configs`). */
  readonly configsMountPath?: string;
  /** v1.3: the task's managed EBS volume on this machine, when RunTask gave it one. */
  readonly dataDirectory?: string;
  /** Where that volume is mounted in the container (the runtime's data path, `/workspace`). */
  readonly dataMountPath?: string;
  /** The agent moved the task to PENDING already (it had env files to download or a boot step). */
  readonly pending?: boolean;
}

/** A launch with nothing prepared: no env files, no boot step. */
export const EMPTY_LAUNCH: TaskLaunch = { environmentFileVariables: {} };

/** What a driver reports back; the emulator records each change and emits its event. */
export interface TaskDriverHooks {
  /** The task is being prepared (image pull, process about to spawn). */
  pending(taskArn: string): void;
  /** The task runs. */
  running(taskArn: string, placement: LocalPlacement): void;
  /** The task stopped (its process or container is gone). */
  stopped(taskArn: string, outcome: StoppedOutcome): void;
}

/** What every driver is built with. */
export interface TaskDriverContext {
  readonly hooks: TaskDriverHooks;
  readonly region: string;
  /** Delay of each step of the `simulated` driver. */
  readonly stepMs: number;
  /** Grace between SIGTERM (or `docker stop`) and SIGKILL. */
  readonly stopTimeoutMs: number;
  /** Working directory of spawned processes. */
  readonly cwd: string;
  /** The Docker CLI the `docker` driver runs. */
  readonly dockerCommand: string;
  /** Prints one line (state changes, workspace output). */
  readonly log: (line: string) => void;
}

/**
 * Runs tasks somewhere: timers, local processes or Docker containers. The emulator owns the task
 * records and their state machine; a driver only makes things happen and reports through its hooks.
 */
export interface TaskDriver {
  readonly name: DriverName;
  /** Starts a freshly recorded (PROVISIONING) task with what the agent prepared. @default launch EMPTY_LAUNCH */
  start(task: TaskRecord, definition: EcsTaskDefinition, launch?: TaskLaunch): void;
  /** Stops a task StopTask asked to stop; reports `stopped` once it is gone. */
  stop(task: TaskRecord): void;
  /**
   * Takes over a task this driver ran before the local stack restarted: resume it, or report it
   * stopped when it cannot have survived.
   */
  adopt(task: TaskRecord, definition: EcsTaskDefinition, launch?: TaskLaunch): void | Promise<void>;
  /** Stops what runs (timers, processes, containers) and resolves once it is gone. */
  close(): Promise<void>;
}
