/**
 * The ECS emulator's assembly: the options, the cluster and its task ledger, the driver whose
 * reports become state machine transitions, the four operations, reconciliation after a restart,
 * and shutdown. Each part is its own unit beside this file.
 */

import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFaultDice, FAULT_STREAMS } from '#local/faults/fault-dice.ts';
import { safeText } from '#local/wire/safe-text.ts';
import type { DriverName, FaultOptions, LocalDatabase, LocalEventBus, QuotaOptions } from '../interfaces.ts';
import { AwsApiError } from '../wire/errors.ts';
import { clusterArnOf, type EcsScope, taskIdOf } from './arns.ts';
import type { EcsDataVolumes } from './data-volumes.ts';
import { createTaskDriver } from './drivers/index.ts';
import type { TaskDriver } from './drivers/types.ts';
import type { EnvFileSource } from './env-files.ts';
import { EcsEmulatorError } from './errors.ts';
import type { EcsCluster } from './operations/cluster.ts';
import { createDescribeTasks, type DescribeTasksResponse } from './operations/describe-tasks.ts';
import { createListTasks, type ListTasksResponse } from './operations/list-tasks.ts';
import { createRetireTask, type RetireTaskOutcome } from './operations/retire-task.ts';
import { CLIENT_TOKEN_TTL_MS, createRunTask, type RunTaskResponse } from './operations/run-task.ts';
import { createStopTask, type StopTaskResponse } from './operations/stop-task.ts';
import { reconcileOnNextTick } from './reconcile.ts';
import { configsDirectoryOf, withTaskAgent } from './task-agent.ts';
import type { EcsTaskDefinition } from './task-definitions.ts';
import { createTaskLedger, type TaskLedger } from './task-ledger.ts';
import type { TaskRecord } from './task-record.ts';
import {
  markBootStepExited,
  markPending,
  markRunning,
  markStopped,
  markStopRequested,
  type TaskTransition,
} from './task-state-machine.ts';
import { createTaskStore } from './task-store.ts';
import { createTokenBucket } from './token-bucket.ts';

export {
  CAPACITY_UNAVAILABLE_REASON,
  CLIENT_TOKEN_TTL_MS,
  type RunTaskResponse,
} from './operations/run-task.ts';
export type { DescribeTasksResponse, ListTasksResponse, RetireTaskOutcome, StopTaskResponse };

/** Options for {@link createEcsEmulator}. */
export interface EcsEmulatorOptions {
  /** Where tasks and client tokens live (tables `ecs_tasks`, `ecs_client_tokens`). */
  readonly database: LocalDatabase;
  /** Where the `ECS Task State Change` events go. */
  readonly bus: LocalEventBus;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly account?: string;
  /** The one cluster that exists. @default 'workspaces' */
  readonly clusterName?: string;
  /** The task definitions that exist, each as revision 1. */
  readonly taskDefinitions: readonly EcsTaskDefinition[];
  /** What runs the tasks. */
  readonly driver: DriverName;
  /** RunTask token bucket. @default no quota */
  readonly quota?: QuotaOptions;
  /** Only `capacityFailureRate`, `throttleRate` and `seed` apply here. @default no faults */
  readonly faults?: FaultOptions;
  /** @default Date */
  readonly clock?: { now(): number };
  /** Receives one line per task state change and each line a workspace prints. @default discards */
  readonly log?: (line: string) => void;
  /**
   * The bus the task state change events go on. AWS puts `aws.ecs` events on the account's
   * **default** bus; pass `'default'` to do the same. The default keeps them on the bus the
   * project's own rules use, for a local stack that has its rules on one bus.
   * @default 'workspaces'
   */
  readonly eventBusName?: string;
  /** Delay of each step of the `simulated` driver, in ms. @default 2 */
  readonly simulatedStepMs?: number;
  /** Grace between SIGTERM (or `docker stop`) and SIGKILL, in ms. @default 5000 */
  readonly stopTimeoutMs?: number;
  /** Working directory of `process` tasks. @default process.cwd() */
  readonly workingDirectory?: string;
  /** The Docker CLI of the `docker` driver. @default 'docker' */
  readonly dockerCommand?: string;
  /**
   * Where the agent downloads `environmentFiles` from (the local S3 objects). @default none: every
   * env file is missing, and a task given one fails to start
   */
  readonly envFiles?: EnvFileSource;
  /**
   * Where each task's `configs` volume lives (`<dir>/<task id>`), removed when the task stops. The
   * stack puts it in its state directory. @default `<os tmpdir>/ecs-local-configs`
   */
  readonly configsDirectory?: string;
  /**
   * The local EBS volumes that RunTask's `volumeConfigurations` are created in (the stack gives its
   * `LocalVolumeStore`). @default none
   */
  readonly dataVolumes?: EcsDataVolumes;
}

