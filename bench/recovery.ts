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
 * Issue 13's figure: the time from a crash to `Workspace Running` again, minus the backoff. One
 * workspace on the `process` driver (a real stand-in process per task) crashes `CRASHES` times
 * (`POST /exit`), each once it runs again; the clock runs from the crash request to the bus
 * accepting the next `Workspace Running`, and the backoff `Workspace Recovering` names is taken off
 * (the stack runs with `--recovery-backoff 0`, so it is 0 and nothing is estimated). What remains
 * is the provisioner's own work: the stop noticed, the recovery decided and published, the
 * lifecycle function's relaunch (the boot bundle written again, RunTask), the boot step, the new
 * process's start, and the events back.
 */

const CRASHES = 20;

interface Seen {
  readonly detailType: string;
  readonly at: number;
  readonly detail: Record<string, unknown>;
}

export async function runRecoveryBenchmark(): Promise<BenchmarkResult> {
  const stateDir = await mkdtemp(join(tmpdir(), 'bench-recovery-'));
  const stack = await startLocalStack({
    port: 0,
    stateDir,
    driver: 'process',
    quiet: true,
    recoveryAttempts: CRASHES + 1,
    recoveryBackoffSeconds: 0,
  });
  const workspaceId = 'bench-recovery';
  const seen: Seen[] = [];
  let notify: (() => void) | undefined;
  const unsubscribe = stack.bus.subscribe((events) => {
    const at = performance.now();
    for (const { envelope } of events) {
      const detail = envelope.detail as Record<string, unknown>;
      if (detail?.workspaceId !== workspaceId) continue;
      seen.push({ detailType: envelope['detail-type'] as string, at, detail });
    }
    notify?.();
  });
  const nextRunning = (after: number) =>
    new Promise<Seen>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no Workspace Running within 30 s')), 30_000);
      const check = () => {
        const found = seen.find((event) => event.detailType === DETAIL_TYPES.running && event.at > after);
        if (!found) return;
        clearTimeout(timer);
        notify = undefined;
        resolve(found);
      };
      notify = check;
      check();
    });
  const events = localEventBridge(stack.url);
  try {
    progress(`recovery: ${CRASHES} crashes of one workspace (process driver, backoff 0), one at a time`);
    await events.send(
      new PutEventsCommand({
        Entries: [
          provisionEntry({
            requestId: 'bench-recovery-req',
            workspaceId,
            orgId: 'org-bench',
            runtime: 'codex',
          }),
        ],
      }),
    );
    let running = await nextRunning(0);
    const samples: number[] = [];
    for (let crash = 0; crash < CRASHES; crash++) {
      const url = String(running.detail.url);
      const crashedAt = performance.now();
      const answer = await fetch(`${url}/exit`, { method: 'POST', body: JSON.stringify({ code: 1 }) });
      if (answer.status !== 202) throw new Error(`POST /exit answered ${answer.status}`);
      running = await nextRunning(crashedAt);
      const recovering = seen.filter(
        (event) => event.detailType === DETAIL_TYPES.recovering && event.at > crashedAt,
      );
      const backoffMs = Number(recovering.at(-1)?.detail.backoffSeconds ?? 0) * 1000;
      samples.push(running.at - crashedAt - backoffMs);
    }
    const p50 = round(quantile(samples, 0.5), 1);
    const p99 = round(quantile(samples, 0.99), 1);
    progress(
      `recovery: crash to Running again, minus the backoff: p50 ${p50} ms, max ${round(Math.max(...samples), 1)} ms`,
    );
    return {
      figures: { recoveryMs: { p50, p99, max: round(Math.max(...samples), 1), n: samples.length } },
      checks: [{ key: 'recoveryMs.p50', target: 'reported', met: 'reported' }],
      notes: [
        'POST /exit on the stand-in to the next Workspace Running, process driver, backoff 0 (so nothing is subtracted but 0)',
      ],
    };
  } finally {
    unsubscribe();
    events.destroy();
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}
