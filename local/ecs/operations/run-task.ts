/**
 * RunTask: the quota and injected throttles first, then the request, then the clientToken (a retry
 * within 24 hours answers the tasks of the first call in their current state), then injected
 * capacity failures, then the new tasks recorded with their first events in one transaction and
 * handed to the driver.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import type { FaultOptions, LocalDatabase } from '#local/interfaces.ts';
import { AwsApiError } from '#local/wire/errors.ts';
import { wireObject } from '#local/wire/wire-input.ts';
import { containerArnOf, taskArnOf, taskDefinitionArnOf } from '../arns.ts';
import type { TaskDriver } from '../drivers/types.ts';
import { planRunTask } from '../run-task-request.ts';
import { type EcsTaskDefinition, TASK_DEFINITION_REVISION } from '../task-definitions.ts';
import { type TaskRecord, toWireTask } from '../task-record.ts';
import type { TokenBucket } from '../token-bucket.ts';
import type { SnapshotCheck } from '../volume-configuration.ts';
import { type EcsCluster, invalidParameter, resolveCluster } from './cluster.ts';

/** The reason ECS gives in `failures[]` when Fargate has no capacity. */
export const CAPACITY_UNAVAILABLE_REASON =
  'Capacity is unavailable at this time. Please try again later or in a different availability zone.';

/** A RunTask clientToken is honoured this long (per cluster). */
export const CLIENT_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

/** A RunTask answer: started tasks, and a failure per task that could not start. */
export interface RunTaskResponse {
  readonly tasks: Array<Record<string, unknown>>;
  readonly failures: Array<{ readonly arn?: string; readonly reason: string; readonly detail?: string }>;
}

/** What RunTask needs beside the cluster. */
export interface RunTaskDependencies {
  readonly database: LocalDatabase;
  readonly driver: TaskDriver;
  readonly definitions: ReadonlyMap<string, EcsTaskDefinition>;
  readonly clock: { now(): number };
  readonly quota: TokenBucket | undefined;
  readonly faults: FaultOptions;
  /** The fault dice: a number in [0, 1) per roll. */
  readonly roll: () => number;
  readonly log: (line: string) => void;
  /** v1.3: whether a `volumeConfigurations` snapshot can be restored. @default every snapshot can */
  readonly snapshots?: SnapshotCheck;
}

type RunTaskPlan = ReturnType<typeof planRunTask>;

/** RunTask over `cluster`. */
export function createRunTask(
  cluster: EcsCluster,
  dependencies: RunTaskDependencies,
): (input: unknown) => RunTaskResponse {
  const { database, driver, definitions, clock, quota, faults, roll, log, snapshots } = dependencies;
  const { scope, clusterArn, store, tasks: ledger } = cluster;
  const availabilityZone = `${scope.region}a`;

  function throttleCheck(now: number): void {
    if (quota !== undefined && !quota.tryTake(now))
      throw new AwsApiError('ThrottlingException', 'Rate exceeded');
    const throttleRate = faults.throttleRate ?? 0;
    if (throttleRate > 0 && roll() < throttleRate) {
      if (roll() < 0.5) throw new AwsApiError('ThrottlingException', 'Rate exceeded');
      throw invalidParameter(
        'Error retrieving subnet information for [subnet-local]: Rate exceeded (ErrorCode: Throttling)',
      );
    }
  }

  /** The first call's tasks for a clientToken used within its TTL; `undefined` for a fresh token. */
  function replayed(plan: RunTaskPlan, now: number): RunTaskResponse | undefined {
    if (plan.clientToken === undefined) return undefined;
    const used = store.clientToken(clusterArn, plan.clientToken);
    if (used === undefined || now - used.createdAt >= CLIENT_TOKEN_TTL_MS) return undefined;
    if (used.requestHash !== plan.requestHash) {
      throw new AwsApiError(
        'ConflictException',
        'The specified client token has already been used in a request with different parameters.',
        { fields: { resourceIds: [...used.taskArns] } },
      );
    }
    const tasks = used.taskArns.flatMap((taskArn) => {
      const task = ledger.find(taskArn);
      return task === undefined ? [] : [toWireTask(task)];
    });
    return { tasks, failures: [] };
  }

  function capacityFailure(plan: RunTaskPlan): RunTaskResponse | undefined {
    const capacityFailureRate = faults.capacityFailureRate ?? 0;
    if (capacityFailureRate <= 0 || roll() >= capacityFailureRate) return undefined;
    const failures = Array.from({ length: plan.count }, () => ({
      arn: clusterArn,
      reason: CAPACITY_UNAVAILABLE_REASON,
    }));
    log(
      `task   ${plan.definition.family} -------- capacity unavailable (injected) (ws=${plan.startedBy ?? '-'})`,
    );
    return { tasks: [], failures };
  }

  function startTasks(plan: RunTaskPlan, now: number): RunTaskResponse {
    const tasks = Array.from({ length: plan.count }, () =>
      newTask(cluster, availabilityZone, driver, plan, now),
    );
    database.transaction(() => {
      for (const task of tasks) store.insert(task);
      if (plan.clientToken !== undefined) {
        store.saveClientToken(clusterArn, plan.clientToken, {
          requestHash: plan.requestHash,
          taskArns: tasks.map((task) => task.taskArn),
          createdAt: now,
        });
      }
      ledger.emitCreated(tasks);
    });
    for (const task of tasks) {
      ledger.track(task);
      driver.start(task, plan.definition);
    }
    return { tasks: tasks.map((task) => toWireTask(task)), failures: [] };
  }

  return function runTask(input) {
    const request = wireObject(input);
    const now = clock.now();
    throttleCheck(now);
    resolveCluster(cluster, request);
    const plan = planRunTask(request, scope, definitions, snapshots);
    return replayed(plan, now) ?? capacityFailure(plan) ?? startTasks(plan, now);
  };
}

/** A new task record, PROVISIONING, version 1. */
function newTask(
  cluster: EcsCluster,
  availabilityZone: string,
  driver: TaskDriver,
  plan: RunTaskPlan,
  now: number,
): TaskRecord {
  const { scope, clusterName, clusterArn } = cluster;
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
      ...(definition.bootStep
        ? [
            {
              containerArn: containerArnOf(scope, clusterName, taskId, randomUUID()),
              name: definition.bootStep.containerName,
              image: definition.bootStep.image,
              essential: false,
              lastStatus: 'PENDING' as const,
            },
          ]
        : []),
    ],
    attachment: {
      id: randomUUID(),
      status: 'PRECREATED',
      details: [{ name: 'subnetId', value: plan.subnetId }],
    },
    ...(plan.dataVolume !== undefined
      ? { dataVolume: { id: randomUUID(), status: 'PRECREATED' as const, request: plan.dataVolume } }
      : {}),
    updatedAt: now,
    version: 1,
  };
}
