/** The local ECS: RunTask, StopTask, DescribeTasks and ListTasks over durable tasks and a task driver. */

export { createFaultDice } from '#local/faults/fault-dice.ts';
export { clusterArnOf, taskArnOf, taskDefinitionArnOf } from './arns.ts';
export type { EcsDataVolumes } from './data-volumes.ts';
export {
  assertDockerEngineReachable,
  STAND_IN_PATH,
  STAND_IN_READY_PREFIX,
  standInArgv,
} from './drivers/index.ts';
export {
  CAPACITY_UNAVAILABLE_REASON,
  CLIENT_TOKEN_TTL_MS,
  createEcsEmulator,
  type DescribeTasksResponse,
  type EcsEmulator,
  type EcsEmulatorOptions,
  type ListTasksResponse,
  type RetireTaskOutcome,
  type RunTaskResponse,
  type StopTaskResponse,
} from './emulator.ts';
export { EcsEmulatorError, TaskDriverUnavailableError } from './errors.ts';
export { MAX_OVERRIDES_CHARS, MAX_RUN_TASK_COUNT } from './run-task-request.ts';
export type { EcsTaskDefinition, LocalDataVolume } from './task-definitions.ts';
export type { TaskRecord, TaskStatus, TaskStopCode } from './task-record.ts';
export { FARGATE_MAINTENANCE_REASON, FARGATE_MAINTENANCE_STOP_CODE } from './task-state-machine.ts';
