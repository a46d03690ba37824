/** Errors of the local S3 endpoint. */

/** Options of an {@link S3Error}. */
export interface S3ErrorOptions extends ErrorOptions {
  /** @default 400 */
  readonly status?: number;
  /** More elements of the `<Error>` document (`Key`, `BucketName`, `ArgumentName`, ...). */
  readonly fields?: Readonly<Record<string, string>>;
}

/**
 * An error S3 answers with: written as the XML `<Error><Code>…</Code><Message>…</Message>…</Error>`
 * document with `status` (no body for HEAD), which the SDK turns into its modelled exception
 * (`NoSuchKey`, `NoSuchBucket`) or a generic `S3ServiceException` named by the code.
 */
export class S3Error extends Error {
  readonly code: string;
  readonly status: number;
  readonly fields: Readonly<Record<string, string>>;

  constructor(code: string, message: string, options: S3ErrorOptions = {}) {
    const { status = 400, fields = {}, ...errorOptions } = options;
    super(message, errorOptions);
    this.name = 'S3Error';
    this.code = code;
    this.status = status;
    this.fields = fields;
  }
}

/** A request body that is not the aws-chunked encoding it claims to be. */
export class AwsChunkedDecodingError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AwsChunkedDecodingError';
  }
}
