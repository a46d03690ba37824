/** The local EBS store's errors: the EC2 API errors it answers with, and its own failures. */

/**
 * An error an EC2 operation answers with: HTTP `statusCode` and the EC2 Query error document
 * `<Response><Errors><Error><Code>…</Code><Message>…</Message></Error></Errors><RequestID>…`,
 * which the SDK's `EC2Client` turns into an `EC2ServiceException` named by `code`.
 *
 * @example
 * ```ts
 * throw new Ec2ApiError('InvalidVolume.NotFound', "The volume 'vol-1' does not exist.");
 * ```
 */
export class Ec2ApiError extends Error {
  /** EC2's error code, e.g. `InvalidVolume.NotFound`. */
  readonly code: string;
  readonly statusCode: number;
  constructor(code: string, message: string, options: ErrorOptions & { readonly statusCode?: number } = {}) {
    const { statusCode = 400, ...errorOptions } = options;
    super(message, errorOptions);
    this.name = 'Ec2ApiError';
    this.code = code;
    this.statusCode = statusCode;
  }
}

/** Thrown by `createForTask` when the volume cannot be created (its message is what ECS reports). */
export class VolumeCreationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'VolumeCreationError';
  }
}
