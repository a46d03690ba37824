import type { Invocation } from '#local/lambda/invoker.ts';
import { FUNCTIONS, type FunctionSpec } from '#wiring/functions.ts';

/** An invocation of `provision` as the invoker stages it. */
export function invocationOf(overrides: Partial<Invocation> = {}): Invocation {
  return {
    id: 1,
    functionName: 'provision',
    requestId: 'req-1',
    origin: 'event:1:rule',
    payload: JSON.stringify({
      'detail-type': 'Workspace Provision Requested',
      detail: { workspaceId: 'ws-1' },
    }),
    event: undefined,
    enqueuedAt: 1_000,
    attempts: 0,
    nextAttemptAt: 1_000,
    lastError: undefined,
    ...overrides,
  };
}

/** A function spec with the given Lambda async settings. */
export function specWith(overrides: Partial<FunctionSpec>): FunctionSpec {
  return { ...FUNCTIONS.provision, ...overrides };
}
