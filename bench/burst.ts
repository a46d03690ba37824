import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLogTail, localEventBridge, provisionEntry, publishAll } from './lib/events.ts';
import { OutcomeLedger } from './lib/outcomes.ts';
import { type BenchmarkResult, progress } from './lib/report.ts';
import { startStackProcess } from './lib/stack-process.ts';
import { readStackCounters } from './lib/stack-state.ts';
import { round } from './lib/stats.ts';
import { allTasks, duplicateTaskCount, localEcs } from './lib/workspace-tasks.ts';

/**
 * 10,000 distinct requests published as fast as the producer can, against ECS quota emulation
 * (burst 1,000, 200 per second). The least time the quota allows is (requests - burst) / rate.
 * Also records the stack's peak RSS (VmHWM) over the run.
 */

const REQUESTS = 10_000;
const BURST = 1000;
const RATE = 200;
const RUNTIMES = ['claude-code', 'codex', 'hermes', 'openclaw'];

export async function runBurstBenchmark(): Promise<BenchmarkResult> {
  const stateDir = await mkdtemp(join(tmpdir(), 'bench-burst-'));
  const stack = await startStackProcess({
    stateDir,
    driver: 'simulated',
    flags: ['--ecs-quota-burst', String(BURST), '--ecs-quota-rate', String(RATE)],
  });
  try {
    const client = localEventBridge(stack.url);
    const details = Array.from({ length: REQUESTS }, (_, index) => ({
      requestId: `burst-req-${index}`,
      workspaceId: `burst-ws-${index}`,
      orgId: `org-${index % 50}`,
      runtime: RUNTIMES[index % RUNTIMES.length],
      kind: index % 10 === 0 ? 'platform' : 'workspace',
    }));
    const ids = details.map((detail) => detail.requestId);
    const tail = new EventLogTail(stack.url);
    const ledger = new OutcomeLedger();
    progress(`burst: publishing ${REQUESTS} requests`);
    const started = Date.now();
    const published = await publishAll(
      client,
      details.map((detail) => provisionEntry(detail)),
      16,
    );
    progress(
      `burst: published in ${((Date.now() - started) / 1000).toFixed(1)} s (${published.accepted} accepted)`,
    );
    const quotaBoundS = (REQUESTS - BURST) / RATE;
    let lastReport = 0;
    await tail.until(
      () => {
        ledger.add(tail.events.splice(0));
        const settled = ledger.settled(ids);
        if (Date.now() - lastReport > 5000) {
          lastReport = Date.now();
          progress(
            `burst: ${settled}/${REQUESTS} settled after ${((Date.now() - started) / 1000).toFixed(0)} s`,
          );
        }
        return settled === REQUESTS;
      },
      quotaBoundS * 1000 * 4 + 60_000,
      100,
    );
    const finishedAt = Math.max(...ids.map((id) => ledger.firstSeenAt.get(id) ?? 0));
    const makespanS = round((finishedAt - started) / 1000, 2);
    const launched = ledger.count(ids, 'launched');
    const lost = REQUESTS - ledger.settled(ids);
    const peakRssMb = round(await stack.peakRssMb(), 1);
    progress('burst: counting tasks and dead letters');
    const tasks = await allTasks(localEcs(stack.url));
    const duplicateTasks = duplicateTaskCount(tasks);
    const dlq = readStackCounters(stateDir).deadLetters;
    progress(
      `burst: launched ${launched}, lost ${lost}, duplicate tasks ${duplicateTasks}, dlq ${dlq}, makespan ${makespanS} s (bound ${quotaBoundS} s), peak RSS ${peakRssMb} MiB`,
    );
    return {
      figures: {
        burst: { requests: REQUESTS, launched, lost, duplicateTasks, dlq, makespanS, quotaBoundS },
        memory: { peakRssMb },
      },
      checks: [
        { key: 'burst.launched', target: '= requests', met: launched === REQUESTS },
        { key: 'burst.lost', target: '0', met: lost === 0 },
        { key: 'burst.duplicateTasks', target: '0', met: duplicateTasks === 0 },
        { key: 'burst.dlq', target: '0', met: dlq === 0 },
        {
          key: 'burst.makespanS',
          target: `<= 1.15 x quotaBoundS (${round(1.15 * quotaBoundS, 2)} s)`,
          met: makespanS <= 1.15 * quotaBoundS,
        },
        { key: 'memory.peakRssMb', target: 'reported', met: 'reported' },
      ],
      notes: [`ECS quota emulation: burst ${BURST}, ${RATE}/s; tasks seen in ECS: ${tasks.length}`],
    };
  } finally {
    await stack.kill('SIGTERM');
    await rm(stateDir, { recursive: true, force: true });
  }
}
