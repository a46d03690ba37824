/** Base of the core's errors; `cause` flows through. */
export class CoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CoreError';
  }
}

/**
 * A request that passed the contract cannot be turned into a launch (a reserved env name, or
 * overrides over ECS's budget). It is final: the handler rejects it and never retries.
 */
export class LaunchPlanError extends CoreError {
  /** The request field at fault, for the rejection's `errors[].path`. */
  readonly path: string;
  constructor(path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LaunchPlanError';
    this.path = path;
  }
}

/** Why files cannot travel as a boot bundle; the boot step exits with a code per reason. */
export type BootBundleProblem = 'refused-path' | 'hash-mismatch' | 'malformed';

/** Files that cannot travel as a boot bundle (an unsafe path, too many, too large, a bad hash). */
export class BootBundleError extends CoreError {
  readonly problem: BootBundleProblem;
  constructor(message: string, problem: BootBundleProblem = 'malformed', options?: ErrorOptions) {
    super(message, options);
    this.name = 'BootBundleError';
    this.problem = problem;
  }
}

/** v1.2: recovery settings no policy can follow (a negative attempt limit, an empty window). */
export class RecoveryPolicyError extends CoreError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RecoveryPolicyError';
  }
}