/**
 * The ECS operations of the local endpoint, taking and answering the AWS JSON wire shapes (times in
 * epoch seconds). Each throws {@link AwsApiError} where ECS answers with an error.
 */
export interface EcsEmulator {
  runTask(input: unknown): RunTaskResponse;
  stopTask(input: unknown): StopTaskResponse;
  describeTasks(input: unknown): DescribeTasksResponse;
  listTasks(input: unknown): ListTasksResponse;
  /**
   * Fargate retires a task (not an ECS API operation: `POST /local/simulate/task-retirement`): it is
   * stopped with the maintenance stop code and stopped reason AWS gives such a stop. `reference` is
   * a task ARN or id.
   */
  retireTask(reference: string): RetireTaskOutcome;
  /**
   * Settles once the tasks a previous run left unfinished are reconciled: resumed (`simulated`,
   * `docker` containers still running, `process` tasks whose desired status is RUNNING: spawned
   * again or adopted) or recorded STOPPED with their event. Starts on
   * the tick after creation, so subscribers added right after `createEcsEmulator` hear those events.
   */
  readonly reconciled: Promise<void>;
  /**
   * Stops the driver and resolves once its tasks are gone. `process` and `docker` tasks are stopped
   * (stoppedReason "Local stack shut down") and their STOPPED events recorded, so close the emulator
   * before the database. `simulated` tasks are left as they are and resume on the next start.
   */
  close(): Promise<void>;
}

/**
 * The local ECS: RunTask (clientToken, quotas, injected faults), StopTask, DescribeTasks and
 * ListTasks over durable tasks, with a driver that runs them and `aws.ecs` `ECS Task State Change`
 * events for every change, `detail.version` rising by one each time.
 *
 * @example
 * ```ts
 * const ecs = createEcsEmulator({
 *   database, bus, driver: 'simulated',
 *   taskDefinitions: [{ family: 'workspace-codex', image: 'ghcr.io/x/workspace-template-codex:latest', containerName: 'workspace', containerPort: 8000 }],
 *   quota: { burst: 100, ratePerSecond: 20 },
 * });
 * ```
 * @throws TaskDriverUnavailableError when the driver cannot work here (`docker` without an engine);
 *   EcsEmulatorError for invalid options.
 */
