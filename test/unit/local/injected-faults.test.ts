import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { InjectedFaultError } from '#local/lambda/errors.ts';
import { withInjectedFaults } from '#local/lambda/injected-faults.ts';
import type { LambdaHandler } from '#local/lambda/invoker.ts';
import { FUNCTION_NAMES, type FunctionName } from '#wiring/functions.ts';

const handlers = Object.fromEntries(
  FUNCTION_NAMES.map((name) => [name, async () => `ran ${name}`]),
) as unknown as Record<FunctionName, LambdaHandler>;
const context = {} as Context;

describe('withInjectedFaults', () => {
  it('makes the named functions throw InjectedFaultError and leaves the others alone', async () => {
    const faulty = withInjectedFaults(handlers, ['deprovision']);
    await expect(faulty.deprovision({}, context)).rejects.toBeInstanceOf(InjectedFaultError);
    await expect(faulty.deprovision({}, context)).rejects.toThrow(
      'injected fault: every deprovision invocation fails',
    );
    await expect(faulty.provision({}, context)).resolves.toBe('ran provision');
  });

  it('changes nothing without faults', async () => {
    const same = withInjectedFaults(handlers);
    for (const name of FUNCTION_NAMES) expect(same[name]).toBe(handlers[name]);
  });
});
