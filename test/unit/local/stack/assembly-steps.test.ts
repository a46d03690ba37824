import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '#config/catalog.ts';
import { CONTAINER_NAME } from '#contracts/names.ts';
import type { LambdaHandler } from '#local/lambda/invoker.ts';
import { createCleanups } from '#local/stack/cleanups.ts';
import { bufferedStdout, stackLogOutput } from '#local/stack/log-output.ts';
import { openState } from '#local/stack/open-state.ts';
import { provisionConcurrencyFor } from '#local/stack/provision-concurrency.ts';
import {
  DEFAULT_HANDLER_THREADS,
  deploymentsOf,
  handlerSetupOf,
  handlerThreadsFor,
  LOCAL_DATA_SAVE_WAIT_SECONDS,
  LOCAL_RECOVERY_DEFAULTS,
} from '#local/stack/start-handlers.ts';
import { taskDefinitionsOf } from '#local/stack/start-services.ts';
import { DEFAULT_SWEEP_INTERVAL_MS, scheduledEvent, scheduleSweep } from '#local/stack/sweep-schedule.ts';
import { DATABASE_FILE, IN_MEMORY, openDatabase } from '#local/store/index.ts';
import { TIMEOUT_SWEEP_SCHEDULE } from '#wiring/flows.ts';
import { FUNCTIONS, type FunctionName } from '#wiring/functions.ts';
import { temporaryStateDir } from '../helpers.ts';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('the cleanups of the assembly', () => {
  it('run newest first, one after another', async () => {
    const order: string[] = [];
    const cleanups = createCleanups();
    cleanups.add(() => {
      order.push('database');
    });
    cleanups.add(async () => {
      await nextTurn();
      order.push('server');
    });
    cleanups.add(() => {
      order.push('router');
    });
    await cleanups.runAll();
    expect(order).toEqual(['router', 'server', 'database']);
  });
});

describe('the log output', () => {
  it('gathers stdout lines and writes them once per turn', async () => {
    const writes: string[] = [];
    const output = bufferedStdout({ write: (text) => writes.push(text) });
    output.write('a');
    output.write('b');
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual(['a\nb\n']);
    output.write('c');
    output.flush();
    expect(writes).toEqual(['a\nb\n', 'c\n']);
  });

  it("stamps the caller's lines with the time of day, and writes none when quiet", () => {
    const lines: string[] = [];
    stackLogOutput({ log: (line) => lines.push(line) }).write('hello');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} hello$/);
    stackLogOutput({ log: (line) => lines.push(line), quiet: true }).write('hidden');
    expect(lines).toHaveLength(1);
  });
});

describe('opening the state', () => {
  it('removes a broken database on reset and opens a fresh store', () => {
    const state = temporaryStateDir();
    try {
      writeFileSync(join(state.dir, DATABASE_FILE), 'not a database');
      expect(() => openState({ stateDir: state.dir })).toThrow();
      const { database, catalog } = openState({ stateDir: state.dir, reset: true });
      expect(database.transaction(() => 'written')).toBe('written');
      database.close();
      expect(existsSync(join(state.dir, DATABASE_FILE))).toBe(true);
      expect(Object.keys(catalog.runtimes).length).toBeGreaterThan(0);
    } finally {
      state.remove();
    }
  });
});

describe('the services', () => {
  it('define one task definition per runtime of the catalog', () => {
    const catalog = loadCatalog({});
    const definitions = taskDefinitionsOf(catalog);
    expect(definitions.map((definition) => definition.family)).toEqual(
      Object.values(catalog.runtimes).map((runtime) => runtime.family),
    );
    for (const definition of definitions) expect(definition.containerName).toBe(CONTAINER_NAME);
  });
});

describe('the handlers step', () => {
  it('runs no handler threads on an in-memory store, and the default number otherwise', () => {
    expect(handlerThreadsFor(IN_MEMORY, 4)).toBe(0);
    expect(handlerThreadsFor('/tmp/state/local.db', undefined)).toBe(DEFAULT_HANDLER_THREADS);
    expect(handlerThreadsFor('/tmp/state/local.db', 3)).toBe(3);
  });

  it("deploys each function with its spec, and reserves the provision function's concurrency", () => {
    const handler: LambdaHandler = async () => undefined;
    const handlers = Object.fromEntries(Object.keys(FUNCTIONS).map((name) => [name, handler])) as Record<
      FunctionName,
      LambdaHandler
    >;
    const concurrency = provisionConcurrencyFor({ burst: 100, ratePerSecond: 500 });
    const deployments = deploymentsOf(handlers, concurrency);
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      expect(deployments[name]?.spec).toBe(FUNCTIONS[name]);
      expect(deployments[name]?.reservedConcurrency).toBe(name === 'provision' ? concurrency : undefined);
    }
  });
});

