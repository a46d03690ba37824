/**
 * Issue 15's figure: the local console stays responsive with 1,000 workspaces and 20,000 events in
 * the store. The store is seeded through the stack's own store APIs (the bus's `accept`, the
 * workspace record store's `putNow`, the router's routed-up-to mark, so the seeded history is not
 * routed again), then a stack with the console starts on it and headless Chromium opens, each time
 * in a fresh context (no cache), the workspace list and two workspaces' timelines: a typical one
 * (18 events) and a long one (2,018 events). For each it records First Contentful Paint and the time
 * until the table rows (or the whole timeline) are drawn, from navigation start; the median of
 * `RUNS` runs is reported.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { consoleRoutes } from '#local/console/index.ts';
import { createEventBus } from '#local/eventbridge/index.ts';
import type { EventEnvelope } from '#local/interfaces.ts';
import { SqliteWorkspaceRecordStore } from '#local/ports/workspace-record-store.ts';
import { DeliveryStore } from '#local/routing/delivery-store.ts';
import { startLocalStack } from '#local/stack.ts';
import { openDatabase } from '#local/store/index.ts';
import type { WorkspaceRecord } from '#ports/workspace-record-store.ts';
import { launchChromium, probeChromium } from '../test/browser/chromium.ts';
import { type BenchmarkResult, progress } from './lib/report.ts';
import { median, round } from './lib/stats.ts';

const WORKSPACES = 1000;
const EVENTS = 20_000;
/** Events of every workspace but the long one. */
const EVENTS_PER_WORKSPACE = 18;
const RUNS = 5;
/** What "responsive" means here: the rows on screen within a second of navigation. */
const TARGET_MS = 1000;
const LIST_ROWS = 50;
/** The first screenful of a long timeline. */
const FIRST_ROWS = 50;

const HEAVY = 'bench-ws-00000';
const TYPICAL = 'bench-ws-00500';

/** One lifecycle's events, cycled: a request, ECS's changes, the provisioner's answers. */
const CYCLE = [
  'Workspace Provision Requested',
  'ECS Task State Change',
  'ECS Task State Change',
  'Workspace Task Launched',
  'Workspace Config Overlay Applied',
  'ECS Task State Change',
  'Workspace Running',
  'Workspace Restart Requested',
  'Workspace Stopped',
] as const;

