/**
 * The task-version-store port: the last ECS task version seen per task, so a state change that
 * arrives late or twice is never reported again. DynamoDB in AWS, SQLite locally.
 */

/**
 * The last ECS task version seen per task, advanced only forwards. `advance` is a conditional
 * write: true when `version` is higher than what was stored, false otherwise.
 */
export interface TaskVersionStore {
  advance(taskArn: string, version: number): Promise<boolean>;
  get(taskArn: string): Promise<number | undefined>;
}
