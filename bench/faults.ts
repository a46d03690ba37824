import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { malformedRequests } from './bad-input.ts';
import { EventLogTail, localEventBridge, provisionEntry, publishAll } from './lib/events.ts';
import { OutcomeLedger } from './lib/outcomes.ts';
import { type BenchmarkResult, progress } from './lib/report.ts';
import { type StackProcess, startStackProcess } from './lib/stack-process.ts';
import { readStackCounters } from './lib/stack-state.ts';
import { allTasks, duplicateTaskCount, localEcs } from './lib/workspace-tasks.ts';

/** The fault-injection harness: each scenario runs against its own local stack process. */

const RUNTIMES = ['claude-code', 'codex', 'hermes', 'openclaw'];

async function withStack<T>(
  name: string,
  flags: readonly string[],
  body: (stack: StackProcess, stateDir: string) => Promise<T>,
): Promise<T> {
  const stateDir = await mkdtemp(join(tmpdir(), `bench-${name}-`));
  const stack = await startStackProcess({ stateDir, driver: 'simulated', flags });
  try {
    return await body(stack, stateDir);
  } finally {
    await stack.kill('SIGTERM');
    await rm(stateDir, { recursive: true, force: true });
  }
}

const request = (prefix: string, index: number, extra: Record<string, unknown> = {}) => ({
  requestId: `${prefix}-req-${index}`,
  workspaceId: `${prefix}-ws-${index}`,
  orgId: `org-${index % 17}`,
  runtime: RUNTIMES[index % RUNTIMES.length],
  kind: index % 4 === 0 ? 'platform' : 'workspace',
  ...extra,
});

/** 500 requests, each sent three times: once on its own, then twice at the same moment. */
export async function runDuplicatesBenchmark(): Promise<BenchmarkResult> {
  return await withStack('duplicates', [], async (stack) => {
    const client = localEventBridge(stack.url);
    const details = Array.from({ length: 500 }, (_, index) => request('dup', index));
    progress('faults.duplicates: first copies, sequential batches');
    await publishAll(
      client,
      details.map((detail) => provisionEntry(detail)),
      1,
    );
    progress('faults.duplicates: second and third copies, concurrently');
    const copies = details.flatMap((detail) => [provisionEntry(detail), provisionEntry(detail)]);
    await publishAll(client, copies, 16);
    const tail = new EventLogTail(stack.url);
    const ledger = new OutcomeLedger();
    const ids = details.map((detail) => detail.requestId);
    await tail.until(() => {
      ledger.add(tail.events.splice(0));
      return ledger.settled(ids) === ids.length;
    }, 120_000);
    // Let late duplicates (if any) land before counting tasks.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const tasks = await allTasks(localEcs(stack.url));
    const unique = details.length;
    progress(`faults.duplicates: sent ${details.length * 3}, unique ${unique}, tasks ${tasks.length}`);
    return {
      figures: { faults: { duplicates: { sent: details.length * 3, unique, tasks: tasks.length } } },
      checks: [
        {
          key: 'faults.duplicates.tasks',
          target: '= faults.duplicates.unique',
          met: tasks.length === unique,
        },
      ],
      notes: [`duplicate tasks per workspace: ${duplicateTaskCount(tasks)}`],
    };
  });
}