function envelope(workspaceId: string, index: number, at: number): { bus: string; envelope: EventEnvelope } {
  const detailType = CYCLE[index % CYCLE.length] as string;
  const round = Math.floor(index / CYCLE.length);
  const taskArn = `arn:aws:ecs:us-east-1:000000000000:task/workspaces/${workspaceId}-${round}`;
  const requestId = `req-${workspaceId}-${round}`;
  const ecs = detailType === 'ECS Task State Change';
  return {
    bus: ecs ? 'default' : 'workspaces',
    envelope: {
      version: '0',
      id: `${workspaceId}-${index}`,
      'detail-type': detailType,
      source: ecs
        ? 'aws.ecs'
        : detailType.endsWith('Requested')
          ? 'platform.workspace-server'
          : 'platform.provisioner',
      account: '000000000000',
      time: new Date(at).toISOString(),
      region: 'us-east-1',
      resources: ecs ? [taskArn] : [],
      detail: ecs
        ? { taskArn, startedBy: workspaceId, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', version: index }
        : {
            requestId,
            workspaceId,
            taskArn,
            kind: 'workspace',
            runtime: 'codex',
            files: ['config.yaml'],
            secrets: [],
          },
    },
  };
}

function record(workspaceId: string, at: number): WorkspaceRecord {
  const request = {
    requestId: `req-${workspaceId}-0`,
    workspaceId,
    orgId: 'org-1',
    runtime: 'codex',
    kind: 'workspace',
    tier: 2,
    recovery: 'on-failure',
  } as const;
  return {
    workspaceId,
    orgId: 'org-1',
    kind: 'workspace',
    runtime: 'codex',
    request: request as unknown as WorkspaceRecord['request'],
    state: 'running',
    since: at,
    taskArn: `arn:aws:ecs:us-east-1:000000000000:task/workspaces/${workspaceId}-0`,
    url: 'http://127.0.0.1:9',
    recoveries: [],
    generation: 1,
  };
}

/** Writes the records and the events through the stack's own store APIs; the events are marked routed. */
export function seed(stateDir: string): { events: number; heavyEvents: number } {
  const database = openDatabase(stateDir);
  try {
    const bus = createEventBus(database);
    const records = new SqliteWorkspaceRecordStore(database);
    const deliveries = new DeliveryStore(database);
    const started = Date.now() - EVENTS * 10;
    const ids = Array.from({ length: WORKSPACES }, (_, n) => `bench-ws-${String(n).padStart(5, '0')}`);
    const heavyEvents = EVENTS - (WORKSPACES - 1) * EVENTS_PER_WORKSPACE;
    const plan = ids.flatMap((workspaceId) =>
      Array.from({ length: workspaceId === HEAVY ? heavyEvents : EVENTS_PER_WORKSPACE }, (_, index) => ({
        workspaceId,
        index,
      })),
    );
    // Interleaved, as many workspaces' lives are in a real log.
    plan.sort((a, b) => a.index - b.index || a.workspaceId.localeCompare(b.workspaceId));
    let last = 0;
    database.transaction(() => {
      plan.forEach(({ workspaceId, index }, n) => {
        const { bus: name, envelope: event } = envelope(workspaceId, index, started + n * 10);
        last = bus.accept(name, [event]).at(-1)?.seq ?? last;
      });
      for (const [n, workspaceId] of ids.entries()) records.putNow(record(workspaceId, started + n * 1000));
      deliveries.advanceMark(last);
    });
    return { events: plan.length, heavyEvents };
  } finally {
    database.close();
  }
}

interface Paint {
  readonly fcpMs: number;
  readonly renderedMs: number;
}

/** What the page must show before it counts as drawn: rows matching `selector`, `count` of them. */
interface Drawn {
  readonly selector: string;
  readonly count: number;
}

/** The page's globals the predicate reads (the bench compiles without the DOM library). */
interface PageGlobals {
  readonly document: { querySelectorAll(selector: string): { readonly length: number } };
  readonly performance: { now(): number };
}

/**
 * Opens `url` in a fresh context and times FCP and the drawing of `drawn`. The predicate is a
 * function, not a string: the console's CSP has no `unsafe-eval`.
 */
async function timePage(
  newPage: () => Promise<{ page: Page; close(): Promise<void> }>,
  url: string,
  drawn: Drawn,
): Promise<Paint> {
  const { page, close } = await newPage();
  try {
    await page.goto(url);
    const rendered = await page.waitForFunction(
      ({ selector, count }) => {
        const { document, performance } = globalThis as unknown as PageGlobals;
        return document.querySelectorAll(selector).length >= count ? performance.now() : false;
      },
      drawn,
      { polling: 'raf', timeout: 60_000 },
    );
    const renderedMs = Number(await rendered.jsonValue());
    const fcpMs = Number(
      await page.evaluate(
        "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN",
      ),
    );
    return { fcpMs, renderedMs };
  } finally {
    await close();
  }
}

const summarize = (paints: readonly Paint[]) => ({
  fcpMs: round(median(paints.map((paint) => paint.fcpMs)), 1),
  renderedMs: round(median(paints.map((paint) => paint.renderedMs)), 1),
  runs: paints.map((paint) => round(paint.renderedMs, 1)),
});

export async function runConsoleBenchmark(): Promise<BenchmarkResult> {
  const probe = probeChromium();
  if (!probe.executablePath) {
    return { figures: {}, checks: [], notes: [`skipped: ${probe.why}`] };
  }
  const stateDir = await mkdtemp(join(tmpdir(), 'bench-console-'));
  const seedStarted = Date.now();
  const seeded = seed(stateDir);
  progress(`seeded ${WORKSPACES} workspaces and ${seeded.events} events in ${Date.now() - seedStarted} ms`);
  const stack = await startLocalStack({
    port: 0,
    stateDir,
    driver: 'simulated',
    quiet: true,
    mountRoutes: consoleRoutes,
    // The seeded records name tasks that never ran: keep the reconciliation sweep away from them.
    sweepIntervalMs: 3_600_000,
  });
  const browser = await launchChromium(probe.executablePath);
  try {
    const newPage = async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      return { page: await context.newPage(), close: () => context.close() };
    };
    const list: Paint[] = [];
    const typical: Paint[] = [];
    const heavy: Paint[] = [];
    const heavyFirst: Paint[] = [];
    const drawn = (count: number): Drawn => ({ selector: '#timeline li', count });
    for (let run = 0; run < RUNS; run++) {
      list.push(
        await timePage(newPage, `${stack.url}/console#/`, {
          selector: '#workspaces tbody tr[data-workspace]',
          count: LIST_ROWS,
        }),
      );
      typical.push(
        await timePage(newPage, `${stack.url}/console#/workspaces/${TYPICAL}`, drawn(EVENTS_PER_WORKSPACE)),
      );
      heavyFirst.push(
        await timePage(newPage, `${stack.url}/console#/workspaces/${HEAVY}`, drawn(FIRST_ROWS)),
      );
      heavy.push(
        await timePage(newPage, `${stack.url}/console#/workspaces/${HEAVY}`, drawn(seeded.heavyEvents)),
      );
      progress(
        `run ${run + 1}/${RUNS}: list ${round(list.at(-1)?.renderedMs ?? 0, 1)} ms, timelines ${round(typical.at(-1)?.renderedMs ?? 0, 1)} / ${round(heavy.at(-1)?.renderedMs ?? 0, 1)} ms`,
      );
    }
    const figures = {
      console: {
        store: { workspaces: WORKSPACES, events: seeded.events },
        workspaceList: { ...summarize(list), rows: LIST_ROWS },
        timeline: { ...summarize(typical), events: EVENTS_PER_WORKSPACE },
        longTimeline: { ...summarize(heavy), events: seeded.heavyEvents },
        longTimelineFirstRows: { ...summarize(heavyFirst), rows: FIRST_ROWS },
        chromium: browser.version(),
      },
    };
    const { console: figure } = figures;
    return {
      figures,
      checks: [
        {
          key: 'console.workspaceList.renderedMs',
          target: `median ≤ ${TARGET_MS} ms`,
          met: figure.workspaceList.renderedMs <= TARGET_MS,
        },
        {
          key: 'console.timeline.renderedMs',
          target: `median ≤ ${TARGET_MS} ms`,
          met: figure.timeline.renderedMs <= TARGET_MS,
        },
        {
          key: 'console.longTimelineFirstRows.renderedMs',
          target: `median ≤ ${TARGET_MS} ms`,
          met: figure.longTimelineFirstRows.renderedMs <= TARGET_MS,
        },
        { key: 'console.longTimeline.renderedMs', target: 'reported', met: 'reported' },
      ],
      notes: [
        'from navigation start in a fresh browser context; rendered = the 50 rows of the list, every event of a timeline, or the first 50 rows of the long one, on screen',
      ],
    };
  } finally {
    await browser.close();
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}
