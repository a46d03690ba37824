import { randomBytes, randomUUID } from 'node:crypto';
import { createFaultDice, FAULT_STREAMS } from '#local/faults/fault-dice.ts';
import { safeText } from '#local/wire/safe-text.ts';
import type { DriverName, FaultOptions, LocalDatabase, LocalEventBus, QuotaOptions } from '../interfaces.ts';
import { AwsApiError } from '../wire/errors.ts';
import {
  optionalNumber,
  optionalString,
  optionalStringList,
  type WireObject,
  wireObject,
} from '../wire/wire-input.ts';
import {
  clusterArnOf,
  clusterNameOf,
  containerArnOf,
  type EcsScope,
  taskArnOf,
  taskDefinitionArnOf,
  taskIdOf,
} from './arns.ts';
import { createTaskDriver } from './drivers/index.ts';
import type { StoppedOutcome, TaskDriver } from './drivers/types.ts';
import { EcsEmulatorError } from './errors.ts';
import { planRunTask } from './run-task-request.ts';
import { type EcsTaskDefinition, TASK_DEFINITION_REVISION } from './task-definitions.ts';
import {
  copyTaskRecord,
  type LocalPlacement,
  type TaskRecord,
  toTaskStateChangeEnvelope,
  toWireTask,
} from './task-record.ts';
import { createTaskStore } from './task-store.ts';
import { createTokenBucket } from './token-bucket.ts';

/** The reason ECS gives in `failures[]` when Fargate has no capacity. */
export const CAPACITY_UNAVAILABLE_REASON =
  'Capacity is unavailable at this time. Please try again later or in a different availability zone.';

/** A RunTask clientToken is honoured this long (per cluster). */
export const CLIENT_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

/** DescribeTasks and ListTasks take or return at most this many tasks. */
const MAX_TASKS_PER_CALL = 100;
const DESIRED_STATUSES = new Set(['RUNNING', 'PENDING', 'STOPPED']);

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
}

/** A RunTask answer: started tasks, and a failure per task that could not start. */
export interface RunTaskResponse {
  readonly tasks: Array<Record<string, unknown>>;
  readonly failures: Array<{ readonly arn?: string; readonly reason: string; readonly detail?: string }>;
}

export interface StopTaskResponse {
  readonly task: Record<string, unknown>;
}

export interface DescribeTasksResponse {
  readonly tasks: Array<Record<string, unknown>>;
  readonly failures: Array<{ readonly arn: string; readonly reason: string }>;
}

export interface ListTasksResponse {
  readonly taskArns: string[];
  readonly nextToken?: string;
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
   * Settles once the tasks a previous run left unfinished are reconciled: resumed (`simulated`, and
   * `docker` containers still running) or recorded STOPPED with their event (`process`). Starts on
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

const clusterNotFound = (): AwsApiError => new AwsApiError('ClusterNotFoundException', 'Cluster not found.');
const invalid = (message: string): AwsApiError => new AwsApiError('InvalidParameterException', message);

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
  const eventBusName = options.eventBusName ?? 'workspaces';
  const clock = options.clock ?? Date;
  const write = options.log ?? (() => {});
  // Task lines carry ids and reasons from requests and drivers: one line each, whatever they hold.
  const log = (line: string): void => write(safeText(line));
  const { database, bus } = options;
  const faults = options.faults ?? {};
  const roll = createFaultDice(faults.seed, FAULT_STREAMS.ecs);
  const quota = options.quota ? createTokenBucket(options.quota, clock.now()) : undefined;
  const availabilityZone = `${scope.region}a`;

  const definitions = new Map<string, EcsTaskDefinition>();
  for (const definition of options.taskDefinitions) {
    if (definitions.has(definition.family)) {
      throw new EcsEmulatorError(`task definition family "${definition.family}" is given twice`);
    }
    definitions.set(definition.family, definition);
  }

  const store = createTaskStore(database);
  store.pruneClientTokens(clock.now() - CLIENT_TOKEN_TTL_MS);
  /** Tasks not yet STOPPED, by ARN: the hot path reads and changes these without a query. */
  const live = new Map<string, TaskRecord>();
  let closing = false;
  let closed = false;

  const driver: TaskDriver = createTaskDriver(options.driver, {
    hooks: {
      pending: (taskArn) => changeFromDriver(taskArn, markPending),
      running: (taskArn, placement) =>
        changeFromDriver(taskArn, (task, now) => markRunning(task, now, placement)),
      stopped: (taskArn, outcome) =>
        changeFromDriver(taskArn, (task, now) => markStopped(task, now, outcome)),
    },
    region: scope.region,
    stepMs: options.simulatedStepMs ?? 2,
    stopTimeoutMs: options.stopTimeoutMs ?? 5000,
    cwd: options.workingDirectory ?? process.cwd(),
    dockerCommand: options.dockerCommand ?? 'docker',
    log,
  });

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

