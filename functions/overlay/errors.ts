/** Base of the overlay handler's errors; `cause` flows through. */
export class OverlayError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OverlayError';
  }
}

/** A launched event names a runtime this deployment's catalog does not have. */
export class UnknownRuntimeError extends OverlayError {
  constructor(runtime: string, options?: ErrorOptions) {
    super(`runtime "${runtime}" is not in the catalog`, options);
    this.name = 'UnknownRuntimeError';
  }
}
