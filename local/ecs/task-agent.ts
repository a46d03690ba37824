/**
 * The ECS agent's part of starting a task, in front of whichever driver runs it: before any
 * container starts it downloads the env files of every container (a file it cannot download stops
 * the task with `TaskFailedToStart` and a `ResourceInitializationError`), then creates the task's
 * managed EBS volume when RunTask's `volumeConfigurations` asked for one and the emulator has a local
 * EBS store (`data-volumes.ts`; a volume it cannot create stops the task with `TaskFailedToStart` and
 * `ResourceInitializationError: failed to create the EBS volume: <why>`), then runs the boot step
 * (`boot-step.ts`) into the task's own `configs` directory, reports the boot container STOPPED with
 * its exit code, and only on exit code 0 hands the essential container to the driver (ECS's
 * `dependsOn` `SUCCESS`), with its env files' variables and both directories. A task adopted after a
 * restart of the stack gets its volume's directory back (`directoryOf`). A StopTask that arrives
 * while the volume is being created stops the task once it is (so the volume is released, never
 * left attached to a task that is gone).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runBootStep } from './boot-step.ts';
import type { EcsDataVolumes } from './data-volumes.ts';
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
  /** v1.3: the local EBS store. @default none: a task's volume configuration is not acted on */
  readonly dataVolumes?: EcsDataVolumes;
  readonly hooks: TaskDriverHooks & {
    /** The boot container exited with `exitCode`. */
    bootStepExited(taskArn: string, containerName: string, exitCode: number): void;
    /** v1.3: the task's managed EBS volume was created and attached. */
    dataVolumeAttached(taskArn: string, volumeId: string): void;
  };
  readonly log: (line: string) => void;
}

/** The task's `configs` directory on this machine. */
export const configsDirectoryOf = (configsRoot: string, taskId: string): string => join(configsRoot, taskId);

/** What the preparation came to; `bootExitCode` when the boot step ran. */
type Prepared = (
  | { readonly launch: TaskLaunch }
  | { readonly failure: string; readonly dataVolumeFailure?: string }
) & {
  readonly bootExitCode?: number;
};

/** The task's EBS volume as the container gets it, or why the task cannot have it. */
type DataVolumeOutcome =
  | { readonly dataDirectory?: string; readonly dataMountPath?: string }
  | { readonly failure: string; readonly dataVolumeFailure?: string };

/** A task the agent is preparing; `begun` once its preparation runs, `stopRequested` by a StopTask since. */
interface Preparation {
  begun: boolean;
  stopRequested: boolean;
}

