import { Agent } from 'node:http';
import { DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { localClientConfig } from '#local/clients.ts';

/** Reads the local ECS emulator with the real SDK, as an operator would. */

export const localEcs = (url: string): ECSClient =>
  new ECSClient(
    localClientConfig(url, 'us-east-1', { httpAgent: new Agent({ keepAlive: true, maxSockets: 16 }) }),
  );

export interface TaskSummary {
  readonly taskArn: string;
  readonly startedBy?: string;
  readonly lastStatus?: string;
  readonly image?: string;
  readonly requestId?: string;
}

/** Every task in the cluster, live and stopped: ListTasks pages, then DescribeTasks by 100. */
export async function allTasks(ecs: ECSClient, cluster = 'workspaces'): Promise<TaskSummary[]> {
  const arns: string[] = [];
  for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
    let nextToken: string | undefined;
    do {
      const page = await ecs.send(
        new ListTasksCommand({ cluster, desiredStatus, maxResults: 100, nextToken }),
      );
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
  }
  const tasks: TaskSummary[] = [];
  for (let index = 0; index < arns.length; index += 100) {
    const described = await ecs.send(
      new DescribeTasksCommand({ cluster, tasks: arns.slice(index, index + 100), include: ['TAGS'] }),
    );
    for (const task of described.tasks ?? []) {
      tasks.push({
        taskArn: task.taskArn ?? '',
        ...(task.startedBy ? { startedBy: task.startedBy } : {}),
        ...(task.lastStatus ? { lastStatus: task.lastStatus } : {}),
        ...(task.containers?.[0]?.image ? { image: task.containers[0].image } : {}),
        ...(task.tags?.find((tag) => tag.key === 'request-id')?.value
          ? { requestId: task.tags.find((tag) => tag.key === 'request-id')?.value as string }
          : {}),
      });
    }
  }
  return [...new Map(tasks.map((task) => [task.taskArn, task])).values()];
}

/** Tasks beyond the first, per workspace: a duplicate launch. */
export function duplicateTaskCount(tasks: readonly TaskSummary[]): number {
  const perWorkspace = new Map<string, number>();
  for (const task of tasks)
    perWorkspace.set(task.startedBy ?? '', (perWorkspace.get(task.startedBy ?? '') ?? 0) + 1);
  let duplicates = 0;
  for (const count of perWorkspace.values()) duplicates += Math.max(0, count - 1);
  return duplicates;
}
