import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_WORKSPACE_FILES_BUCKET, DETAIL_TYPES, type SecretScope } from '#contracts/names.ts';
import { secretsKey } from '#core/workspace-files.ts';
import { localClientConfig } from '#local/clients.ts';
import { startLocalStack } from '#local/stack.ts';
import { localEventBridge, provisionEntry } from './lib/events.ts';
import { type BenchmarkResult, progress } from './lib/report.ts';
import { quantile, round } from './lib/stats.ts';

/**
 * 1,000 sequential provision requests through the local stack (simulated driver): the time from
 * sending PutEvents over loopback with the real SDK to the bus accepting `Workspace Running` for
 * that request. Half are `kind=platform`, whose template (`platform-agent`) makes the round trip
 * through the asset channel stand-in (Template Assets Requested, the files staged with S3,
 * Template Assets Staged) before the launch, with secrets `org` and `platform`; half are
 * `kind=workspace` with `org` and `workspace`. Every secrets file exists (set before the clock
 * starts). The stack runs in this process so the moment the event is accepted is observed
 * exactly, without polling.
 */

const MEASURED = 1000;
const WARM_UP = 20;
const RUNTIMES = ['claude-code', 'codex', 'hermes', 'openclaw'];
const ORG = 'org-flow';

/** The secrets files the requests list, written as `workspaces secrets set` does. */
async function writeSecrets(s3: S3Client, scope: SecretScope, workspaceId = ''): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: DEFAULT_WORKSPACE_FILES_BUCKET,
      Key: secretsKey(scope, ORG, workspaceId),
      Body: `# bench\nBENCH_${scope.toUpperCase()}_TOKEN=not-a-real-secret\n`,
    }),
  );
}

export async function runFlowLatencyBenchmark(): Promise<BenchmarkResult> {
  const stateDir = await mkdtemp(join(tmpdir(), 'bench-flow-'));
  const stack = await startLocalStack({ port: 0, stateDir, driver: 'simulated', quiet: true });
  const waiting = new Map<string, (at: number) => void>();
  const unsubscribe = stack.bus.subscribe((events) => {
    const at = performance.now();
    for (const { envelope } of events) {
      if (envelope['detail-type'] !== DETAIL_TYPES.running) continue;
      // Running names its workspace always (its requestId is optional in the contract).
      const workspaceId = (envelope.detail as { workspaceId?: string }).workspaceId;
      if (workspaceId) waiting.get(workspaceId)?.(at);
    }
  });
  const s3 = new S3Client({
    ...localClientConfig(stack.url, stack.region, { httpAgent: new Agent({ keepAlive: true }) }),
    forcePathStyle: true,
  });
  try {
    const client = localEventBridge(stack.url);
    await writeSecrets(s3, 'org');
    await writeSecrets(s3, 'platform');
    const samples: number[] = [];
    const byKind: Record<'platform' | 'workspace', number[]> = { platform: [], workspace: [] };
    progress(`flowLatency: ${WARM_UP} warm-up requests, then ${MEASURED} measured, one at a time`);
    for (let index = 0; index < WARM_UP + MEASURED; index += 1) {
      const requestId = `flow-req-${index}`;
      const workspaceId = `flow-ws-${index}`;
      const kind = index % 2 === 0 ? 'platform' : 'workspace';
      if (kind === 'workspace') await writeSecrets(s3, 'workspace', workspaceId);
      const seen = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no Workspace Running for ${requestId} within 10 s`)),
          10_000,
        );
        waiting.set(workspaceId, (at) => {
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
              workspaceId,
              orgId: ORG,
              runtime: RUNTIMES[index % RUNTIMES.length],
              kind,
              secrets: kind === 'platform' ? ['org', 'platform'] : ['org', 'workspace'],
            }),
          ],
        }),
      );
      const at = await seen;
      waiting.delete(workspaceId);
      if (index >= WARM_UP) {
        samples.push(at - started);
        byKind[kind].push(at - started);
      }
      if ((index + 1) % 250 === 0) progress(`flowLatency: ${index + 1}/${WARM_UP + MEASURED}`);
    }
    const p50 = round(quantile(samples, 0.5), 2);
    const p99 = round(quantile(samples, 0.99), 2);
    const kindFigures = Object.fromEntries(
      Object.entries(byKind).map(([kind, kindSamples]) => [
        kind,
        {
          p50: round(quantile(kindSamples, 0.5), 2),
          p99: round(quantile(kindSamples, 0.99), 2),
          n: kindSamples.length,
        },
      ]),
    );
    progress(
      `flowLatency: p50 ${p50} ms, p99 ${p99} ms over ${samples.length}; platform p50 ${kindFigures.platform?.p50} ms, workspace p50 ${kindFigures.workspace?.p50} ms`,
    );
    return {
      figures: { flowLatencyMs: { p50, p99, n: samples.length, ...kindFigures } },
      checks: [
        { key: 'flowLatencyMs.p50', target: '<= 25', met: p50 <= 25 },
        { key: 'flowLatencyMs.p99', target: '<= 80', met: p99 <= 80 },
      ],
      notes: [
        `PutEvents to Workspace Running, simulated driver; half platform (asset round trip through the local channel, secrets org+platform), half workspace (secrets org+workspace); max ${round(Math.max(...samples), 1)} ms; ${WARM_UP} warm-up requests not counted`,
      ],
    };
  } finally {
    unsubscribe();
    s3.destroy();
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}
