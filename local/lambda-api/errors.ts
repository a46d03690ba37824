/** The errors Lambda's Invoke answers with, as the local endpoint writes them. */

/** Base of the Invoke endpoint's errors: a Lambda error type, its HTTP status and the body's `Type`. */
export class LambdaApiError extends Error {
  /** `x-amzn-errortype`: the SDK's exception name. */
  readonly errorType: string;
  readonly statusCode: number;
  /** `User` for a caller's mistake, `Service` for Lambda's own failure. */
  readonly type: 'User' | 'Service';

  constructor(
    errorType: string,
    message: string,
    statusCode: number,
    type: 'User' | 'Service' = 'User',
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'LambdaApiError';
    this.errorType = errorType;
    this.statusCode = statusCode;
    this.type = type;
  }
}

/** No function of the stack has that name, ARN or qualifier. */
export class FunctionNotFoundError extends LambdaApiError {
  constructor(functionArn: string, options?: ErrorOptions) {
    super('ResourceNotFoundException', `Function not found: ${functionArn}`, 404, 'User', options);
    this.name = 'FunctionNotFoundError';
  }
}

/** The payload is not JSON. */
export class InvalidRequestContentError extends LambdaApiError {
  constructor(message: string, options?: ErrorOptions) {
    super('InvalidRequestContentException', message, 400, 'User', options);
    this.name = 'InvalidRequestContentError';
  }
}

/** A parameter the local stack does not accept (an invocation type it does not serve). */
export class InvalidParameterValueError extends LambdaApiError {
  constructor(message: string, options?: ErrorOptions) {
    super('InvalidParameterValueException', message, 400, 'User', options);
    this.name = 'InvalidParameterValueError';
  }
}
