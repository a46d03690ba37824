/** Thrown when the local stack's durable store cannot be opened or used as asked. */
export class LocalDatabaseError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalDatabaseError';
  }
}
