/** Base of the CLI's errors; `cause` flows through. */
export class CliError extends Error {
  /** The process exit code this error ends the command with. */
  readonly exitCode: number;
  constructor(message: string, exitCode = 1, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Bad flags or a request that breaks the contract: nothing was sent. Exit code 2. */
export class UsageError extends CliError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 2, options);
    this.name = 'UsageError';
  }
}

/** One field a request breaks the contract on: the contract field, the flag it comes from, zod's message. */
export interface ContractProblem {
  readonly field: string;
  readonly flag: string;
  readonly message: string;
}

/**
 * A request that breaks the contract: the usage error the CLI prints, with each problem kept apart
 * so the local console can show it beside its field. Exit code 2.
 */
export class ContractViolationError extends UsageError {
  readonly problems: readonly ContractProblem[];
  constructor(message: string, problems: readonly ContractProblem[], options?: ErrorOptions) {
    super(message, options);
    this.name = 'ContractViolationError';
    this.problems = problems;
  }
}

/** An `npm start` flag is invalid. Exit code 2. */
export class FlagError extends CliError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 2, options);
    this.name = 'FlagError';
  }
}

/**
 * The stack could not be reached, or answered with a server error (it is stopping or starting):
 * `events --follow` waits for it to come back instead of exiting.
 */
export class StackUnreachableError extends CliError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 1, options);
    this.name = 'StackUnreachableError';
  }
}
