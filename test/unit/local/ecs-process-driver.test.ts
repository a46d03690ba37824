import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { EcsTaskStateChangeDetail } from '#contracts/ecs.ts';
import { stopCauseOf } from '#core/stop-cause.ts';
import { createEventBus } from '#local/eventbridge/index.ts';
import { openDatabase } from '#local/store/index.ts';
import { CODEX, type EcsHarness, ecsHarness, runTaskRequest, temporaryStateDir, waitFor } from './helpers.ts';

const ENVIRONMENT = {
  containerOverrides: [
    {
      name: 'workspace',
      environment: [
        { name: 'WORKSPACE_ID', value: 'ws-1' },
        { name: 'WORKSPACE_RUNTIME', value: 'codex' },
        { name: 'API_TOKEN', value: 'not-for-logs' },
      ],
    },
  ],
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Alive and not a zombie (an orphan of a killed stack waits for init to reap it). */
const isRunning = (pid: number): boolean => {
  if (!isAlive(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('the process driver', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  const open = (...args: Parameters<typeof ecsHarness>): EcsHarness => {
    const harness = ecsHarness({ driver: 'process', stopTimeoutMs: 3000, ...args[0] });
    cleanups.unshift(() => harness.close());
    return harness;
  };

  it('runs the stand-in workspace with the override environment, then stops it with SIGTERM', async () => {
    const { ecs, lines, stateChanges } = open();
    const taskArn = ecs.runTask(runTaskRequest({ startedBy: 'ws-1', overrides: ENVIRONMENT })).tasks[0]
      ?.taskArn as string;
    await waitFor(() => stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING');

    const running = lines.find((line) => line.includes(' RUNNING '));
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(running ?? '')?.[0];
    expect(url).toBeDefined();
    // The stand-in's report (issue 12): its id and kind, variable names only, the files of its configs.
    const report = (await (await fetch(url as string)).json()) as { env: string[] };
    expect(report).toEqual({
      workspaceId: 'ws-1',
      kind: 'unknown',
      env: expect.arrayContaining(['API_TOKEN', 'AWS_REGION', 'PORT', 'WORKSPACE_ID', 'WORKSPACE_RUNTIME']),
      configs: [],
      data: [],
    });
    expect(report.env).toEqual([...report.env].sort());
    expect(JSON.stringify(report)).not.toContain('not-for-logs');
    const printed = lines.join('\n');
    expect(printed).toContain('workspace-stand-in: WORKSPACE_ID=ws-1');
    expect(printed).toMatch(/environment names: .*PORT/);
    expect(printed).not.toContain('not-for-logs');
    expect(printed).not.toContain('API_TOKEN');

    ecs.stopTask({ cluster: 'workspaces', task: taskArn, reason: 'done' });
    await waitFor(() => stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');

    expect(stateChanges(taskArn).map((detail) => [detail.lastStatus, detail.version])).toEqual([
      ['PROVISIONING', 1],
      ['PENDING', 2],
      ['RUNNING', 3],
      ['RUNNING', 4],
      ['STOPPED', 5],
    ]);
    expect(stateChanges(taskArn).at(-1)).toMatchObject({
      stopCode: 'UserInitiated',
      stoppedReason: 'done',
      containers: [{ lastStatus: 'STOPPED', exitCode: 0 }],
    });
  });

  it('reports the exit code of a workspace that exits on its own', async () => {
    const { ecs, stateChanges } = open({
      taskDefinitions: [
        { ...CODEX, localCommand: [process.execPath, '-e', 'setTimeout(() => process.exit(3), 50)'] },
      ],
    });
    const taskArn = ecs.runTask(runTaskRequest()).tasks[0]?.taskArn as string;
    await waitFor(() => stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');

    expect(stateChanges(taskArn).map((detail) => detail.lastStatus)).toEqual([
      'PROVISIONING',
      'PENDING',
      'RUNNING',
      'STOPPED',
    ]);
    expect(stateChanges(taskArn).at(-1)).toMatchObject({
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [{ exitCode: 3 }],
    });
    // The provisioner reads this stop as the workspace crashing.
    expect(stopCauseOf(EcsTaskStateChangeDetail.parse(stateChanges(taskArn).at(-1)))).toBe('crashed');
  });

  it("records the stand-in's exit on POST /exit as its essential container exiting: a crash with that code", async () => {
    const { ecs, lines, stateChanges } = open();
    const taskArn = ecs.runTask(runTaskRequest({ startedBy: 'ws-1', overrides: ENVIRONMENT })).tasks[0]
      ?.taskArn as string;
    await waitFor(() => stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING');
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(lines.find((line) => line.includes(' RUNNING ')) ?? '')?.[0];

    const response = await fetch(`${url}/exit`, { method: 'POST', body: JSON.stringify({ code: 3 }) });
    expect(response.status).toBe(202);
    await waitFor(() => stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');

    const stopped = stateChanges(taskArn).at(-1);
    expect(stopped).toMatchObject({
      stopCode: 'EssentialContainerExited',
      containers: [{ lastStatus: 'STOPPED', exitCode: 3 }],
    });
    expect(stopCauseOf(EcsTaskStateChangeDetail.parse(stopped))).toBe('crashed');
  });

  it('kills a workspace that ignores SIGTERM once the stop timeout passes', async () => {
    const { ecs, lines, stateChanges } = open({
      stopTimeoutMs: 200,
      taskDefinitions: [
        {
          ...CODEX,
          localCommand: [
            process.execPath,
            '-e',
            "process.on('SIGTERM', () => {}); console.log('ignoring SIGTERM'); setInterval(() => {}, 1000)",
          ],
        },
      ],
    });
    const taskArn = ecs.runTask(runTaskRequest()).tasks[0]?.taskArn as string;
    await waitFor(() => lines.some((line) => line.endsWith('| ignoring SIGTERM')), 'the SIGTERM handler');

    ecs.stopTask({ cluster: 'workspaces', task: taskArn });
    await waitFor(() => stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');

    expect(stateChanges(taskArn).at(-1)).toMatchObject({
      stopCode: 'UserInitiated',
      containers: [{ exitCode: 137 }],
    });
    // A SIGKILL after a StopTask is the stop that was asked for, not a workspace out of memory.
    expect(stopCauseOf(EcsTaskStateChangeDetail.parse(stateChanges(taskArn).at(-1)))).toBe('requested');
  });

  it('stops a task whose command cannot be spawned with TaskFailedToStart', async () => {
    const { ecs, stateChanges } = open({
      taskDefinitions: [{ ...CODEX, localCommand: ['/definitely/not/a/command'] }],
    });
    const taskArn = ecs.runTask(runTaskRequest()).tasks[0]?.taskArn as string;
    await waitFor(() => stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');

    const stopped = stateChanges(taskArn).at(-1) as Record<string, unknown>;
    expect(stopped).toMatchObject({ stopCode: 'TaskFailedToStart', stoppedReason: 'Task failed to start' });
    expect(stopped.startedAt).toBeUndefined();
    expect((stopped.containers as Array<{ reason?: string }>)[0]?.reason).toMatch(
      /^CannotStartContainerError: .*ENOENT/,
    );
  });

  it('stops its workspaces on close and records why', async () => {
    const harness = ecsHarness({ driver: 'process', stopTimeoutMs: 3000 });
    const taskArn = harness.ecs.runTask(runTaskRequest()).tasks[0]?.taskArn as string;
    await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING');

    await harness.ecs.close();

    expect(harness.stateChanges(taskArn).at(-1)).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'Local stack shut down',
      containers: [{ exitCode: 0 }],
    });
    harness.database.close();
  });

  /**
   * Runs the crashing stack fixture (one task on the process driver over a state directory), waits
   * for its `RUNNING` (or, with `stop`, `STOPPING`) line, SIGKILLs it and opens the same database.
   */
  async function killStackWithOneTask(
    options: { localCommand?: readonly string[]; afterRunning?: 'stop' } = {},
  ): Promise<{ taskArn: string; pid: number; database: ReturnType<typeof openDatabase> }> {
    const state = temporaryStateDir();
    cleanups.push(state.remove);
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const fixture = fileURLToPath(new URL('./fixtures/crashing-stack.ts', import.meta.url));
    const args = [
      fixture,
      state.dir,
      options.localCommand ? JSON.stringify(options.localCommand) : '',
      options.afterRunning ?? '',
    ];
    const stack = spawn(process.execPath, ['--import', tsx, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(() => {
      stack.kill('SIGKILL');
    });
    const awaited = options.afterRunning === 'stop' ? 'STOPPING ' : 'RUNNING ';
    const taskArn = await new Promise<string>((resolve, reject) => {
      stack.once('exit', (code) => reject(new Error(`the stack exited early (${code})`)));
      createInterface({ input: stack.stdout }).on('line', (line) => {
        if (line.startsWith(awaited)) resolve(line.slice(awaited.length));
      });
    });
    const database = openDatabase(state.dir);
    cleanups.unshift(() => database.close());
    const row = database.db.prepare('SELECT task_json FROM ecs_tasks WHERE task_arn = ?').get(taskArn) as {
      task_json: string;
    };
    const pid = (JSON.parse(row.task_json) as { local: { pid: number } }).local.pid;
    // A process that outlives the stack must not outlive the test.
    cleanups.push(() => {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    });
    stack.removeAllListeners('exit');
    stack.kill('SIGKILL');
    return { taskArn, pid, database };
  }

  it('runs a task on after its stack was killed: the stand-in is spawned again on a new port', async () => {
    const { taskArn, pid, database } = await killStackWithOneTask();
    await waitFor(() => !isAlive(pid), 'the stand-in to exit with its stack');

    const restarted = open({ database, bus: createEventBus(database) });
    await restarted.ecs.reconciled;
    await waitFor(() => restarted.stateChanges(taskArn).length === 4, 'the task RUNNING again');

    const changes = restarted.stateChanges(taskArn);
    expect(changes.map((detail) => [detail.lastStatus, detail.desiredStatus, detail.version])).toEqual([
      ['PROVISIONING', 'RUNNING', 1],
      ['PENDING', 'RUNNING', 2],
      ['RUNNING', 'RUNNING', 3],
      ['RUNNING', 'RUNNING', 4],
    ]);
    // Still the task that started before the crash: the same start time, a new process.
    expect(changes[3]?.startedAt).toBe(changes[2]?.startedAt);
    const row = database.db.prepare('SELECT task_json FROM ecs_tasks WHERE task_arn = ?').get(taskArn) as {
      task_json: string;
    };
    const local = (JSON.parse(row.task_json) as { local: { pid: number; port: number } }).local;
    expect(local.pid).not.toBe(pid);
    expect(await (await fetch(`http://127.0.0.1:${local.port}`)).json()).toMatchObject({ configs: [] });
    expect(restarted.ecs.listTasks({ cluster: 'workspaces', startedBy: 'ws-crash' }).taskArns).toEqual([
      taskArn,
    ]);
  });

  it('adopts a localCommand process that outlived its killed stack, and stops it on StopTask', async () => {
    // Reads nothing from stdin, so the stack's death does not end it.
    const survivor = { ...CODEX, localCommand: [process.execPath, '-e', 'setInterval(() => {}, 1000)'] };
    const { taskArn, pid, database } = await killStackWithOneTask({ localCommand: survivor.localCommand });

    const restarted = open({ database, bus: createEventBus(database), taskDefinitions: [survivor] });
    await restarted.ecs.reconciled;

    expect(isAlive(pid)).toBe(true);
    expect(restarted.stateChanges(taskArn).map((detail) => detail.version)).toEqual([1, 2, 3]);
    expect(restarted.lines.join('\n')).toContain(`adopted its process ${pid}`);

    restarted.ecs.stopTask({ cluster: 'workspaces', task: taskArn, reason: 'done' });
    await waitFor(() => restarted.stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');

    expect(isRunning(pid)).toBe(false);
    expect(restarted.stateChanges(taskArn).at(-1)).toMatchObject({
      stopCode: 'UserInitiated',
      stoppedReason: 'done',
      version: 5,
    });
  });

  it('records a task that was stopping when its stack was killed as STOPPED when the stack starts again', async () => {
    const stubborn = {
      ...CODEX,
      localCommand: [process.execPath, '-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"],
    };
    const { taskArn, database } = await killStackWithOneTask({
      localCommand: stubborn.localCommand,
      afterRunning: 'stop',
    });

    const restarted = open({ database, bus: createEventBus(database), taskDefinitions: [stubborn] });
    await restarted.ecs.reconciled;

    expect(
      restarted.stateChanges(taskArn).map((detail) => [detail.lastStatus, detail.desiredStatus]),
    ).toEqual([
      ['PROVISIONING', 'RUNNING'],
      ['PENDING', 'RUNNING'],
      ['RUNNING', 'RUNNING'],
      ['RUNNING', 'STOPPED'],
      ['STOPPED', 'STOPPED'],
    ]);
    expect(restarted.stateChanges(taskArn).at(-1)).toMatchObject({
      stopCode: 'UserInitiated',
      stoppedReason: 'test stop',
      version: 5,
    });
    expect(restarted.ecs.listTasks({ cluster: 'workspaces', startedBy: 'ws-crash' }).taskArns).toEqual([]);
  });

  it('stops a task that ran before the restart and cannot be spawned again as exited, not as failed to start', async () => {
    const { taskArn, pid, database } = await killStackWithOneTask();
    await waitFor(() => !isAlive(pid), 'the stand-in to exit with its stack');

    const restarted = open({
      database,
      bus: createEventBus(database),
      taskDefinitions: [{ ...CODEX, localCommand: ['/definitely/not/a/command'] }],
    });
    await restarted.ecs.reconciled;
    await waitFor(() => restarted.stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');

    expect(restarted.stateChanges(taskArn).at(-1)).toMatchObject({
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Local stack restarted; the task process could not be spawned again',
      version: 4,
    });
  });
});
