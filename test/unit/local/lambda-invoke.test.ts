import { describe, expect, it } from 'vitest';
import { answerInvoke, invokePathFunction } from '#local/lambda-api/index.ts';
import type { FunctionName } from '#wiring/functions.ts';

function setUp() {
  const queued: Array<{ functionName: FunctionName; event: unknown; origin: string }> = [];
  const options = {
    invoker: {
      invokeAsync(functionName: FunctionName, event: unknown, origin: string) {
        queued.push({ functionName, event, origin });
        return { requestId: `req-${queued.length}` };
      },
    },
    functions: ['provision', 'deprovision'] as FunctionName[],
    region: 'us-east-1',
    account: '000000000000',
  };
  return { options, queued };
}

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:WorkspaceProvisioner-deprovision';

describe('Lambda Invoke on the local stack', () => {
  it.each([
    [
      'POST',
      '/2015-03-31/functions/WorkspaceProvisioner-deprovision/invocations',
      'WorkspaceProvisioner-deprovision',
    ],
    ['POST', `/2015-03-31/functions/${encodeURIComponent(ARN)}/invocations`, encodeURIComponent(ARN)],
    ['GET', '/2015-03-31/functions/x/invocations', undefined],
    ['POST', '/2015-03-31/functions/x/configuration', undefined],
    ['POST', '/', undefined],
  ])('%s %s names the function %s', (method, path, name) => {
    expect(invokePathFunction(method, path)).toBe(name);
  });

  it.each([
    ['WorkspaceProvisioner-deprovision'],
    [encodeURIComponent(ARN)],
    [encodeURIComponent(`${ARN}:$LATEST`)],
    [encodeURIComponent('000000000000:function:WorkspaceProvisioner-deprovision')],
    [encodeURIComponent('WorkspaceProvisioner-deprovision:$LATEST')],
  ])('queues an Event invocation of %s and answers 202 with no body', (rawName) => {
    const { options, queued } = setUp();
    const answer = answerInvoke(options, {
      rawName,
      invocationType: 'Event',
      body: Buffer.from('{"detail":{"workspaceId":"ws-1"}}'),
    });
    expect(answer).toEqual({ status: 202, headers: { 'x-amzn-RequestId': 'req-1' }, body: '' });
    expect(queued).toEqual([
      {
        functionName: 'deprovision',
        event: { detail: { workspaceId: 'ws-1' } },
        origin: expect.stringMatching(/^invoke:/),
      },
    ]);
  });

  it('gives each invocation its own origin, so the same payload can be invoked twice', () => {
    const { options, queued } = setUp();
    for (let i = 0; i < 2; i++)
      answerInvoke(options, {
        rawName: 'WorkspaceProvisioner-provision',
        invocationType: 'Event',
        body: Buffer.from('{}'),
      });
    expect(new Set(queued.map((entry) => entry.origin)).size).toBe(2);
  });

  // The not-found answer Lambda gives (and SAM local and moto copy): 404, x-amzn-errortype,
  // {"Type":"User","Message":"Function not found: <arn>"}.
  it.each([
    ['deprovision'],
    ['WorkspaceProvisioner-overlay'],
    [encodeURIComponent('arn:aws:lambda:eu-west-1:000000000000:function:WorkspaceProvisioner-deprovision')],
    [encodeURIComponent('WorkspaceProvisioner-deprovision:7')],
  ])('answers %s with 404 ResourceNotFoundException', (rawName) => {
    const { options, queued } = setUp();
    const answer = answerInvoke(options, { rawName, invocationType: 'Event', body: Buffer.from('{}') });
    expect(answer.status).toBe(404);
    expect(answer.headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
    expect(JSON.parse(answer.body)).toEqual({
      Type: 'User',
      Message: expect.stringMatching(/^Function not found: /),
    });
    expect(queued).toEqual([]);
  });

  it('refuses a qualifier other than $LATEST given as a query parameter', () => {
    const { options } = setUp();
    const answer = answerInvoke(options, {
      rawName: 'WorkspaceProvisioner-deprovision',
      qualifier: 'live',
      invocationType: 'Event',
      body: Buffer.from('{}'),
    });
    expect(answer.status).toBe(404);
  });

  it('refuses a payload that is not JSON with InvalidRequestContentException', () => {
    const { options, queued } = setUp();
    const answer = answerInvoke(options, {
      rawName: 'WorkspaceProvisioner-deprovision',
      invocationType: 'Event',
      body: Buffer.from('{nope'),
    });
    expect(answer.status).toBe(400);
    expect(answer.headers['x-amzn-errortype']).toBe('InvalidRequestContentException');
    expect(queued).toEqual([]);
  });

  it('refuses RequestResponse (the default) with a message that says to use Event', () => {
    const { options, queued } = setUp();
    const answer = answerInvoke(options, {
      rawName: 'WorkspaceProvisioner-deprovision',
      body: Buffer.from('{}'),
    });
    expect(answer.status).toBe(400);
    expect(answer.headers['x-amzn-errortype']).toBe('InvalidParameterValueException');
    expect(JSON.parse(answer.body).Message).toContain('InvocationType Event');
    expect(queued).toEqual([]);
  });

  it('answers DryRun with 204 and queues nothing', () => {
    const { options, queued } = setUp();
    const answer = answerInvoke(options, {
      rawName: 'WorkspaceProvisioner-deprovision',
      invocationType: 'DryRun',
      body: Buffer.from('{}'),
    });
    expect(answer.status).toBe(204);
    expect(queued).toEqual([]);
  });

  it('invokes an empty payload with {}', () => {
    const { options, queued } = setUp();
    answerInvoke(options, {
      rawName: 'WorkspaceProvisioner-deprovision',
      invocationType: 'Event',
      body: Buffer.alloc(0),
    });
    expect(queued[0]?.event).toEqual({});
  });
});
