/** Base of the router's errors; `cause` flows through. */
export class RoutingError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RoutingError';
  }
}

/** A route's pattern is not one EventBridge would accept: the table and the matcher disagree. */
export class InvalidRouteError extends RoutingError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidRouteError';
  }
}
