/** Thrown when the ECS emulator cannot start as configured. */
export class EcsEmulatorError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EcsEmulatorError';
  }
}

/** Thrown at start-up when the chosen task driver cannot work here (no Docker engine for `docker`). */
export class TaskDriverUnavailableError extends EcsEmulatorError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TaskDriverUnavailableError';
  }
}
