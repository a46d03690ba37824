/**
 * The ECS agent's part of starting a task, in front of whichever driver runs it: before any
 * container starts it downloads the env files of every container (a file it cannot download stops
 * the task with `TaskFailedToStart` and a `ResourceInitializationError`), then runs the boot step
 * (`boot-step.ts`) into the task's own `configs` directory, reports the boot container STOPPED with
 * its exit code, and only on exit code 0 hands the essential container to the driver (ECS's
 * `dependsOn` `SUCCESS`), with its env files' variables and the directory.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runBootStep } from './boot-step.ts';
import type { TaskDriver, TaskDriverHooks, TaskLaunch } from './drivers/types.ts';
import { downloadEnvFiles, type EnvFileDownloadError, type EnvFileSource } from './env-files.ts';
import type { EcsTaskDefinition } from './task-definitions.ts';
import { containerEnvironment, containerEnvironmentFiles, type TaskRecord } from './task-record.ts';

/** Reasons are cut to the length the workspace events keep of a stoppedReason. */
const REASON_MAX_LENGTH = 255;

/** What {@link withTaskAgent} needs. */
export interface TaskAgentOptions {
  /** Where env files are downloaded from. @default none: every env file is missing */
  readonly envFiles?: EnvFileSource;
  /** The directory holding one `configs` directory per task (`<root>/<task id>`). */
  readonly configsRoot: string;
  readonly hooks: TaskDriverHooks & {
    /** The boot container exited with `exitCode`. */
    bootStepExited(taskArn: string, containerName: string, exitCode: number): void;
  };
  readonly log: (line: string) => void;
}

/** The task's `configs` directory on this machine. */
export const configsDirectoryOf = (configsRoot: string, taskId: string): string => join(configsRoot, taskId);

/** What the preparation came to; `bootExitCode` when the boot step ran. */
type Prepared = ({ readonly launch: TaskLaunch } | { readonly failure: string }) & {
  readonly bootExitCode?: number;
};

/** `driver` with the agent's env files and boot step in front of it. */
export function withTaskAgent(driver: TaskDriver, options: TaskAgentOptions): TaskDriver {
  const { hooks, log } = options;
  /** Tasks handed to the agent whose preparation has not run yet. */
  const preparing = new Set<string>();

  function prepare(task: TaskRecord, definition: EcsTaskDefinition): Prepared {
    const bootStep = definition.bootStep;
    const workspaceFiles = containerEnvironmentFiles(task, definition.containerName);
    const bootFiles = bootStep ? containerEnvironmentFiles(task, bootStep.containerName) : [];
    let workspaceVariables: Map<string, string>;
    let bootVariables: Map<string, string>;
    try {
      workspaceVariables = downloadEnvFiles(options.envFiles, workspaceFiles);
      bootVariables = downloadEnvFiles(options.envFiles, bootFiles);
    } catch (error) {
      return { failure: (error as EnvFileDownloadError).message.slice(0, REASON_MAX_LENGTH) };
    }
    if (bootStep === undefined)
      return { launch: { environmentFileVariables: Object.fromEntries(workspaceVariables) } };
    // The container's own environment wins over its env files.
    for (const [name, value] of Object.entries(containerEnvironment(task, bootStep.containerName))) {
      bootVariables.set(name, value);
    }
    const directory = configsDirectoryOf(options.configsRoot, task.taskId);
    const launch: TaskLaunch = {
      environmentFileVariables: Object.fromEntries(workspaceVariables),
      configsDirectory: directory,
      configsMountPath: bootStep.mountPath,
    };
    // A task that ran before the stack restarted keeps its volume (a container may have it mounted).
    if (task.startedAt !== undefined && existsSync(directory)) return { launch };
    const outcome = runBootStep(bootVariables, directory);
    log(`task   ${task.family} ${task.taskId.slice(0, 8)} | ${bootStep.containerName}: ${outcome.message}`);
    if (outcome.exitCode !== 0) {
      return {
        failure: `Task failed to start: container ${bootStep.containerName} exited with code ${outcome.exitCode} and ${definition.containerName} depends on its SUCCESS`,
        bootExitCode: outcome.exitCode,
      };
    }
    return { launch, bootExitCode: 0 };
  }

  /** Runs the preparation and reports its changes; the launch, or undefined when the task stopped. */
  function prepareAndReport(task: TaskRecord, definition: EcsTaskDefinition): TaskLaunch | undefined {
    const hasWork =
      definition.bootStep !== undefined ||
      containerEnvironmentFiles(task, definition.containerName).length > 0;
    if (!hasWork) return { environmentFileVariables: {} };
    // Env files are downloaded and the boot step runs while the task is PENDING.
    hooks.pending(task.taskArn);
    let prepared: Prepared;
    try {
      prepared = prepare(task, definition);
    } catch (error) {
      // The configs directory could not be written (a full disk, say): the task cannot start.
      const message = error instanceof Error ? error.message : String(error);
      prepared = { failure: `CannotStartContainerError: ${message}`.slice(0, REASON_MAX_LENGTH) };
    }
    const bootStep = definition.bootStep;
    if (bootStep !== undefined && prepared.bootExitCode !== undefined) {
      hooks.bootStepExited(task.taskArn, bootStep.containerName, prepared.bootExitCode);
    }
    if ('failure' in prepared) {
      hooks.stopped(task.taskArn, {
        failedToStart: task.startedAt === undefined,
        stoppedReason: prepared.failure,
      });
      return undefined;
    }
    return { ...prepared.launch, pending: true };
  }

  return {
    name: driver.name,
    start(task, definition) {
      preparing.add(task.taskArn);
      setImmediate(() => {
        // Stopped before the agent got to it: nothing to run.
        if (!preparing.delete(task.taskArn)) return;
        const launch = prepareAndReport(task, definition);
        if (launch !== undefined) driver.start(task, definition, launch);
      });
    },
    stop(task) {
      if (preparing.delete(task.taskArn)) {
        hooks.stopped(task.taskArn, {});
        return;
      }
      driver.stop(task);
    },
    adopt(task, definition) {
      // A task that is to keep running after a restart gets its env files and configs again (the
      // process driver spawns its workspace anew); one that was stopping needs none.
      if (task.desiredStatus === 'STOPPED') return driver.adopt(task, definition);
      const launch = prepareAndReport(task, definition);
      if (launch === undefined) return undefined;
      return driver.adopt(task, definition, launch);
    },
    close() {
      // Tasks still waiting for the agent never reach the driver once it is closing.
      preparing.clear();
      return driver.close();
    },
  };
}
