/** Options of an {@link AwsApiError}. */
export interface AwsApiErrorOptions extends ErrorOptions {
  /**
   * HTTP status of the error response. AWS JSON services answer client errors, throttling included,
   * with 400 and their own failures with 500.
   * @default 400
   */
  readonly statusCode?: number;
  /** Extra members of the error body, in the service's wire shape (ECS's `resourceIds`, for example). */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/**
 * An error an emulated AWS operation answers with. The server writes it as the AWS JSON 1.1 error
 * body `{"__type": code, "message": message, ...fields}` with `statusCode`, which the SDK clients turn
 * into their modelled exception (`ConflictException` with `resourceIds`, for example).
 *
 * @example
 * ```ts
 * throw new AwsApiError('ClusterNotFoundException', 'Cluster not found.');
 * ```
 */
export class AwsApiError extends Error {
  /** Marker, so the server recognises these across module copies. */
  readonly awsApiError = true as const;
  /** The error type the SDK maps to an exception class, e.g. `ThrottlingException`. */
  readonly code: string;
  readonly statusCode: number;
  readonly fields: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, options: AwsApiErrorOptions = {}) {
    const { statusCode = 400, fields = {}, ...errorOptions } = options;
    super(message, errorOptions);
    this.name = 'AwsApiError';
    this.code = code;
    this.statusCode = statusCode;
    this.fields = fields;
  }
}

/** True for an {@link AwsApiError}, also across module copies (it checks the marker). */
export function isAwsApiError(error: unknown): error is AwsApiError {
  return error instanceof Error && (error as Partial<AwsApiError>).awsApiError === true;
}

/** Thrown when the local endpoint cannot start as configured (non-loopback host, port in use). */
export class LocalServerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalServerError';
  }
}
