/** Thrown when the local stack's durable store cannot be opened or used as asked. */
export class LocalDatabaseError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalDatabaseError';
  }
}

/** Thrown when the state directory cannot be used: a file, unwritable, or impossible to create. */
export class StateDirectoryError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StateDirectoryError';
  }
}

/** Thrown when another live local stack holds the state directory's lock. */
export class StateDirectoryInUseError extends Error {
  /** The pid of the stack that holds the lock. */
  readonly holderPid: number;
  constructor(message: string, holderPid: number) {
    super(message);
    this.name = 'StateDirectoryInUseError';
    this.holderPid = holderPid;
  }
}
