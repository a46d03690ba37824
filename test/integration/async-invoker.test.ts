import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalDatabase } from '#local/interfaces.ts';
import { type AsyncInvoker, createAsyncInvoker, type LambdaHandler } from '#local/lambda/invoker.ts';
import { openDatabase } from '#local/store/index.ts';
import { FUNCTIONS } from '#wiring/functions.ts';
import { readDatabase, tempStateDir } from './helpers.ts';

const opened: Array<{ database: LocalDatabase; dir: string; invoker?: AsyncInvoker }> = [];
afterEach(async () => {
  for (const { database, dir, invoker } of opened.splice(0)) {
    await invoker?.stop();
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const until = async (check: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

function setUp(
  handlers: { provision: LambdaHandler; 'failure-reporter'?: LambdaHandler },
  options: { reservedConcurrency?: number; now?: () => number; dir?: string } = {},
) {
  const dir = options.dir ?? tempStateDir();
  const database = openDatabase(dir);
  const invoker = createAsyncInvoker({
    database,
    region: 'us-east-1',
    account: '000000000000',
    retryDelayScale: 1 / 6000,
    ...(options.now ? { now: options.now } : {}),
    functions: {
      provision: {
        spec: FUNCTIONS.provision,
        handler: handlers.provision,
        reservedConcurrency: options.reservedConcurrency ?? 10,
      },
      'failure-reporter': {
        spec: FUNCTIONS['failure-reporter'],
        handler: handlers['failure-reporter'] ?? (async () => {}),
      },
    },
  });
  opened.push({ database, dir, invoker });
  return { database, invoker, dir };
}

const event = (workspaceId: string) => ({
  'detail-type': 'Workspace Provision Requested',
  detail: { workspaceId },
});

describe('the async invoker', () => {
  it('runs no more invocations of a function at once than its reserved concurrency', async () => {
    let running = 0;
    let peak = 0;
    let done = 0;
    const { invoker } = setUp(
      {
        provision: async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running--;
          done++;
        },
      },
      { reservedConcurrency: 3 },
    );
    invoker.start();
    for (let index = 0; index < 20; index++)
      invoker.invokeAsync('provision', event(`ws-${index}`), `test:${index}`);
    await until(() => done === 20);
    expect(peak).toBe(3);
  });

  it('gives the handler a Lambda-like context with the function timeout from the flows table', async () => {
    let seen: Record<string, unknown> | undefined;
    const { invoker } = setUp({
      provision: async (_event, context) => {
        seen = {
          functionName: context.functionName,
          invokedFunctionArn: context.invokedFunctionArn,
          remaining: context.getRemainingTimeInMillis(),
          callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
          awsRequestId: context.awsRequestId,
        };
      },
    });
    invoker.start();
    invoker.invokeAsync('provision', event('ws-1'), 'test:context');
    await until(() => seen !== undefined);
    expect(seen).toMatchObject({
      functionName: 'provision',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:provision',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(seen?.remaining).toBeGreaterThan(59_000);
    expect(seen?.remaining).toBeLessThanOrEqual(60_000);
    expect(seen?.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('retries a function error twice with the same request id, then sends Lambda on-failure record and keeps the event in the DLQ', async () => {
    const requestIds: string[] = [];
    const records: unknown[] = [];
    const { invoker, database } = setUp({
      provision: async (_event, context) => {
        requestIds.push(context.awsRequestId);
        throw new Error('CAPACITY_UNAVAILABLE: no room');
      },
      'failure-reporter': async (record) => {
        records.push(record);
      },
    });
    invoker.start();
    invoker.invokeAsync('provision', event('ws-1'), 'test:failing');
    await until(() => records.length === 1);

    expect(requestIds).toHaveLength(3);
    expect(new Set(requestIds).size).toBe(1);
    expect(records[0]).toMatchObject({
      version: '1.0',
      requestContext: {
        requestId: requestIds[0],
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:provision:$LATEST',
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: event('ws-1'),
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'Error', errorMessage: 'CAPACITY_UNAVAILABLE: no room' },
    });
    expect(Array.isArray((records[0] as { responsePayload: { trace: unknown } }).responsePayload.trace)).toBe(
      true,
    );
    const deadLetter = await readDatabase(database.path, (db) =>
      db.prepare('SELECT function, condition, attempts, payload FROM function_dead_letters').get(),
    );
    expect(deadLetter).toEqual({
      function: 'provision',
      condition: 'RetriesExhausted',
      attempts: 3,
      payload: JSON.stringify(event('ws-1')),
    });
  });

  it('gives up an event older than the maximum event age without running it', async () => {
    let offset = 0;
    let ran = 0;
    const records: Array<{ requestContext: { condition: string; approximateInvokeCount: number } }> = [];
    const { invoker } = setUp(
      {
        provision: async () => {
          ran++;
          // The first attempt fails; by the retry the event has aged past six hours.
          offset = 6 * 3600 * 1000 + 1;
          throw new Error('boom');
        },
        'failure-reporter': async (record) => {
          records.push(record as (typeof records)[number]);
        },
      },
      { now: () => Date.now() + offset },
    );
    invoker.start();
    invoker.invokeAsync('provision', event('ws-1'), 'test:aged');
    await until(() => records.length === 1);
    expect(ran).toBe(1);
    expect(records[0]?.requestContext).toMatchObject({
      condition: 'EventAgeExceeded',
      approximateInvokeCount: 1,
    });
  });

  it('counts an attempt cut short by a crash and retries it when started again', async () => {
    const dir = tempStateDir();
    const first = setUp({ provision: () => new Promise(() => {}) }, { dir });
    first.invoker.start();
    first.invoker.invokeAsync('provision', event('ws-1'), 'test:crash');
    await until(() => first.invoker.backlog().provision?.running === 1);
    // As if the process died now: drop the invoker without a stop.
    const entry = opened.pop();
    entry?.database.close();

    let attempts = 0;
    const second = setUp({ provision: async () => void attempts++ }, { dir });
    expect(second.invoker.start()).toEqual({ queued: 0, interrupted: 1 });
    await until(() => attempts === 1);
    // Successes are written once per event-loop turn, so the row may lag the handler by a turn.
    const readRow = () =>
      readDatabase(second.database.path, (db) =>
        db.prepare('SELECT status, attempts, last_error FROM invocations').get(),
      );
    let row = await readRow();
    for (
      let tries = 0;
      (row as { status?: string } | undefined)?.status !== 'succeeded' && tries < 100;
      tries++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      row = await readRow();
    }
    expect(row).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(String((row as { last_error: string }).last_error)).toContain('Runtime.ExitError');
  });
});