/** `driver` with the agent's env files and boot step in front of it. */
export function withTaskAgent(driver: TaskDriver, options: TaskAgentOptions): TaskDriver {
  const { hooks, log } = options;
  /** Tasks handed to the agent that have not reached the driver yet. */
  const preparing = new Map<string, Preparation>();

  /**
   * The task's managed EBS volume: created (restored from its snapshot) for a new task, found again
   * for one that ran before the stack restarted; nothing when the task asked for none or the
   * emulator has no EBS store.
   */
  async function attachDataVolume(
    task: TaskRecord,
    definition: EcsTaskDefinition,
  ): Promise<DataVolumeOutcome> {
    const volume = task.dataVolume;
    const store = options.dataVolumes;
    if (volume === undefined || store === undefined || definition.dataVolume === undefined) return {};
    const dataMountPath = definition.dataVolume.mountPath;
    if (volume.volumeId !== undefined) {
      const dataDirectory = store.directoryOf(volume.volumeId);
      if (dataDirectory === undefined) {
        return { failure: `ResourceInitializationError: the task's EBS volume ${volume.volumeId} is gone` };
      }
      return { dataDirectory, dataMountPath };
    }
    const { request } = volume;
    try {
      const created = await store.createForTask({
        taskArn: task.taskArn,
        // Without a size the snapshot's is used (ECS API Reference, `sizeInGiB`): 0 asks the store for it.
        sizeGiB: request.sizeInGiB ?? 0,
        ...(request.snapshotId !== undefined ? { snapshotId: request.snapshotId } : {}),
        tags: request.tags,
        deleteOnTermination: request.deleteOnTermination,
      });
      hooks.dataVolumeAttached(task.taskArn, created.volumeId);
      log(`task   ${task.family} ${task.taskId.slice(0, 8)} | EBS volume ${created.volumeId} attached`);
      return { dataDirectory: created.directory, dataMountPath };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return {
        failure: `ResourceInitializationError: failed to create the EBS volume: ${message}`.slice(
          0,
          REASON_MAX_LENGTH,
        ),
        dataVolumeFailure: message,
      };
    }
  }

  /**
   * Prepares the task. Synchronous unless a volume is to be created: a task without one is prepared
   * (and, after a restart, adopted) in the same turn as before v1.3, so the reconciliation hands every
   * adopted task to its driver before anything else runs.
   */
  function prepare(task: TaskRecord, definition: EcsTaskDefinition): Prepared | Promise<Prepared> {
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
    const needsVolume =
      task.dataVolume !== undefined &&
      options.dataVolumes !== undefined &&
      definition.dataVolume !== undefined;
    if (!needsVolume) return prepareWith({}, task, definition, workspaceVariables, bootVariables);
    return attachDataVolume(task, definition).then((data) =>
      prepareWith(data, task, definition, workspaceVariables, bootVariables),
    );
  }

  /** The rest of the preparation once the volume (if any) is there: the boot step. */
  function prepareWith(
    data: DataVolumeOutcome,
    task: TaskRecord,
    definition: EcsTaskDefinition,
    workspaceVariables: Map<string, string>,
    bootVariables: Map<string, string>,
  ): Prepared {
    if ('failure' in data) return data;
    const bootStep = definition.bootStep;
    const withoutBootStep: TaskLaunch = {
      environmentFileVariables: Object.fromEntries(workspaceVariables),
      ...data,
    };
    if (bootStep === undefined) return { launch: withoutBootStep };
    // The container's own environment wins over its env files.
    for (const [name, value] of Object.entries(containerEnvironment(task, bootStep.containerName))) {
      bootVariables.set(name, value);
    }
    const directory = configsDirectoryOf(options.configsRoot, task.taskId);
    const launch: TaskLaunch = {
      ...withoutBootStep,
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

  /**
   * Runs the preparation and reports its changes; the launch, or undefined when the task stopped.
   * Synchronous when the preparation is (no volume to create).
   */
  function prepareAndReport(
    task: TaskRecord,
    definition: EcsTaskDefinition,
  ): TaskLaunch | undefined | Promise<TaskLaunch | undefined> {
    const hasWork =
      definition.bootStep !== undefined ||
      containerEnvironmentFiles(task, definition.containerName).length > 0 ||
      (task.dataVolume !== undefined && options.dataVolumes !== undefined);
    if (!hasWork) return { environmentFileVariables: {} };
    // Env files are downloaded, the volume created and the boot step run while the task is PENDING.
    hooks.pending(task.taskArn);
    // The configs directory could not be written (a full disk, say): the task cannot start.
    const cannotStart = (error: unknown): Prepared => {
      const message = error instanceof Error ? error.message : String(error);
      return { failure: `CannotStartContainerError: ${message}`.slice(0, REASON_MAX_LENGTH) };
    };
    let prepared: Prepared | Promise<Prepared>;
    try {
      prepared = prepare(task, definition);
    } catch (error) {
      prepared = cannotStart(error);
    }
    if (prepared instanceof Promise) {
      return prepared.then(
        (settled) => report(task, definition, settled),
        (error: unknown) => report(task, definition, cannotStart(error)),
      );
    }
    return report(task, definition, prepared);
  }

  /** Reports a preparation's outcome: the boot container's exit, and the stop of a task that cannot start. */
  function report(
    task: TaskRecord,
    definition: EcsTaskDefinition,
    prepared: Prepared,
  ): TaskLaunch | undefined {
    const bootStep = definition.bootStep;
    if (bootStep !== undefined && prepared.bootExitCode !== undefined) {
      hooks.bootStepExited(task.taskArn, bootStep.containerName, prepared.bootExitCode);
    }
    if ('failure' in prepared) {
      hooks.stopped(task.taskArn, {
        failedToStart: task.startedAt === undefined,
        stoppedReason: prepared.failure,
        ...(prepared.dataVolumeFailure !== undefined
          ? { dataVolumeFailure: prepared.dataVolumeFailure }
          : {}),
      });
      return undefined;
    }
    return { ...prepared.launch, pending: true };
  }

  /** Preparations still running, so `close` can wait for them. */
  const running = new Set<Promise<void>>();
  let closed = false;

  /** Runs `work` as a tracked preparation. */
  function track(work: Promise<void>): Promise<void> {
    const tracked = work.finally(() => running.delete(tracked));
    running.add(tracked);
    return tracked;
  }

  return {
    name: driver.name,
    start(task, definition) {
      const preparation: Preparation = { begun: false, stopRequested: false };
      preparing.set(task.taskArn, preparation);
      setImmediate(() => {
        // Stopped before the agent got to it: nothing to run.
        if (preparing.get(task.taskArn) !== preparation) return;
        preparation.begun = true;
        void track(
          Promise.resolve(prepareAndReport(task, definition)).then(
            (launch) => {
              preparing.delete(task.taskArn);
              if (launch === undefined || closed) return;
              // Stopped while its volume was being created: stopped now, so the volume is released.
              if (preparation.stopRequested) hooks.stopped(task.taskArn, {});
              else driver.start(task, definition, launch);
            },
            (error: unknown) => {
              preparing.delete(task.taskArn);
              log(
                `task   ${task.taskArn} preparation failed: ${error instanceof Error ? error.message : String(error)}`,
              );
            },
          ),
        );
      });
    },
    stop(task) {
      const preparation = preparing.get(task.taskArn);
      if (preparation === undefined) {
        driver.stop(task);
        return;
      }
      if (preparation.begun) {
        preparation.stopRequested = true;
        return;
      }
      preparing.delete(task.taskArn);
      hooks.stopped(task.taskArn, {});
    },
    async adopt(task, definition) {
      // A task that is to keep running after a restart gets its env files, volume and configs again
      // (the process driver spawns its workspace anew); one that was stopping needs none.
      if (task.desiredStatus === 'STOPPED') return driver.adopt(task, definition);
      const preparation: Preparation = { begun: true, stopRequested: false };
      preparing.set(task.taskArn, preparation);
      const prepared = prepareAndReport(task, definition);
      if (!(prepared instanceof Promise)) {
        // Nothing to wait for: adopted in this turn, as every task without a volume always was.
        preparing.delete(task.taskArn);
        if (prepared === undefined || closed) return undefined;
        return driver.adopt(task, definition, prepared);
      }
      let launch: TaskLaunch | undefined;
      await track(
        prepared.then((settled) => {
          launch = settled;
        }),
      ).finally(() => preparing.delete(task.taskArn));
      if (launch === undefined || closed) return undefined;
      // Stopped while it was being prepared (its volume created): stopped now, the volume released.
      if (preparation.stopRequested) return hooks.stopped(task.taskArn, {});
      return driver.adopt(task, definition, launch);
    },
    async close() {
      // Tasks still waiting for the agent never reach the driver once it is closing; a preparation
      // under way (a volume being created) is waited for, so its volume is recorded on its task.
      closed = true;
      preparing.clear();
      await Promise.all([...running]);
      return driver.close();
    },
  };
}
