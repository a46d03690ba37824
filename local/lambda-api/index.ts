/** Lambda's Invoke operation in front of the local stack's asynchronous invoker. */
export * from './errors.ts';
export {
  type AsyncInvocationQueue,
  answerInvoke,
  type InvokeAnswer,
  type InvokeEndpointOptions,
  invokePathFunction,
  invokeRoute,
} from './invoke-endpoint.ts';
