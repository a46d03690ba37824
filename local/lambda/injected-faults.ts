/**
 * `faults.functionErrors`: functions whose every invocation fails, to fill their dead-letter queues
 * on purpose (and try the runbook's redrive). The function's real handler is not called, so the
 * event leaves no trace but its retries and its dead letter.
 */
import type { FunctionName } from '#wiring/functions.ts';
import { InjectedFaultError } from './errors.ts';
import type { LambdaHandler } from './invoker.ts';

/** The handlers, with those of the named functions replaced by one that always throws. */
export function withInjectedFaults(
  handlers: Readonly<Record<FunctionName, LambdaHandler>>,
  functionErrors: readonly string[] = [],
): Record<FunctionName, LambdaHandler> {
  const failing = new Set(functionErrors);
  return Object.fromEntries(
    Object.entries(handlers).map(([name, handler]) => [
      name,
      failing.has(name)
        ? async function injectedFault(): Promise<never> {
            throw new InjectedFaultError(name);
          }
        : handler,
    ]),
  ) as Record<FunctionName, LambdaHandler>;
}