  /** Records one change of a task and its state change event, in one transaction. */
  function change(
    taskArn: string,
    mutate: (task: TaskRecord, now: number) => boolean,
  ): TaskRecord | undefined {
    if (closed) return undefined;
    const current = live.get(taskArn) ?? store.get(taskArn);
    if (current === undefined) return undefined;
    const next = copyTaskRecord(current);
    const now = clock.now();
    if (!mutate(next, now)) return current;
    next.version = current.version + 1;
    next.updatedAt = Math.max(now, current.updatedAt);
    database.transaction(() => {
      store.update(next);
      bus.accept(eventBusName, [toTaskStateChangeEnvelope(next, scope)]);
    });
    if (next.lastStatus === 'STOPPED') live.delete(taskArn);
    else live.set(taskArn, next);
    logState(next);
    return next;
  }

  /**
   * A change a driver reports from a timer or a child process event. Nothing up the stack can catch a
   * failure there (the database closed under a running task, say), so it is logged, not thrown.
   */
  function changeFromDriver(taskArn: string, mutate: (task: TaskRecord, now: number) => boolean): void {
    try {
      change(taskArn, mutate);
    } catch (error) {
      log(`task   ${taskArn} change not recorded: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  function markPending(task: TaskRecord, now: number): boolean {
    if (task.lastStatus !== 'PROVISIONING' || task.desiredStatus !== 'RUNNING') return false;
    task.lastStatus = 'PENDING';
    task.pullStartedAt = now;
    for (const container of task.containers) container.lastStatus = 'PENDING';
    return true;
  }

  function markRunning(task: TaskRecord, now: number, placement: LocalPlacement): boolean {
    if (
      task.desiredStatus !== 'RUNNING' ||
      (task.lastStatus !== 'PROVISIONING' && task.lastStatus !== 'PENDING')
    ) {
      return false;
    }
    task.lastStatus = 'RUNNING';
    task.pullStartedAt ??= now;
    task.pullStoppedAt = now;
    task.connectivity = 'CONNECTED';
    task.connectivityAt ??= now;
    task.startedAt = now;
    task.local = { ...task.local, ...placement };
    for (const container of task.containers) container.lastStatus = 'RUNNING';
    return true;
  }

  function markStopped(task: TaskRecord, now: number, outcome: StoppedOutcome): boolean {
    if (task.lastStatus === 'STOPPED') return false;
    task.desiredStatus = 'STOPPED';
    task.lastStatus = 'STOPPED';
    task.stoppingAt ??= now;
    task.executionStoppedAt = now;
    task.stoppedAt = now;
    if (task.stopCode === undefined) {
      task.stopCode = outcome.failedToStart ? 'TaskFailedToStart' : 'EssentialContainerExited';
      task.stoppedReason =
        outcome.stoppedReason ??
        (outcome.failedToStart ? 'Task failed to start' : 'Essential container in task exited');
    }
    for (const container of task.containers) {
      container.lastStatus = 'STOPPED';
      if (outcome.exitCode !== undefined) container.exitCode = outcome.exitCode;
      if (outcome.containerReason !== undefined) container.reason = outcome.containerReason;
    }
    return true;
  }

  function markStopRequested(task: TaskRecord, now: number, reason: string): boolean {
    if (task.desiredStatus === 'STOPPED') return false;
    task.desiredStatus = 'STOPPED';
    task.stopCode = 'UserInitiated';
    task.stoppedReason = reason;
    task.stoppingAt = now;
    return true;
  }

  function resolveCluster(request: WireObject): void {
    if (clusterNameOf(scope, optionalString(request, 'cluster')) !== clusterName) throw clusterNotFound();
  }

  const taskOf = (taskArn: string): TaskRecord | undefined => live.get(taskArn) ?? store.get(taskArn);

  /** A `task` parameter (ARN or id) as this cluster's task ARN; `undefined` for another cluster's ARN. */
  function taskArnFor(reference: string): string | undefined {
    if (!reference.startsWith('arn:')) return taskArnOf(scope, clusterName, reference);
    return reference === taskArnOf(scope, clusterName, taskIdOf(reference)) ? reference : undefined;
  }

  function throttleCheck(now: number): void {
    if (quota !== undefined && !quota.tryTake(now))
      throw new AwsApiError('ThrottlingException', 'Rate exceeded');
    const throttleRate = faults.throttleRate ?? 0;
    if (throttleRate > 0 && roll() < throttleRate) {
      if (roll() < 0.5) throw new AwsApiError('ThrottlingException', 'Rate exceeded');
      throw invalid(
        'Error retrieving subnet information for [subnet-local]: Rate exceeded (ErrorCode: Throttling)',
      );
    }
  }

  function newTask(plan: ReturnType<typeof planRunTask>, now: number): TaskRecord {
    const taskId = randomBytes(16).toString('hex');
    const { definition } = plan;
    return {
      taskArn: taskArnOf(scope, clusterName, taskId),
      taskId,
      clusterArn,
      clusterName,
      taskDefinitionArn: taskDefinitionArnOf(scope, definition.family, TASK_DEFINITION_REVISION),
      family: definition.family,
      group: plan.group,
      ...(plan.startedBy !== undefined ? { startedBy: plan.startedBy } : {}),
      launchType: plan.launchType,
      ...(plan.capacityProviderName !== undefined ? { capacityProviderName: plan.capacityProviderName } : {}),
      cpu: plan.cpu,
      memory: plan.memory,
      overrides: plan.overrides,
      tags: plan.tags,
      availabilityZone,
      platformVersion: '1.4.0',
      driver: driver.name,
      containerPort: definition.containerPort,
      createdAt: now,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      containers: [
        {
          containerArn: containerArnOf(scope, clusterName, taskId, randomUUID()),
          name: definition.containerName,
          image: definition.image,
          lastStatus: 'PENDING',
        },
      ],
      updatedAt: now,
      version: 1,
    };
  }

  // Only what a previous run left: tasks RunTask starts before the reconciliation tick are this run's.
  const leftUnfinished = store.live(clusterArn);
  for (const task of leftUnfinished) live.set(task.taskArn, task);

  /** Reconciles what a previous run left unfinished; see {@link EcsEmulator.reconciled}. */
  async function reconcile(): Promise<void> {
    const adoptions: Array<void | Promise<void>> = [];
    for (const { taskArn } of leftUnfinished) {
      const task = live.get(taskArn);
      if (task === undefined) continue;
      const definition = definitions.get(task.family);
      if (task.driver !== driver.name || definition === undefined) {
        const why =
          definition === undefined
            ? `its task definition ${task.family} is no longer configured`
            : `it ran under the ${task.driver} driver and the stack now uses ${driver.name}`;
        change(taskArn, (draft, now) =>
          markStopped(draft, now, {
            failedToStart: task.startedAt === undefined,
            stoppedReason: `Local stack restarted; ${why}`,
          }),
        );
        continue;
      }
      adoptions.push(driver.adopt(task, definition));
    }
    await Promise.all(adoptions);
  }

  const reconciled = new Promise<void>((resolve, reject) => {
    setImmediate(() => {
      if (closing) {
        resolve();
        return;
      }
      reconcile().then(resolve, reject);
    });
  });
  // A failed reconciliation surfaces through `reconciled`; never as an unhandled rejection.
  reconciled.catch(() => {});

  function refuseWhenClosing(): void {
    if (closing)
      throw new AwsApiError('ServerException', 'The local ECS is shutting down.', { statusCode: 500 });
  }

  return {
    runTask(input) {
      refuseWhenClosing();
      const request = wireObject(input);
      const now = clock.now();
      throttleCheck(now);
      resolveCluster(request);
      const plan = planRunTask(request, scope, definitions);

      if (plan.clientToken !== undefined) {
        const used = store.clientToken(clusterArn, plan.clientToken);
        if (used !== undefined && now - used.createdAt < CLIENT_TOKEN_TTL_MS) {
          if (used.requestHash !== plan.requestHash) {
            throw new AwsApiError(
              'ConflictException',
              'The specified client token has already been used in a request with different parameters.',
              { fields: { resourceIds: [...used.taskArns] } },
            );
          }
          const tasks = used.taskArns.flatMap((taskArn) => {
            const task = taskOf(taskArn);
            return task === undefined ? [] : [toWireTask(task)];
          });
          return { tasks, failures: [] };
        }
      }

      const capacityFailureRate = faults.capacityFailureRate ?? 0;
      if (capacityFailureRate > 0 && roll() < capacityFailureRate) {
        const failures = Array.from({ length: plan.count }, () => ({
          arn: clusterArn,
          reason: CAPACITY_UNAVAILABLE_REASON,
        }));
        log(
          `task   ${plan.definition.family} -------- capacity unavailable (injected) (ws=${plan.startedBy ?? '-'})`,
        );
        return { tasks: [], failures };
      }

      const tasks = Array.from({ length: plan.count }, () => newTask(plan, now));
      database.transaction(() => {
        for (const task of tasks) store.insert(task);
        if (plan.clientToken !== undefined) {
          store.saveClientToken(clusterArn, plan.clientToken, {
            requestHash: plan.requestHash,
            taskArns: tasks.map((task) => task.taskArn),
            createdAt: now,
          });
        }
        bus.accept(
          eventBusName,
          tasks.map((task) => toTaskStateChangeEnvelope(task, scope)),
        );
      });
      for (const task of tasks) {
        live.set(task.taskArn, task);
        logState(task);
        driver.start(task, plan.definition);
      }
      return { tasks: tasks.map((task) => toWireTask(task)), failures: [] };
    },

    stopTask(input) {
      refuseWhenClosing();
      const request = wireObject(input);
      resolveCluster(request);
      const reference = optionalString(request, 'task');
      if (!reference) throw invalid('Task can not be blank.');
      const taskArn = taskArnFor(reference);
      const current = taskArn === undefined ? undefined : taskOf(taskArn);
      if (taskArn === undefined || current === undefined) throw invalid('The referenced task was not found.');
      const reason = (optionalString(request, 'reason') || 'Task stopped by user').slice(0, 255);
      const next = change(taskArn, (task, now) => markStopRequested(task, now, reason));
      const task = next ?? current;
      if (next !== current && next !== undefined) driver.stop(next);
      return { task: toWireTask(task) };
    },

    describeTasks(input) {
      const request = wireObject(input);
      resolveCluster(request);
      const references = optionalStringList(request, 'tasks') ?? [];
      if (references.length === 0) throw invalid('Tasks cannot be empty.');
      if (references.length > MAX_TASKS_PER_CALL) {
        throw invalid(`Tasks cannot have more than ${MAX_TASKS_PER_CALL} elements.`);
      }
      const includeTags = (optionalStringList(request, 'include') ?? []).includes('TAGS');
      const tasks: Array<Record<string, unknown>> = [];
      const failures: Array<{ arn: string; reason: string }> = [];
      for (const reference of references) {
        const taskArn = taskArnFor(reference);
        const task = taskArn === undefined ? undefined : taskOf(taskArn);
        if (task === undefined) failures.push({ arn: reference, reason: 'MISSING' });
        else tasks.push(toWireTask(task, includeTags));
      }
      return { tasks, failures };
    },

    listTasks(input) {
      const request = wireObject(input);
      resolveCluster(request);
      const desiredStatus = optionalString(request, 'desiredStatus') ?? 'RUNNING';
      if (!DESIRED_STATUSES.has(desiredStatus)) {
        throw invalid(`desiredStatus must be one of RUNNING, PENDING, STOPPED.`);
      }
      const maxResults = optionalNumber(request, 'maxResults') ?? MAX_TASKS_PER_CALL;
      if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_TASKS_PER_CALL) {
        throw invalid(`maxResults must be between 1 and ${MAX_TASKS_PER_CALL}.`);
      }
      const afterSeq = decodeNextToken(optionalString(request, 'nextToken'));
      const startedBy = optionalString(request, 'startedBy');
      const family = optionalString(request, 'family');
      const launchType = optionalString(request, 'launchType');
      // No services and no container instances here: those filters match nothing.
      if (
        optionalString(request, 'serviceName') !== undefined ||
        optionalString(request, 'containerInstance') !== undefined ||
        (launchType !== undefined && launchType !== 'FARGATE')
      ) {
        return { taskArns: [] };
      }
      const rows = store.list({
        clusterArn,
        desiredStatus,
        ...(startedBy !== undefined ? { startedBy } : {}),
        ...(family !== undefined ? { family } : {}),
        afterSeq,
        limit: maxResults + 1,
      });
      const page = rows.slice(0, maxResults);
      const last = page.at(-1);
      return {
        taskArns: page.map((row) => row.taskArn),
        ...(rows.length > maxResults && last !== undefined ? { nextToken: encodeNextToken(last.seq) } : {}),
      };
    },

    reconciled,

    async close() {
      if (closing) return;
      closing = true;
      await reconciled.catch(() => {});
      if (driver.name !== 'simulated') {
        for (const task of [...live.values()]) {
          change(task.taskArn, (draft, now) => markStopRequested(draft, now, 'Local stack shut down'));
        }
      }
      await driver.close();
      closed = true;
    },
  };
}

/** ListTasks' opaque nextToken: the position after which the next page starts. */
const encodeNextToken = (seq: number): string =>
  Buffer.from(JSON.stringify({ after: seq })).toString('base64url');

function decodeNextToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'number' && Number.isInteger(parsed.after) && parsed.after >= 0)
      return parsed.after;
  } catch {
    // Fall through to the error below.
  }
  throw invalid('Invalid nextToken.');
}
