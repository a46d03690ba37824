/** Base of the invoker's errors; `cause` flows through. */
export class InvokerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvokerError';
  }
}

/** An event was handed to a function the stack does not deploy. */
export class UnknownFunctionError extends InvokerError {
  constructor(functionName: string, options?: ErrorOptions) {
    super(`Function not found: ${functionName}`, options);
    this.name = 'UnknownFunctionError';
  }
}

/** What a function named in `faults.functionErrors` throws on every invocation. */
export class InjectedFaultError extends InvokerError {
  constructor(functionName: string, options?: ErrorOptions) {
    super(`injected fault: every ${functionName} invocation fails (faults.functionErrors)`, options);
    this.name = 'InjectedFaultError';
  }
}