/** 200+ malformed requests: each must be rejected, none may start a task or crash anything. */
export async function runBadInputBenchmark(): Promise<BenchmarkResult> {
  return await withStack('bad-input', [], async (stack, stateDir) => {
    const client = localEventBridge(stack.url);
    const cases = malformedRequests();
    progress(`faults.badInput: publishing ${cases.length} malformed requests`);
    const entries = cases.map(({ detail }) => ({ ...provisionEntry({}), Detail: JSON.stringify(detail) }));
    const published = await publishAll(client, entries, 4);
    const accepted = new Set(published.eventIds.filter((id): id is string => typeof id === 'string'));
    const rejectedIds = new Set<string>();
    const tail = new EventLogTail(stack.url);
    await tail.until(() => {
      for (const event of tail.events.splice(0)) {
        if (event['detail-type'] === 'Workspace Provision Rejected')
          rejectedIds.add(String(event.detail.rejectedEventId));
      }
      return [...accepted].every((id) => rejectedIds.has(id));
    }, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const tasks = await allTasks(localEcs(stack.url));
    const healthy = (await fetch(`${stack.url}/local/health`).catch(() => undefined))?.ok === true;
    const stackAlive = stack.child.exitCode === null && healthy;
    const { invocationErrors } = readStackCounters(stateDir);
    // A crash is the stack going down, or a handler throwing instead of rejecting the request.
    const crashes = (stackAlive ? 0 : 1) + invocationErrors;
    const notRejected = cases.filter((_, index) => {
      const id = published.eventIds[index];
      return id !== undefined && !rejectedIds.has(id);
    });
    // Entries PutEvents itself refused (a detail that is not a JSON object) are rejected at the door: still rejected, no task.
    const refusedAtDoor = published.eventIds.filter((id) => id === undefined).length;
    const rejected = [...accepted].filter((id) => rejectedIds.has(id)).length + refusedAtDoor;
    progress(
      `faults.badInput: sent ${cases.length}, rejected ${rejected} (${refusedAtDoor} by PutEvents), tasks ${tasks.length}, crashes ${crashes}`,
    );
    return {
      figures: { faults: { badInput: { sent: cases.length, rejected, tasks: tasks.length, crashes } } },
      checks: [
        { key: 'faults.badInput.rejected', target: '= sent', met: rejected === cases.length },
        { key: 'faults.badInput.tasks', target: '0', met: tasks.length === 0 },
        { key: 'faults.badInput.crashes', target: '0', met: crashes === 0 },
      ],
      notes: [
        `refused by PutEvents itself (detail not a JSON object): ${refusedAtDoor}`,
        ...notRejected.slice(0, 5).map((item) => `not rejected: ${item.name}`),
      ],
    };
  });
}

/** 1,000 requests with 30% RunTask throttling, 10% capacity failures and 10% PutEvents partial failures. */
export async function runInjectedFaultsBenchmark(): Promise<BenchmarkResult> {
  const flags = [
    '--fault-throttle',
    '0.3',
    '--fault-capacity',
    '0.1',
    '--fault-put-events',
    '0.1',
    '--fault-seed',
    '7',
  ];
  return await withStack('injected', flags, async (stack) => {
    const client = localEventBridge(stack.url);
    const details = Array.from({ length: 1000 }, (_, index) => request('inj', index));
    progress('faults.injected: publishing 1,000 requests (the producer retries its own failed entries)');
    const published = await publishAll(
      client,
      details.map((detail) => provisionEntry(detail)),
      8,
    );
    const tail = new EventLogTail(stack.url);
    const ledger = new OutcomeLedger();
    const ids = details.map((detail) => detail.requestId);
    let last = -1;
    await tail.until(
      () => {
        ledger.add(tail.events.splice(0));
        const settled = ledger.settled(ids);
        if (settled !== last && settled % 100 === 0) progress(`faults.injected: ${settled}/1000 settled`);
        last = settled;
        return settled === ids.length;
      },
      240_000,
      250,
    );
    const launched = ledger.count(ids, 'launched');
    const failedWithEvent = ledger.count(ids, 'failed');
    const lost = ids.length - ledger.settled(ids);
    progress(`faults.injected: launched ${launched}, failed with event ${failedWithEvent}, lost ${lost}`);
    return {
      figures: { faults: { injected: { requests: ids.length, launched, failedWithEvent, lost } } },
      checks: [
        { key: 'faults.injected.lost', target: '0', met: lost === 0 },
        {
          key: 'faults.injected.launched',
          target: 'launched + failedWithEvent = requests',
          met: launched + failedWithEvent === ids.length,
        },
      ],
      notes: [`producer entries accepted after its own retries: ${published.accepted}/${ids.length}`],
    };
  });
}

/** What one SIGKILL-and-restart run came to. */
interface CrashRun {
  readonly accepted: number;
  readonly delivered: number;
  readonly lost: number;
  readonly contradictory: number;
  readonly duplicated: number;
  readonly conflicting: number;
}

/** After every request has an outcome, how long late events (retries, task states) may still land. */
const CRASH_GRACE_MS = 5_000;

/**
 * When the stack is SIGKILLed: once that many requests are accepted (mid-burst), or once all are
 * accepted and RunTask has started that many tasks (provisions and tasks cut short at every step).
 */
type KillPoint = { readonly afterAccepted: number } | { readonly afterTasks: number };

/**
 * Publishes `requests` provision requests to a stack on `driver`, SIGKILLs it at `kill`, restarts
 * it on the same state and reads every accepted request's events.
 */
async function crashAndRestart(
  driver: 'simulated' | 'process',
  requests: number,
  kill: KillPoint,
): Promise<CrashRun> {
  const label = `faults.crash (${driver})`;
  const stateDir = await mkdtemp(join(tmpdir(), `bench-crash-${driver}-`));
  try {
    let stack = await startStackProcess({ stateDir, driver });
    const client = localEventBridge(stack.url);
    const details = Array.from({ length: requests }, (_, index) => request(`crash-${driver}`, index));
    const acceptedIds = new Set<string>();
    let killed = false;
    const when =
      'afterAccepted' in kill
        ? `the first ${kill.afterAccepted} are accepted`
        : `all are accepted and ${kill.afterTasks} tasks started`;
    progress(`${label}: publishing ${requests} requests; SIGKILL once ${when}`);
    const publishing = publishAll(
      client,
      details.map((detail) => provisionEntry(detail)),
      4,
      (index) => {
        acceptedIds.add(details[index]?.requestId as string);
        if (!killed && 'afterAccepted' in kill && acceptedIds.size >= kill.afterAccepted) {
          killed = true;
          stack.child.kill('SIGKILL');
        }
      },
    ).catch(() => undefined);
    await publishing;
    if ('afterTasks' in kill) {
      const started = new Set<string>();
      const tail = new EventLogTail(stack.url);
      await tail.until(
        () => {
          for (const event of tail.events.splice(0)) {
            if (event['detail-type'] === 'ECS Task State Change') started.add(String(event.detail.taskArn));
          }
          return started.size >= kill.afterTasks;
        },
        60_000,
        20,
      );
      stack.child.kill('SIGKILL');
    }
    await new Promise<void>((resolve) =>
      stack.child.exitCode !== null || stack.child.signalCode !== null
        ? resolve()
        : stack.child.once('exit', () => resolve()),
    );
    progress(`${label}: killed with ${acceptedIds.size} accepted; restarting on the same state`);
    stack = await startStackProcess({ stateDir, driver });
    try {
      const tail = new EventLogTail(stack.url);
      const ledger = new OutcomeLedger();
      await tail.until(
        () => {
          ledger.add(tail.events.splice(0));
          return ledger.settled(acceptedIds) === acceptedIds.size;
        },
        180_000,
        250,
      );
      // A retried invocation or a task's state can still follow the first outcome: read those too.
      const graceEnd = Date.now() + CRASH_GRACE_MS;
      await tail.until(
        () => {
          ledger.add(tail.events.splice(0));
          return Date.now() >= graceEnd;
        },
        CRASH_GRACE_MS * 2,
        250,
      );
      const delivered = ledger.settled(acceptedIds);
      const run: CrashRun = {
        accepted: acceptedIds.size,
        delivered,
        lost: acceptedIds.size - delivered,
        contradictory: ledger.contradictory(acceptedIds),
        duplicated: ledger.duplicated(acceptedIds),
        conflicting: ledger.conflicting(acceptedIds),
      };
      progress(
        `${label}: accepted ${run.accepted}, delivered ${run.delivered}, lost ${run.lost}, contradictory ${run.contradictory}, duplicate outcomes ${run.duplicated}`,
      );
      return run;
    } finally {
      await stack.kill('SIGTERM');
    }
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

/**
 * SIGKILL of the stack mid-burst, then a restart on the same state: nothing accepted is lost, and
 * no request's events contradict each other. Once with the `simulated` driver (2,000 requests) and
 * once with `process` (real processes, fewer of them: each is a Node process on this machine).
 */
export async function runCrashBenchmark(): Promise<BenchmarkResult> {
  const simulated = await crashAndRestart('simulated', 2000, { afterAccepted: 1000 });
  const processes = await crashAndRestart('process', 24, { afterTasks: 12 });
  const runs = [simulated, processes];
  const sum = (pick: (run: CrashRun) => number): number => runs.reduce((total, run) => total + pick(run), 0);
  const lost = sum((run) => run.lost);
  const contradictory = sum((run) => run.contradictory);
  return {
    figures: {
      faults: {
        crash: {
          accepted: sum((run) => run.accepted),
          delivered: sum((run) => run.delivered),
          lost,
          contradictory,
          simulated: {
            accepted: simulated.accepted,
            lost: simulated.lost,
            contradictory: simulated.contradictory,
          },
          process: {
            accepted: processes.accepted,
            lost: processes.lost,
            contradictory: processes.contradictory,
          },
        },
      },
    },
    checks: [
      { key: 'faults.crash.lost', target: '0', met: lost === 0 },
      { key: 'faults.crash.contradictory', target: '0', met: contradictory === 0 },
    ],
    notes: [
      `requests with more than one terminal event: simulated ${simulated.duplicated}, process ${processes.duplicated} (an invocation the kill cut short is retried, as Lambda retries a dead execution environment, and reports the same task again); with disagreeing outcome kinds: simulated ${simulated.conflicting}, process ${processes.conflicting}`,
      'contradictory: Launched and Provision Failed for the same task (in either order), or Launched and a Provision Failed of the whole request',
    ],
  };
}