describe("the handlers' setup", () => {
  const database = openDatabase(IN_MEMORY);
  const base = {
    database,
    url: 'http://127.0.0.1:4010',
    region: 'us-east-1',
    account: '000000000000',
    handlerLogLevel: 'SILENT' as const,
    principal: 'secret',
  };

  it('carries the recovery flags into the handler setup, as --template-assets-timeout is carried', () => {
    expect(
      handlerSetupOf({
        ...base,
        templateAssetsTimeoutSeconds: 30,
        recoveryAttempts: 2,
        recoveryWindowSeconds: 60,
        recoveryBackoffSeconds: 0.5,
      }),
    ).toMatchObject({
      templateAssetsTimeoutSeconds: 30,
      recoveryAttempts: 2,
      recoveryWindowSeconds: 60,
      recoveryBackoffSeconds: 0.5,
    });
  });

  it('gives the handlers the local recovery defaults when no flag is given', () => {
    expect(handlerSetupOf(base)).toMatchObject({
      recoveryAttempts: LOCAL_RECOVERY_DEFAULTS.attempts,
      recoveryWindowSeconds: LOCAL_RECOVERY_DEFAULTS.windowSeconds,
      recoveryBackoffSeconds: LOCAL_RECOVERY_DEFAULTS.backoffSeconds,
    });
  });

  it('carries --data-save-wait into the handler setup, 0 included, and the local default without it', () => {
    expect(handlerSetupOf({ ...base, dataSaveWaitSeconds: 15 }).dataSaveWaitSeconds).toBe(15);
    expect(handlerSetupOf({ ...base, dataSaveWaitSeconds: 0 }).dataSaveWaitSeconds).toBe(0);
    expect(handlerSetupOf(base).dataSaveWaitSeconds).toBe(LOCAL_DATA_SAVE_WAIT_SECONDS);
  });

  it("carries --reconcile-grace into the handler setup, 0 included, and leaves the deployment's default without it", () => {
    expect(handlerSetupOf({ ...base, reconcileGraceSeconds: 5 }).reconcileGraceSeconds).toBe(5);
    expect(handlerSetupOf({ ...base, reconcileGraceSeconds: 0 }).reconcileGraceSeconds).toBe(0);
    expect(handlerSetupOf(base)).not.toHaveProperty('reconcileGraceSeconds');
  });

  it('keeps a backoff of 0 (recover at once) rather than taking it for absent', () => {
    expect(handlerSetupOf({ ...base, recoveryBackoffSeconds: 0 }).recoveryBackoffSeconds).toBe(0);
  });
});

describe('the sweep schedule', () => {
  it("is an aws.events Scheduled Event naming the schedule's rule", () => {
    const event = scheduledEvent('eu-west-1', '111122223333', new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 123)));
    expect(event).toMatchObject({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '111122223333',
      region: 'eu-west-1',
      time: '2026-01-01T00:00:00Z',
      resources: [`arn:aws:events:eu-west-1:111122223333:rule/${TIMEOUT_SWEEP_SCHEDULE.id}`],
      detail: {},
    });
    expect(DEFAULT_SWEEP_INTERVAL_MS).toBe(TIMEOUT_SWEEP_SCHEDULE.rateMinutes * 60_000);
  });

  it('invokes the sweep every interval until its cleanup runs', async () => {
    const invoked: string[] = [];
    const cleanups = createCleanups();
    scheduleSweep(
      { invokeAsync: (name, _event, origin) => invoked.push(`${name} ${origin}`) },
      { region: 'us-east-1', account: '000000000000' },
      10,
      cleanups,
    );
    await new Promise((resolve) => setTimeout(resolve, 35));
    await cleanups.runAll();
    const count = invoked.length;
    expect(count).toBeGreaterThan(0);
    expect(invoked[0]).toMatch(new RegExp(`^timeout-sweep schedule:${TIMEOUT_SWEEP_SCHEDULE.id}:`));
    await new Promise((resolve) => setTimeout(resolve, 25));
    expect(invoked).toHaveLength(count);
  });
});
