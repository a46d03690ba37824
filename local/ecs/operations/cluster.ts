/**
 * What every ECS operation shares: the one cluster, the tasks, and the errors ECS answers for a
 * wrong cluster or parameter.
 */

import { AwsApiError } from '#local/wire/errors.ts';
import { optionalString, type WireObject } from '#local/wire/wire-input.ts';
import { clusterNameOf, type EcsScope, taskArnOf, taskIdOf } from '../arns.ts';
import type { TaskLedger } from '../task-ledger.ts';
import type { TaskStore } from '../task-store.ts';

/** DescribeTasks and ListTasks take or return at most this many tasks. */
export const MAX_TASKS_PER_CALL = 100;

/** The cluster the operations serve, and its tasks. Built once per emulator. */
export interface EcsCluster {
  readonly scope: EcsScope;
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly store: TaskStore;
  readonly tasks: TaskLedger;
}

/** ECS's answer to a parameter it refuses. */
export const invalidParameter = (message: string): AwsApiError =>
  new AwsApiError('InvalidParameterException', message);

/** Throws ClusterNotFoundException unless the request's `cluster` (name, ARN or none) is this one. */
export function resolveCluster(cluster: EcsCluster, request: WireObject): void {
  if (clusterNameOf(cluster.scope, optionalString(request, 'cluster')) !== cluster.clusterName) {
    throw new AwsApiError('ClusterNotFoundException', 'Cluster not found.');
  }
}

/** A `task` parameter (ARN or id) as this cluster's task ARN; `undefined` for another cluster's ARN. */
export function taskArnFor(cluster: EcsCluster, reference: string): string | undefined {
  const { scope, clusterName } = cluster;
  if (!reference.startsWith('arn:')) return taskArnOf(scope, clusterName, reference);
  return reference === taskArnOf(scope, clusterName, taskIdOf(reference)) ? reference : undefined;
}
