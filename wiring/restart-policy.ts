/**
 * v1.2: the workspace container's restart policy, one definition for CDK's task definitions and the
 * local stack's (decision 019). ECS restarts a container that exits inside a healthy task, in
 * place, without replacing the task, but only once it has run for the attempt period since its
 * start or last restart; one that exits sooner stops the task, which the provisioner's recovery
 * then replaces. A clean exit (0) is never restarted: the workspace meant to stop.
 * Source: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-restart-policy.html
 */
export const WORKSPACE_RESTART_POLICY = {
  enabled: true,
  /** Exit codes ECS does not restart on. */
  ignoredExitCodes: [0],
  /** ECS's default, within its 60 to 1800 seconds. */
  restartAttemptPeriodSeconds: 300,
} as const;
