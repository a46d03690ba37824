/** DescribeTasks: up to 100 tasks by ARN or id; an unknown one is a `MISSING` failure. */

import { optionalStringList, wireObject } from '#local/wire/wire-input.ts';
import { toWireTask } from '../task-record.ts';
import {
  type EcsCluster,
  invalidParameter,
  MAX_TASKS_PER_CALL,
  resolveCluster,
  taskArnFor,
} from './cluster.ts';

export interface DescribeTasksResponse {
  readonly tasks: Array<Record<string, unknown>>;
  readonly failures: Array<{ readonly arn: string; readonly reason: string }>;
}

/** DescribeTasks over `cluster`; tags only with `include: ['TAGS']`, as ECS answers. */
export function createDescribeTasks(cluster: EcsCluster): (input: unknown) => DescribeTasksResponse {
  return function describeTasks(input) {
    const request = wireObject(input);
    resolveCluster(cluster, request);
    const references = optionalStringList(request, 'tasks') ?? [];
    if (references.length === 0) throw invalidParameter('Tasks cannot be empty.');
    if (references.length > MAX_TASKS_PER_CALL) {
      throw invalidParameter(`Tasks cannot have more than ${MAX_TASKS_PER_CALL} elements.`);
    }
    const includeTags = (optionalStringList(request, 'include') ?? []).includes('TAGS');
    const tasks: Array<Record<string, unknown>> = [];
    const failures: Array<{ arn: string; reason: string }> = [];
    for (const reference of references) {
      const taskArn = taskArnFor(cluster, reference);
      const task = taskArn === undefined ? undefined : cluster.tasks.find(taskArn);
      if (task === undefined) failures.push({ arn: reference, reason: 'MISSING' });
      else tasks.push(toWireTask(task, includeTags));
    }
    return { tasks, failures };
  };
}
