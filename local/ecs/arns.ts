/** ARNs as ECS forms them (the long ARN format, with the cluster name in task ARNs). */

export interface EcsScope {
  readonly region: string;
  readonly account: string;
}

const prefix = (scope: EcsScope): string => `arn:aws:ecs:${scope.region}:${scope.account}`;

export const clusterArnOf = (scope: EcsScope, cluster: string): string =>
  `${prefix(scope)}:cluster/${cluster}`;

export const taskArnOf = (scope: EcsScope, cluster: string, taskId: string): string =>
  `${prefix(scope)}:task/${cluster}/${taskId}`;

export const taskDefinitionArnOf = (scope: EcsScope, family: string, revision: number): string =>
  `${prefix(scope)}:task-definition/${family}:${revision}`;

export const containerArnOf = (
  scope: EcsScope,
  cluster: string,
  taskId: string,
  containerId: string,
): string => `${prefix(scope)}:container/${cluster}/${taskId}/${containerId}`;

/**
 * The cluster name a `cluster` parameter means: a name, or a cluster ARN of this region and account.
 * `undefined` for an ARN elsewhere. ECS's default cluster is `default`.
 */
export function clusterNameOf(scope: EcsScope, nameOrArn: string | undefined): string | undefined {
  if (nameOrArn === undefined || nameOrArn === '') return 'default';
  if (!nameOrArn.startsWith('arn:')) return nameOrArn;
  const match = /^arn:[^:]+:ecs:([^:]*):([^:]*):cluster\/(.+)$/.exec(nameOrArn);
  if (!match || match[1] !== scope.region || match[2] !== scope.account) return undefined;
  return match[3];
}

/** The task id a `task` parameter means: a bare id, or the last part of a task ARN. */
export function taskIdOf(idOrArn: string): string {
  const slash = idOrArn.lastIndexOf('/');
  return idOrArn.startsWith('arn:') && slash >= 0 ? idOrArn.slice(slash + 1) : idOrArn;
}

/** A task definition reference: `family`, `family:revision` or a task-definition ARN. */
export interface TaskDefinitionReference {
  readonly family: string;
  readonly revision?: number;
}

/** Parses a `taskDefinition` parameter; `undefined` when it is no valid reference or an ARN elsewhere. */
export function parseTaskDefinitionReference(
  scope: EcsScope,
  reference: string,
): TaskDefinitionReference | undefined {
  let text = reference;
  if (reference.startsWith('arn:')) {
    const match = /^arn:[^:]+:ecs:([^:]*):([^:]*):task-definition\/(.+)$/.exec(reference);
    if (!match || match[1] !== scope.region || match[2] !== scope.account) return undefined;
    text = match[3] as string;
  }
  const match = /^([A-Za-z0-9_-]{1,255})(?::([0-9]+))?$/.exec(text);
  if (!match) return undefined;
  const family = match[1] as string;
  return match[2] === undefined ? { family } : { family, revision: Number(match[2]) };
}
