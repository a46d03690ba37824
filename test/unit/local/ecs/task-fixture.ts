import type { TaskRecord } from '#local/ecs/index.ts';

/** A task record in the given state, as RunTask records it (times and ARNs fixed). */
export function taskIn(
  lastStatus: TaskRecord['lastStatus'],
  desiredStatus: TaskRecord['desiredStatus'],
  extra: Partial<TaskRecord> = {},
): TaskRecord {
  return {
    taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/0123456789abcdef0123456789abcdef',
    taskId: '0123456789abcdef0123456789abcdef',
    clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/workspaces',
    clusterName: 'workspaces',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/workspace-codex:1',
    family: 'workspace-codex',
    group: 'family:workspace-codex',
    startedBy: 'ws-1',
    launchType: 'FARGATE',
    cpu: '256',
    memory: '512',
    overrides: {},
    tags: [],
    availabilityZone: 'us-east-1a',
    platformVersion: '1.4.0',
    driver: 'simulated',
    containerPort: 8000,
    createdAt: 1_000,
    lastStatus,
    desiredStatus,
    containers: [
      {
        containerArn: 'arn:aws:ecs:us-east-1:000000000000:container/workspaces/x/y',
        name: 'workspace',
        image: 'img',
        lastStatus: lastStatus === 'PROVISIONING' ? 'PENDING' : lastStatus,
      },
    ],
    updatedAt: 1_000,
    version: 1,
    ...extra,
  };
}
