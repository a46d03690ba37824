import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { EventEnvelope } from '#local/interfaces.ts';
import { waitForEvents } from '#local/stack.ts';
import {
  clientsFor,
  provisionRequest,
  publishProvision,
  readDatabase,
  tasksOf,
  tempStateDir,
} from './helpers.ts';
import { type SpawnedStack, spawnStack } from './spawned-stack.ts';

const TERMINAL = new Set<string>([
  DETAIL_TYPES.taskLaunched,
  DETAIL_TYPES.provisionFailed,
  DETAIL_TYPES.provisionRejected,
]);
const REQUESTS = 40;
const KILL_AFTER = 20;

const stateDir = tempStateDir();
const running: SpawnedStack[] = [];
afterAll(async () => {
  for (const stack of running) await stack.kill();
  rmSync(stateDir, { recursive: true, force: true });
});

const start = async () => {
  const stack = await spawnStack([
    '--port',
    '0',
    '--state-dir',
    stateDir,
    '--driver',
    'simulated',
    '--quiet',
  ]);
  running.push(stack);
  return stack;
};

/** Terminal outcomes per request id, as detail-types (a request may be reported more than once). */
const outcomesByRequest = (events: readonly EventEnvelope[]): Map<string, string[]> => {
  const outcomes = new Map<string, string[]>();
  for (const event of events) {
    if (!TERMINAL.has(event['detail-type'])) continue;
    const requestId = (event.detail as { requestId?: string }).requestId;
    if (!requestId) continue;
    outcomes.set(requestId, [...(outcomes.get(requestId) ?? []), event['detail-type']]);
  }
  return outcomes;
};

describe('a stack killed with SIGKILL mid-stream', () => {
  it('ends every accepted request in exactly one outcome after a restart, delivering no event twice', async () => {
    const first = await start();
    const { events: publisher } = clientsFor(first.url);
    const accepted: string[] = [];
    // Publish a stream and kill the stack without warning while it is still working through it.
    for (let index = 0; index < REQUESTS; index++) {
      const workspaceId = `kill-${index}`;
      const request = provisionRequest(workspaceId, { kind: index % 2 === 0 ? 'platform' : 'workspace' });
      try {
        await publishProvision(publisher, request);
        accepted.push(request.requestId as string);
      } catch {
        break;
      }
      if (accepted.length === KILL_AFTER) void first.kill();
    }
    publisher.destroy();
    await first.kill();
    expect(accepted.length).toBeGreaterThanOrEqual(KILL_AFTER);

    const second = await start();
    const events = await waitForEvents(
      second.url,
      (log) => {
        const outcomes = outcomesByRequest(log);
        const applied = new Set(
          log
            .filter((event) => event['detail-type'] === DETAIL_TYPES.configOverlayApplied)
            .map((event) => (event.detail as { requestId?: string }).requestId),
        );
        // Every request decided, and the step after the launch (the overlay) through as well.
        return accepted.every((requestId) => outcomes.has(requestId) && applied.has(requestId));
      },
      25_000,
    );

    // Exactly one kind of outcome per accepted request (each launched), and one task per workspace.
    const outcomes = outcomesByRequest(events);
    const { ecs } = clientsFor(second.url);
    for (const requestId of accepted) {
      expect(new Set(outcomes.get(requestId)), requestId).toEqual(new Set([DETAIL_TYPES.taskLaunched]));
      expect(await tasksOf(ecs, requestId.replace(/^req-/, '')), requestId).toHaveLength(1);
    }
    ecs.destroy();
    await second.stop();

    const bookkeeping = await readDatabase(join(stateDir, 'state.sqlite'), (db) => ({
      // Every accepted request was routed to provision exactly once.
      unrouted: db
        .prepare(
          `SELECT count(*) AS n FROM events e WHERE e.detail_type = 'Workspace Provision Requested'
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.seq = e.seq AND d.route_id = 'ProvisionRequested')`,
        )
        .get(),
      // Each delivery to a function queued exactly one invocation (the asset channel stand-in's
      // route, target `upstream:asset-channel`, delivers to no function).
      invocationsPerDelivery: db
        .prepare(
          `SELECT count(i.id) AS n FROM deliveries d LEFT JOIN invocations i ON i.origin = 'event:' || d.seq || ':' || d.route_id
             WHERE d.target NOT LIKE 'upstream:%'
             GROUP BY d.seq, d.route_id HAVING n <> 1`,
        )
        .all(),
      // An event ran again only when its earlier attempt failed or was cut short by the kill.
      rerunWithoutCause: db
        .prepare(`SELECT count(*) AS n FROM invocations WHERE attempts > 1 AND last_error IS NULL`)
        .get(),
    }));
    expect(bookkeeping).toEqual({
      unrouted: { n: 0 },
      invocationsPerDelivery: [],
      rerunWithoutCause: { n: 0 },
    });
  }, 120_000); // two stack starts (up to 20 s each) and 40 flows, on a loaded machine
});
