/** Base of the adapters' errors; `cause` flows through. */
export class AdapterError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AdapterError';
  }
}

/** A required environment variable is missing or malformed. The message names the variable, never its value. */
export class EnvironmentError extends AdapterError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EnvironmentError';
  }
}

/** One PutEvents entry that EventBridge refused for good. */
export interface FailedEntry {
  readonly detailType: string;
  /** EventBridge's `ErrorCode` (never its message, which can echo the payload). */
  readonly errorCode: string;
}

/** Entries still failed after the publisher's retries, or the PutEvents call itself failed. */
export class EventPublishError extends AdapterError {
  readonly failedEntries: readonly FailedEntry[];
  constructor(message: string, failedEntries: readonly FailedEntry[], options?: ErrorOptions) {
    super(message, options);
    this.name = 'EventPublishError';
    this.failedEntries = failedEntries;
  }
}

/** An entry is over the PutEvents size limit; nothing was sent. */
export class EventTooLargeError extends AdapterError {
  readonly detailType: string;
  readonly bytes: number;
  readonly limitBytes: number;
  constructor(detailType: string, bytes: number, limitBytes: number) {
    super(`the ${detailType} entry is ${bytes} bytes; PutEvents allows ${limitBytes}`);
    this.name = 'EventTooLargeError';
    this.detailType = detailType;
    this.bytes = bytes;
    this.limitBytes = limitBytes;
  }
}

/**
 * One Powertools persistence layer was handed to two idempotent handlers. Powertools configures a
 * layer once (key path, expiry) and keeps the key prefix on the instance, so each handler needs
 * its own instance.
 */
export class SharedIdempotencyStoreError extends AdapterError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SharedIdempotencyStoreError';
  }
}

/** An object of the workspace files bucket came back without a body. */
export class WorkspaceFileReadError extends AdapterError {
  constructor(key: string, options?: ErrorOptions) {
    super(`the workspace files bucket returned no body for ${key}`, options);
    this.name = 'WorkspaceFileReadError';
  }
}

/** v1.3: EC2 answered a call without what the call exists for (CreateSnapshot without a snapshot id). */
export class Ec2ResponseError extends AdapterError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'Ec2ResponseError';
  }
}
