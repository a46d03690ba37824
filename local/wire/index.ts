/** The local stack's loopback endpoint (AWS JSON 1.1) and its error type. */
export { AwsApiError, type AwsApiErrorOptions, isAwsApiError, LocalServerError } from './errors.ts';
export { hasUnsafeCharacter, safeText } from './safe-text.ts';
export {
  createLocalServer,
  type LocalServer,
  type LocalServerOptions,
  TARGET_PREFIXES,
  type WireAnswer,
  type WireRequest,
  type WireRoute,
} from './server.ts';
