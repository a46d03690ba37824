import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DETAIL_TYPES, ECS_SOURCE, ECS_TASK_STATE_CHANGE } from '#contracts/names.ts';
import type { EventEnvelope } from '#local/interfaces.ts';
import { startLocalStack } from '#local/stack.ts';
import { type BenchmarkResult, progress } from './lib/report.ts';

/**
 * ECS delivers task state changes at least once and in any order. For 500 tasks, every state
 * change (PROVISIONING, PENDING, RUNNING, the stop intent, STOPPED) is sent twice and the whole
 * lot shuffled, onto the bus AWS uses for them; each task must end with exactly one
 * `Workspace Stopped`, no duplicate `Workspace Running`, and no Running after its Stopped.
 */

const TASKS = 500;
const RUNTIMES = ['claude-code', 'codex', 'hermes', 'openclaw'];

/** A seeded shuffle, so a run can be repeated. */
function shuffle<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  const next = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  for (let index = items.length - 1; index > 0; index -= 1) {
    const other = Math.floor(next() * (index + 1));
    [items[index], items[other]] = [items[other] as T, items[index] as T];
  }
  return items;
}

export async function runReorderBenchmark(): Promise<BenchmarkResult> {
  const stateDir = await mkdtemp(join(tmpdir(), 'bench-reorder-'));
  const stack = await startLocalStack({ port: 0, stateDir, driver: 'simulated', quiet: true });
  try {
    const region = stack.region;
    const account = '000000000000';
    const clusterArn = `arn:aws:ecs:${region}:${account}:cluster/workspaces`;
    const envelopes: EventEnvelope[] = [];
    const taskArns: string[] = [];
    for (let index = 0; index < TASKS; index += 1) {
      const runtime = RUNTIMES[index % RUNTIMES.length] as string;
      const taskArn = `arn:aws:ecs:${region}:${account}:task/workspaces/${randomUUID().replaceAll('-', '')}`;
      taskArns.push(taskArn);
      const base = {
        clusterArn,
        taskArn,
        taskDefinitionArn: `arn:aws:ecs:${region}:${account}:task-definition/workspace-${runtime}:1`,
        group: `family:workspace-${runtime}`,
        startedBy: `reorder-ws-${index}`,
        launchType: 'FARGATE',
        createdAt: '2026-11-23T10:00:00.000Z',
        overrides: {
          containerOverrides: [
            {
              name: 'workspace',
              environment: [
                { name: 'WORKSPACE_ID', value: `reorder-ws-${index}` },
                { name: 'WORKSPACE_KIND', value: index % 2 ? 'platform' : 'workspace' },
                { name: 'WORKSPACE_RUNTIME', value: runtime },
              ],
            },
          ],
        },
      };
      const started = { startedAt: '2026-11-23T10:00:05.000Z' };
      const states = [
        { lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING', version: 1 },
        { lastStatus: 'PENDING', desiredStatus: 'RUNNING', version: 2 },
        { lastStatus: 'RUNNING', desiredStatus: 'RUNNING', version: 3, ...started },
        { lastStatus: 'RUNNING', desiredStatus: 'STOPPED', version: 4, ...started },
        {
          lastStatus: 'STOPPED',
          desiredStatus: 'STOPPED',
          version: 5,
          ...started,
          stopCode: 'UserInitiated',
          stoppedReason: 'Workspace deprovisioned',
          stoppedAt: '2026-11-23T10:05:00.000Z',
          containers: [{ name: 'workspace', lastStatus: 'STOPPED', exitCode: 0 }],
        },
      ];
      for (const state of states) {
        for (let copy = 0; copy < 2; copy += 1) {
          envelopes.push({
            version: '0',
            id: randomUUID(),
            'detail-type': ECS_TASK_STATE_CHANGE,
            source: ECS_SOURCE,
            account,
            time: new Date().toISOString(),
            region,
            resources: [taskArn],
            detail: { ...base, ...state },
          });
        }
      }
    }
    shuffle(envelopes, 42);
    progress(
      `faults.reorder: ${envelopes.length} state events (${TASKS} tasks, each change twice), shuffled`,
    );
    const perTask = new Map<string, string[]>();
    const unsubscribe = stack.bus.subscribe((events) => {
      for (const { envelope } of events) {
        const type = envelope['detail-type'];
        if (envelope.source !== 'platform.provisioner') continue;
        if (
          type !== DETAIL_TYPES.running &&
          type !== DETAIL_TYPES.stopped &&
          type !== DETAIL_TYPES.provisionFailed
        )
          continue;
        const taskArn = (envelope.detail as { taskArn?: string }).taskArn;
        if (taskArn) perTask.set(taskArn, [...(perTask.get(taskArn) ?? []), type]);
      }
    });
    // AWS puts service events on the default bus; the local ECS rule listens there, as the deployed one does.
    for (let index = 0; index < envelopes.length; index += 50)
      stack.bus.accept('default', envelopes.slice(index, index + 50));
    const deadline = Date.now() + 60_000;
    const stoppedCount = () =>
      taskArns.filter((arn) => perTask.get(arn)?.includes(DETAIL_TYPES.stopped)).length;
    while (stoppedCount() < TASKS && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    unsubscribe();
    let correctFinalState = 0;
    for (const arn of taskArns) {
      const emitted = perTask.get(arn) ?? [];
      const stopped = emitted.filter((type) => type === DETAIL_TYPES.stopped).length;
      const running = emitted.filter((type) => type === DETAIL_TYPES.running).length;
      const failed = emitted.filter((type) => type === DETAIL_TYPES.provisionFailed).length;
      if (stopped === 1 && running <= 1 && failed === 0 && emitted.at(-1) === DETAIL_TYPES.stopped)
        correctFinalState += 1;
    }
    progress(`faults.reorder: ${correctFinalState}/${TASKS} tasks ended correctly`);
    return {
      figures: { faults: { reorder: { tasks: TASKS, correctFinalState } } },
      checks: [
        { key: 'faults.reorder.correctFinalState', target: '= tasks', met: correctFinalState === TASKS },
      ],
    };
  } finally {
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}
