import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { startLocalStack } from '#local/stack.ts';
import { localEventBridge, provisionEntry } from './lib/events.ts';
import { type BenchmarkResult, progress } from './lib/report.ts';
import { quantile, round } from './lib/stats.ts';

/**
 * 1,000 sequential provision requests through the local stack (simulated driver): the time from
 * sending PutEvents over loopback with the real SDK to the bus accepting `Workspace Config Overlay
 * Applied` for that request. The stack runs in this process so the moment the event is accepted
 * is observed exactly, without polling.
 */

const MEASURED = 1000;
const WARM_UP = 20;
const RUNTIMES = ['claude-code', 'codex', 'hermes', 'openclaw'];

export async function runFlowLatencyBenchmark(): Promise<BenchmarkResult> {
  const stateDir = await mkdtemp(join(tmpdir(), 'bench-flow-'));
  const stack = await startLocalStack({ port: 0, stateDir, driver: 'simulated', quiet: true });
  const waiting = new Map<string, (at: number) => void>();
  const unsubscribe = stack.bus.subscribe((events) => {
    const at = performance.now();
    for (const { envelope } of events) {
      if (envelope['detail-type'] !== DETAIL_TYPES.configOverlayApplied) continue;
      const requestId = (envelope.detail as { requestId?: string }).requestId;
      if (requestId) waiting.get(requestId)?.(at);
    }
  });
  try {
    const client = localEventBridge(stack.url);
    const samples: number[] = [];
    progress(`flowLatency: ${WARM_UP} warm-up requests, then ${MEASURED} measured, one at a time`);
    for (let index = 0; index < WARM_UP + MEASURED; index += 1) {
      const requestId = `flow-req-${index}`;
      const seen = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no Overlay Applied for ${requestId} within 10 s`)),
          10_000,
        );
        waiting.set(requestId, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
      const started = performance.now();
      await client.send(
        new PutEventsCommand({
          Entries: [
            provisionEntry({
              requestId,
              workspaceId: `flow-ws-${index}`,
              orgId: 'org-flow',
              runtime: RUNTIMES[index % RUNTIMES.length],
              kind: index % 2 === 0 ? 'platform' : 'workspace',
            }),
          ],
        }),
      );
      const at = await seen;
      waiting.delete(requestId);
      if (index >= WARM_UP) samples.push(at - started);
      if ((index + 1) % 250 === 0) progress(`flowLatency: ${index + 1}/${WARM_UP + MEASURED}`);
    }
    const p50 = round(quantile(samples, 0.5), 2);
    const p99 = round(quantile(samples, 0.99), 2);
    progress(`flowLatency: p50 ${p50} ms, p99 ${p99} ms over ${samples.length}`);
    return {
      figures: { flowLatencyMs: { p50, p99, n: samples.length } },
      checks: [
        { key: 'flowLatencyMs.p50', target: '<= 15', met: p50 <= 15 },
        { key: 'flowLatencyMs.p99', target: '<= 50', met: p99 <= 50 },
      ],
      notes: [
        `simulated driver; half platform, half workspace; max ${round(Math.max(...samples), 1)} ms; ${WARM_UP} warm-up requests not counted`,
      ],
    };
  } finally {
    unsubscribe();
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}
