import {
  DescribeTasksCommand,
  type ECSClient,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { CONTAINER_NAME, FAMILY_PREFIX, SYSTEM_ENV_NAMES } from '#contracts/names.ts';
import type { RunTaskInput } from '#core/plan-launch.ts';
import {
  classifyRunTaskError,
  classifyRunTaskResponse,
  type RunTaskOutcome,
} from '#core/run-task-outcome.ts';
import type { VolumeConfiguration } from '#core/workspace-data.ts';
import type { DescribedTasks, TaskListFilter, TaskRunner, TaskSummary } from '#ports/task-runner.ts';

/** DescribeTasks takes at most 100 task ARNs per call. */
export const DESCRIBE_TASKS_BATCH = 100;

/** StopTask's reason is cut at 255 characters by ECS. */
const STOP_REASON_MAX = 255;

const familyOf = (task: Task): string | undefined => {
  const fromArn = /:task-definition\/([^:]+)/.exec(task.taskDefinitionArn ?? '')?.[1];
  if (fromArn) return fromArn;
  return task.group?.startsWith('family:') ? task.group.slice('family:'.length) : undefined;
};

const positiveInt = (value: string | undefined): number | undefined => {
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : undefined;
};

const systemEnvironmentOf = (task: Task): Record<string, string> => {
  const environment: Record<string, string> = {};
  const wanted = new Set<string>(SYSTEM_ENV_NAMES);
  for (const override of task.overrides?.containerOverrides ?? []) {
    if (override.name !== undefined && override.name !== CONTAINER_NAME) continue;
    for (const pair of override.environment ?? []) {
      if (pair.name && wanted.has(pair.name) && pair.value !== undefined) environment[pair.name] = pair.value;
    }
  }
  return environment;
};

/** Reads a DescribeTasks task into a `TaskSummary`; undefined when it has no ARN. */
export function summarizeTask(task: Task): TaskSummary | undefined {
  if (!task.taskArn) return undefined;
  const container =
    task.containers?.find((candidate) => candidate.name === CONTAINER_NAME) ?? task.containers?.[0];
  const tags: Record<string, string> = {};
  for (const tag of task.tags ?? []) if (tag.key && tag.value !== undefined) tags[tag.key] = tag.value;
  const family = familyOf(task);
  const cpu = positiveInt(task.cpu);
  const memory = positiveInt(task.memory);
  return {
    taskArn: task.taskArn,
    tags,
    systemEnvironment: systemEnvironmentOf(task),
    ...(task.clusterArn ? { clusterArn: task.clusterArn } : {}),
    ...(task.lastStatus ? { lastStatus: task.lastStatus } : {}),
    ...(task.desiredStatus ? { desiredStatus: task.desiredStatus } : {}),
    ...(task.startedBy ? { startedBy: task.startedBy } : {}),
    ...(task.group ? { group: task.group } : {}),
    ...(task.taskDefinitionArn ? { taskDefinitionArn: task.taskDefinitionArn } : {}),
    ...(family ? { family } : {}),
    ...(task.createdAt ? { createdAt: task.createdAt } : {}),
    ...(task.startedAt ? { startedAt: task.startedAt } : {}),
    ...(task.stoppedAt ? { stoppedAt: task.stoppedAt } : {}),
    ...(cpu ? { cpu } : {}),
    ...(memory ? { memory } : {}),
    ...(container?.image ? { image: container.image } : {}),
  };
}

/** v1.3: the data volume's configuration, copied out of its readonly plan into the SDK's mutable shape. */
function volumeConfigurationOf(configuration: VolumeConfiguration) {
  const { tagSpecifications, terminationPolicy, ...volume } = configuration.managedEBSVolume;
  return {
    name: configuration.name,
    managedEBSVolume: {
      ...volume,
      terminationPolicy: { ...terminationPolicy },
      tagSpecifications: tagSpecifications.map((specification) => ({
        resourceType: specification.resourceType,
        tags: specification.tags.map((tag) => ({ ...tag })),
      })),
    },
  };
}

/** `workspace-codex` -> `codex`; undefined for a family that is not ours. */
export const runtimeOfFamily = (family: string | undefined): string | undefined =>
  family?.startsWith(FAMILY_PREFIX) ? family.slice(FAMILY_PREFIX.length) : undefined;

/**
 * The ECS adapter. RunTask's outcome is classified by the core (HTTP 200 `failures[]`, both forms
 * of throttling, ConflictException on a reused client token), never by exception type alone; the
 * SDK's own retries still apply underneath.
 */
export class EcsTaskRunner implements TaskRunner {
  readonly #client: ECSClient;
  readonly #cluster: string;

  constructor(client: ECSClient, options: { readonly cluster: string }) {
    this.#client = client;
    this.#cluster = options.cluster;
  }

  async runTask(input: RunTaskInput): Promise<RunTaskOutcome> {
    const { volumeConfigurations, ...rest } = input;
    try {
      const response = await this.#client.send(
        new RunTaskCommand({
          ...rest,
          tags: input.tags.map((tag) => ({ ...tag })),
          networkConfiguration: {
            awsvpcConfiguration: {
              ...input.networkConfiguration.awsvpcConfiguration,
              subnets: [...input.networkConfiguration.awsvpcConfiguration.subnets],
              securityGroups: [...input.networkConfiguration.awsvpcConfiguration.securityGroups],
            },
          },
          ...(volumeConfigurations
            ? { volumeConfigurations: volumeConfigurations.map(volumeConfigurationOf) }
            : {}),
          overrides: {
            ...input.overrides,
            containerOverrides: input.overrides.containerOverrides.map((override) => ({
              name: override.name,
              ...(override.environment
                ? { environment: override.environment.map((pair) => ({ ...pair })) }
                : {}),
              ...(override.environmentFiles
                ? { environmentFiles: override.environmentFiles.map((file) => ({ ...file })) }
                : {}),
            })),
          },
        }),
      );
      return classifyRunTaskResponse(response);
    } catch (error) {
      return classifyRunTaskError(error);
    }
  }

  /** Every task ARN matching the filter, across all ListTasks pages (a fresh request per page). */
  async listTaskArns(filter: TaskListFilter): Promise<string[]> {
    const arns: string[] = [];
    const base =
      'startedBy' in filter
        ? { cluster: this.#cluster, startedBy: filter.startedBy }
        : { cluster: this.#cluster, ...filter };
    let nextToken: string | undefined;
    do {
      const page = await this.#client.send(
        new ListTasksCommand({ ...base, ...(nextToken ? { nextToken } : {}) }),
      );
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return arns;
  }

  /** DescribeTasks with tags, in batches of 100. */
  async describeTasks(taskArns: readonly string[]): Promise<DescribedTasks> {
    const tasks: TaskSummary[] = [];
    const unique = [...new Set(taskArns)];
    for (let start = 0; start < unique.length; start += DESCRIBE_TASKS_BATCH) {
      const batch = unique.slice(start, start + DESCRIBE_TASKS_BATCH);
      const response = await this.#client.send(
        new DescribeTasksCommand({ cluster: this.#cluster, tasks: batch, include: ['TAGS'] }),
      );
      for (const task of response.tasks ?? []) {
        const summary = summarizeTask(task);
        if (summary) tasks.push(summary);
      }
    }
    const seen = new Set(tasks.map((task) => task.taskArn));
    return { tasks, missing: unique.filter((arn) => !seen.has(arn)) };
  }

  async stopTask(taskArn: string, reason: string): Promise<void> {
    await this.#client.send(
      new StopTaskCommand({
        cluster: this.#cluster,
        task: taskArn,
        reason: reason.slice(0, STOP_REASON_MAX),
      }),
    );
  }
}