export function createEcsEmulator(options: EcsEmulatorOptions): EcsEmulator {
  const scope: EcsScope = {
    region: options.region ?? 'us-east-1',
    account: options.account ?? '000000000000',
  };
  const clusterName = options.clusterName ?? 'workspaces';
  const clusterArn = clusterArnOf(scope, clusterName);
  const clock = options.clock ?? Date;
  const write = options.log ?? (() => {});
  // Task lines carry ids and reasons from requests and drivers: one line each, whatever they hold.
  const log = (line: string): void => write(safeText(line));
  const { database, bus } = options;
  const definitions = definitionsByFamily(options.taskDefinitions);

  const store = createTaskStore(database);
  store.pruneClientTokens(clock.now() - CLIENT_TOKEN_TTL_MS);
  const tasks = createTaskLedger({
    database,
    store,
    bus,
    eventBusName: options.eventBusName ?? 'workspaces',
    scope,
    clock,
    onChanged: logState,
  });
  const cluster: EcsCluster = { scope, clusterName, clusterArn, store, tasks };
  let closing = false;

  function logState(task: TaskRecord): void {
    const stopping = task.desiredStatus === 'STOPPED' && task.lastStatus !== 'STOPPED' ? ' (stopping)' : '';
    let detail = '';
    if (task.lastStatus === 'RUNNING' && task.local?.port !== undefined && !stopping) {
      detail = ` http://127.0.0.1:${task.local.port}`;
    } else if (task.lastStatus === 'STOPPED') {
      const exitCode = task.containers[0]?.exitCode;
      detail = ` ${task.stopCode ?? ''}${exitCode !== undefined ? ` exit=${exitCode}` : ''}: ${task.stoppedReason ?? ''}`;
    }
    log(
      `task   ${task.family} ${task.taskId.slice(0, 8)} ${task.lastStatus}${stopping} (ws=${task.startedBy ?? '-'})${detail}`,
    );
  }

  const driver = startDriver(options, tasks, log);
  // Only what a previous run left: tasks RunTask starts before the reconciliation tick are this run's.
  const leftUnfinished = store.live(clusterArn);
  for (const task of leftUnfinished) tasks.adopt(task);
  const reconciled = reconcileOnNextTick({ leftUnfinished, tasks, driver, definitions }, () => closing);

  const faults = options.faults ?? {};
  const runTask = createRunTask(cluster, {
    database,
    driver,
    definitions,
    clock,
    quota: options.quota ? createTokenBucket(options.quota, clock.now()) : undefined,
    faults,
    roll: createFaultDice(faults.seed, FAULT_STREAMS.ecs),
    log,
  });
  const stopTask = createStopTask(cluster, driver);
  const retireTask = createRetireTask(cluster, driver);

  function refuseWhenClosing(): void {
    if (closing)
      throw new AwsApiError('ServerException', 'The local ECS is shutting down.', { statusCode: 500 });
  }

  return {
    runTask(input) {
      refuseWhenClosing();
      return runTask(input);
    },
    stopTask(input) {
      refuseWhenClosing();
      return stopTask(input);
    },
    retireTask(reference) {
      refuseWhenClosing();
      return retireTask(reference);
    },
    describeTasks: createDescribeTasks(cluster),
    listTasks: createListTasks(cluster),
    reconciled,
    async close() {
      if (closing) return;
      closing = true;
      await reconciled.catch(() => {});
      if (driver.name !== 'simulated') {
        for (const task of tasks.liveTasks()) {
          tasks.change(task.taskArn, (draft, now) => markStopRequested(draft, now, 'Local stack shut down'));
        }
      }
      await driver.close();
      tasks.close();
    },
  };
}

function definitionsByFamily(taskDefinitions: readonly EcsTaskDefinition[]): Map<string, EcsTaskDefinition> {
  const definitions = new Map<string, EcsTaskDefinition>();
  for (const definition of taskDefinitions) {
    if (definitions.has(definition.family)) {
      throw new EcsEmulatorError(`task definition family "${definition.family}" is given twice`);
    }
    definitions.set(definition.family, definition);
  }
  return definitions;
}

/** The driver, its reports turned into state machine transitions on the ledger. */
function startDriver(
  options: EcsEmulatorOptions,
  tasks: TaskLedger,
  log: (line: string) => void,
): TaskDriver {
  /**
   * A change a driver reports from a timer or a child process event. Nothing up the stack can catch a
   * failure there (the database closed under a running task, say), so it is logged, not thrown.
   */
  function changeFromDriver(taskArn: string, transition: TaskTransition): void {
    try {
      tasks.change(taskArn, transition);
    } catch (error) {
      log(`task   ${taskArn} change not recorded: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const configsRoot = options.configsDirectory ?? join(tmpdir(), 'ecs-local-configs');
  const hooks = {
    pending: (taskArn: string) => changeFromDriver(taskArn, markPending),
    running: (taskArn: string, placement: Parameters<typeof markRunning>[2]) =>
      changeFromDriver(taskArn, (task, now) => markRunning(task, now, placement)),
    stopped: (taskArn: string, outcome: Parameters<typeof markStopped>[2]) => {
      changeFromDriver(taskArn, (task, now) => markStopped(task, now, outcome));
      // Task storage goes with the task, as on Fargate.
      rmSync(configsDirectoryOf(configsRoot, taskIdOf(taskArn)), { recursive: true, force: true });
    },
  };
  const driver = createTaskDriver(options.driver, {
    hooks,
    region: options.region ?? 'us-east-1',
    stepMs: options.simulatedStepMs ?? 2,
    stopTimeoutMs: options.stopTimeoutMs ?? 5000,
    cwd: options.workingDirectory ?? process.cwd(),
    dockerCommand: options.dockerCommand ?? 'docker',
    log,
  });
  return withTaskAgent(driver, {
    ...(options.envFiles ? { envFiles: options.envFiles } : {}),
    configsRoot,
    hooks: {
      ...hooks,
      bootStepExited: (taskArn, containerName, exitCode) =>
        changeFromDriver(taskArn, (task, now) => markBootStepExited(task, now, containerName, exitCode)),
    },
    log,
  });
}
