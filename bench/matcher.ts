import { randomUUID } from 'node:crypto';
import { loadCatalog } from '#config/catalog.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { compileEventPattern, EventRuleSet } from '#local/event-pattern/index.ts';
import { flowsFor } from '#wiring/flows.ts';
import { type BenchmarkResult, progress } from './lib/report.ts';
import { round } from './lib/stats.ts';

/**
 * Pattern evaluations per second on the project's own rules, and events routed per second on a bus
 * with 1,000 realistic rules (most pin source and detail-type, some filter on detail only, some use
 * prefix, anything-but, numeric, exists and $or).
 */

const region = 'us-east-1';
const account = '000000000000';
const clusterArn = `arn:aws:ecs:${region}:${account}:cluster/workspaces`;
const catalog = loadCatalog();

const envelope = (
  source: string,
  detailType: string,
  detail: Record<string, unknown>,
  resources: string[] = [],
) => ({
  version: '0',
  id: randomUUID(),
  'detail-type': detailType,
  source,
  account,
  time: '2026-11-23T10:00:00Z',
  region,
  resources,
  detail,
});

/** A realistic mix of traffic: requests, our follow-ups, ECS state changes, and foreign noise. */
function sampleEvents(): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (let i = 0; i < 200; i += 1) {
    const runtime = Object.keys(catalog.runtimes)[i % 4] as string;
    events.push(
      envelope('platform.workspace-server', DETAIL_TYPES.provisionRequested, {
        requestId: `r-${i}`,
        workspaceId: `ws-${i}`,
        orgId: `org-${i % 7}`,
        runtime,
        kind: i % 5 === 0 ? 'platform' : 'workspace',
      }),
      envelope('platform.provisioner', DETAIL_TYPES.taskLaunched, {
        requestId: `r-${i}`,
        workspaceId: `ws-${i}`,
        kind: 'workspace',
      }),
      envelope(
        'aws.ecs',
        'ECS Task State Change',
        {
          clusterArn: i % 3 === 0 ? `arn:aws:ecs:${region}:${account}:cluster/other` : clusterArn,
          taskArn: `arn:aws:ecs:${region}:${account}:task/workspaces/${i}`,
          taskDefinitionArn: `arn:aws:ecs:${region}:${account}:task-definition/workspace-${runtime}:1`,
          lastStatus: 'RUNNING',
          version: 3,
          containers: [{ name: 'workspace', lastStatus: 'RUNNING' }],
        },
        [`arn:aws:ecs:${region}:${account}:task/workspaces/${i}`],
      ),
      envelope(`com.example.app${i % 40}`, `Order ${i % 9 === 0 ? 'Placed' : 'Shipped'}`, {
        orderId: i,
        amount: (i * 37) % 1000,
        region: i % 2 ? 'eu' : 'us',
        items: [{ sku: `sku-${i % 13}` }],
      }),
    );
  }
  return events;
}

