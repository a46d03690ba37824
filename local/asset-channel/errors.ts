/** Errors of the asset channel stand-in and of staging template assets by hand. */

/** Base of the asset channel's errors; `cause` flows through. */
export class AssetChannelError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AssetChannelError';
  }
}

/** No folder `config/templates/<template>/` (or the name cannot be a template's). */
export class UnknownTemplateError extends AssetChannelError {
  readonly template: string;
  constructor(template: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnknownTemplateError';
    this.template = template;
  }
}

/** A `destination` that is not an `s3://<bucket>/<prefix>/` URI. */
export class InvalidDestinationError extends AssetChannelError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidDestinationError';
  }
}

/** A `Workspace Template Assets Requested` detail that lacks what the channel needs. */
export class InvalidAssetsRequestError extends AssetChannelError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidAssetsRequestError';
  }
}
