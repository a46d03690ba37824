/**
 * v1.3: errors the lifecycle flows throw for the platform to retry. A throw from the handler fails
 * the invocation; Lambda retries the event (and the idempotency record of the failed attempt is
 * released), so the step runs again once what blocked it has moved on.
 */

/**
 * A data volume or snapshot could not be deleted yet: EC2 says it is still in use (a volume still
 * attached to the stopped task, `VolumeInUse`; a snapshot in use). Retryable: ECS detaches a
 * stopped task's volume shortly after the task stops.
 */
export class DataInUseError extends Error {
  /** The volume or snapshot id. */
  readonly resourceId: string;
  constructor(resourceId: string, options?: ErrorOptions) {
    super(`${resourceId} is still in use; the platform will retry its deletion`, options);
    this.name = 'DataInUseError';
    this.resourceId = resourceId;
  }
}