/** 1,000 rules as a busy shared bus has them. */
function realisticRules(): unknown[] {
  const rules: unknown[] = [];
  for (let i = 0; i < 1000; i += 1) {
    const app = `com.example.app${i % 60}`;
    switch (i % 10) {
      case 0:
        rules.push({
          source: [app],
          'detail-type': ['Order Placed'],
          detail: { amount: [{ numeric: ['>', i % 900] }] },
        });
        break;
      case 1:
        rules.push({
          source: [app],
          'detail-type': ['Order Shipped', 'Order Placed'],
          detail: { region: [{ 'anything-but': ['eu'] }] },
        });
        break;
      case 2:
        rules.push({ source: [{ prefix: 'com.example.' }], detail: { items: { sku: [`sku-${i % 13}`] } } });
        break;
      case 3:
        rules.push({
          'detail-type': ['Order Placed'],
          detail: { orderId: [{ exists: true }], amount: [{ numeric: ['>=', 0, '<', 500] }] },
        });
        break;
      case 4:
        rules.push({
          source: ['aws.ecs'],
          'detail-type': ['ECS Task State Change'],
          detail: { lastStatus: ['STOPPED'], clusterArn: [`arn:aws:ecs:${region}:${account}:cluster/c${i}`] },
        });
        break;
      case 5:
        rules.push({
          source: ['platform.workspace-server'],
          'detail-type': [DETAIL_TYPES.provisionRequested],
          detail: { orgId: [`org-${i % 7}`], kind: ['platform'] },
        });
        break;
      case 6:
        rules.push({
          source: [app],
          $or: [{ detail: { region: ['us'] } }, { detail: { amount: [{ numeric: ['>', 900] }] } }],
        });
        break;
      case 7:
        rules.push({ account: [account], source: [app], detail: { orderId: [{ numeric: ['=', i] }] } });
        break;
      case 8:
        rules.push({
          source: ['platform.provisioner'],
          'detail-type': [{ prefix: 'Workspace ' }],
          detail: { workspaceId: [{ suffix: `-${i % 10}` }] },
        });
        break;
      default:
        rules.push({ source: [app], 'detail-type': [{ 'equals-ignore-case': 'order shipped' }] });
    }
  }
  return rules;
}

const timeLoop = (budgetMs: number, body: () => number): { operations: number; seconds: number } => {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(budgetMs) * 1_000_000n;
  let operations = 0;
  let now = start;
  while (now < deadline) {
    operations += body();
    now = process.hrtime.bigint();
  }
  return { operations, seconds: Number(now - start) / 1e9 };
};

export async function runMatcherBenchmark(): Promise<BenchmarkResult> {
  const events = sampleEvents();
  const prefixes = Object.values(catalog.runtimes).map(
    (runtime) => `arn:aws:ecs:${region}:${account}:task-definition/${runtime.family}:`,
  );
  const ownRules = flowsFor({
    requestSources: ['platform.workspace-server'],
    provisionerSource: 'platform.provisioner',
    clusterArn,
    taskDefinitionArnPrefixes: prefixes,
  }).map((flow) => compileEventPattern(flow.pattern));

  progress(`matcher: ${ownRules.length} project rules x ${events.length} events, warming up`);
  let matched = 0;
  const evalBody = () => {
    for (const event of events) for (const rule of ownRules) if (rule.matches(event)) matched += 1;
    return events.length * ownRules.length;
  };
  timeLoop(300, evalBody);
  const evals = timeLoop(2000, evalBody);
  const evalsPerSec = Math.round(evals.operations / evals.seconds);
  progress(`matcher: ${evalsPerSec.toLocaleString()} evaluations/s (${matched} matches seen)`);

  const bus = new EventRuleSet<number>();
  realisticRules().forEach((pattern, index) => {
    bus.add(`rule-${index}`, pattern, index);
  });
  let routedTargets = 0;
  const routeBody = () => {
    for (const event of events) routedTargets += bus.match(event).length;
    return events.length;
  };
  timeLoop(300, routeBody);
  const routing = timeLoop(2000, routeBody);
  const routeEventsPerSec1000Rules = Math.round(routing.operations / routing.seconds);
  progress(`matcher: ${routeEventsPerSec1000Rules.toLocaleString()} events/s routed over ${bus.size} rules`);

  return {
    figures: { matcher: { evalsPerSec, routeEventsPerSec1000Rules } },
    checks: [
      { key: 'matcher.evalsPerSec', target: '>= 1,000,000', met: evalsPerSec >= 1_000_000 },
      {
        key: 'matcher.routeEventsPerSec1000Rules',
        target: '>= 20,000',
        met: routeEventsPerSec1000Rules >= 20_000,
      },
    ],
    notes: [
      `project rules: ${ownRules.length}; sample events: ${events.length}; average targets per routed event: ${round(routedTargets / Math.max(1, routing.operations), 2)}`,
    ],
  };
}
