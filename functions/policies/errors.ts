/**
 * Errors the policies throw. They are not AWS errors: a policy decides, over the ports, when to
 * give up, and says so with a typed error the handler (or the platform's retry) can act on.
 */

/** Base of every error a policy throws. */
export class PolicyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PolicyError';
  }
}

/**
 * Another invocation holds the workspace's lease for longer than this invocation can wait. Safe
 * to retry: the platform redelivers, and by then the holder has finished.
 */
export class WorkspaceBusyError extends PolicyError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WorkspaceBusyError';
  }
}

/**
 * ECS still does not show a launched task after the in-invocation retries. DescribeTasks is
 * eventually consistent right after RunTask, so a genuine event is not dropped: the platform
 * retries it, and once those retries are spent the failure reporter says so.
 */
export class LaunchedTaskNotVisibleError extends PolicyError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LaunchedTaskNotVisibleError';
  }
}

/**
 * v1.3: a persistent workspace's previous data is still being saved when this invocation's time
 * runs out, and the deployment's wait for it (`dataSaveWaitSeconds`) has not. Safe to retry: the
 * platform redelivers the event and the launch waits on from where it was.
 */
export class DataSaveInProgressError extends PolicyError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DataSaveInProgressError';
  }
}
