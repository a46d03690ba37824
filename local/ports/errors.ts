/** Base of the local ports' errors; `cause` flows through. */
export class LocalPortError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalPortError';
  }
}

/** A stored row cannot be read back (corrupt or written by an incompatible version). */
export class StoredRecordError extends LocalPortError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoredRecordError';
  }
}
