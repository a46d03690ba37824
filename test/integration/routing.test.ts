import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '#config/catalog.ts';
import { createEventBus } from '#local/eventbridge/index.ts';
import type { AcceptedEvent, EventEnvelope, LocalDatabase } from '#local/interfaces.ts';
import { createRouter, type DeliveryTarget, type HandOverResult } from '#local/routing/router.ts';
import { localRoutes, type Route } from '#local/routing/routes.ts';
import { openDatabase } from '#local/store/index.ts';
import { readDatabase, tempStateDir } from './helpers.ts';

const routes = localRoutes({ region: 'us-east-1', catalog: loadCatalog() });
const provisionRoute = routes.find((route) => route.target === 'provision') as Route;

const envelope = (
  detailType: string,
  workspaceId: string,
  source = 'platform.workspace-server',
): EventEnvelope => ({
  version: '0',
  id: `${workspaceId}-${detailType}`,
  'detail-type': detailType,
  source,
  account: '000000000000',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: [],
  detail: { workspaceId },
});

/** A target that answers hand-overs from a script, and records what it took. */
function scriptedTarget(answers: Array<HandOverResult<string>['ok'] | 'final'>) {
  const taken: string[] = [];
  const target: DeliveryTarget<string> = {
    handOver(route, event) {
      const answer = answers.shift() ?? true;
      if (answer === true) return { ok: true, staged: `${event.seq}:${route.id}` };
      return {
        ok: false,
        retryable: answer !== 'final',
        errorCode: answer === 'final' ? 'ResourceNotFoundException' : 'TooManyRequestsException',
        errorMessage: 'scripted refusal',
      };
    },
    commit(staged) {
      taken.push(...staged);
    },
  };
  return { target, taken };
}

const opened: Array<{ database: LocalDatabase; dir: string }> = [];
const open = (dir = tempStateDir()) => {
  const database = openDatabase(dir);
  opened.push({ database, dir });
  return { database, bus: createEventBus(database), dir };
};
afterEach(() => {
  for (const { database, dir } of opened.splice(0)) {
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

describe('the router', () => {
  it('hands each event to the target of every route it matches, and only those', () => {
    const { database, bus } = open();
    const { target, taken } = scriptedTarget([]);
    const router = createRouter({ database, bus, routes, target });
    router.start();
    const [request, launched, unrelated] = bus.accept('workspaces', [
      envelope('Workspace Provision Requested', 'ws-1'),
      envelope('Workspace Task Launched', 'ws-1', 'platform.provisioner'),
      envelope('Workspace Provision Requested', 'ws-1', 'someone.else'),
    ]) as [AcceptedEvent, AcceptedEvent, AcceptedEvent];
    bus.accept('other-bus', [envelope('Workspace Provision Requested', 'ws-2')]);
    router.stop();

    expect(taken).toEqual([`${request.seq}:ProvisionRequested`, `${launched.seq}:TaskLaunched`]);
    expect(unrelated.seq).toBeGreaterThan(launched.seq);
    expect(router.counts()).toMatchObject({ delivered: 2, pending: 0 });
  });

  it('retries a refused hand-over and delivers the event once the target takes it', async () => {
    const { database, bus } = open();
    const { target, taken } = scriptedTarget([false, false, true]);
    const router = createRouter({ database, bus, routes, target, retryDelayScale: 1 / 60_000 });
    router.start();
    const [accepted] = bus.accept('workspaces', [envelope('Workspace Provision Requested', 'ws-1')]);
    await until(() => taken.length === 1);
    router.stop();

    expect(taken).toEqual([`${accepted?.seq}:ProvisionRequested`]);
    const row = await readDatabase(database.path, (db) =>
      db.prepare('SELECT status, attempts FROM deliveries').get(),
    );
    expect(row).toEqual({ status: 'delivered', attempts: 3 });
  });

  it('moves an event to the target dead-letter table once its retry attempts are spent', async () => {
    const { database, bus } = open();
    const { target, taken } = scriptedTarget([false, false, false, false]);
    const stingy: Route[] = [
      { ...provisionRoute, retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 60 } },
    ];
    const router = createRouter({ database, bus, routes: stingy, target, retryDelayScale: 1 / 60_000 });
    router.start();
    bus.accept('workspaces', [envelope('Workspace Provision Requested', 'ws-1')]);
    await until(() => router.counts().dlq === 1);
    router.stop();

    expect(taken).toEqual([]);
    const deadLetter = await readDatabase(database.path, (db) =>
      db.prepare('SELECT route_id, target, attempts, error_code FROM target_dead_letters').get(),
    );
    expect(deadLetter).toEqual({
      route_id: 'ProvisionRequested',
      target: 'provision',
      attempts: 3,
      error_code: 'TooManyRequestsException',
    });
  });

  it('sends a refusal that is not retryable straight to the dead-letter table', () => {
    const { database, bus } = open();
    const { target } = scriptedTarget(['final']);
    const router = createRouter({ database, bus, routes, target });
    router.start();
    bus.accept('workspaces', [envelope('Workspace Provision Requested', 'ws-1')]);
    router.stop();
    expect(router.counts()).toMatchObject({ dlq: 1, delivered: 0, pending: 0 });
  });

  it('routes on start the events accepted while it was not running, and none twice', () => {
    const { database, bus, dir } = open();
    const first = scriptedTarget([]);
    const before = createRouter({ database, bus, routes, target: first.target });
    before.start();
    bus.accept('workspaces', [envelope('Workspace Provision Requested', 'ws-1')]);
    before.stop();
    // Accepted while no router listens: as if the process died between the accept and the routing.
    bus.accept('workspaces', [
      envelope('Workspace Provision Requested', 'ws-2'),
      envelope('Workspace Provision Requested', 'ws-3'),
    ]);
    database.close();
    opened.pop();

    const reopened = open(dir);
    const second = scriptedTarget([]);
    const after = createRouter({
      database: reopened.database,
      bus: reopened.bus,
      routes,
      target: second.target,
    });
    expect(after.start()).toEqual({ routedOnStart: 2, pendingRetries: 0 });
    after.stop();

    expect(first.taken).toEqual(['1:ProvisionRequested']);
    expect(second.taken).toEqual(['2:ProvisionRequested', '3:ProvisionRequested']);
  });

  it('picks up a retry that was due when it stopped', async () => {
    const { database, bus, dir } = open();
    const refusing = scriptedTarget([false]);
    const before = createRouter({
      database,
      bus,
      routes,
      target: refusing.target,
      retryDelayScale: 1 / 60_000,
    });
    before.start();
    bus.accept('workspaces', [envelope('Workspace Provision Requested', 'ws-1')]);
    before.stop();
    database.close();
    opened.pop();

    const reopened = open(dir);
    const taking = scriptedTarget([]);
    const after = createRouter({
      database: reopened.database,
      bus: reopened.bus,
      routes,
      target: taking.target,
    });
    expect(after.start()).toEqual({ routedOnStart: 0, pendingRetries: 1 });
    await until(() => taking.taken.length === 1);
    after.stop();
    expect(refusing.taken).toEqual([]);
    expect(taking.taken).toEqual(['1:ProvisionRequested']);
  });
});
