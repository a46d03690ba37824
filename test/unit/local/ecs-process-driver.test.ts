import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
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
    expect(await (await fetch(url as string)).json()).toEqual({ status: 'ok', workspaceId: 'ws-1' });
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

  it('records a task whose stack was killed as STOPPED when the stack starts again', async () => {
    const state = temporaryStateDir();
    cleanups.push(state.remove);
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const fixture = fileURLToPath(new URL('./fixtures/crashing-stack.ts', import.meta.url));
    const stack = spawn(process.execPath, ['--import', tsx, fixture, state.dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(() => {
      stack.kill('SIGKILL');
    });
    const taskArn = await new Promise<string>((resolve, reject) => {
      stack.once('exit', (code) => reject(new Error(`the stack exited early (${code})`)));
      createInterface({ input: stack.stdout }).on('line', (line) => {
        if (line.startsWith('RUNNING ')) resolve(line.slice('RUNNING '.length));
      });
    });

    const database = openDatabase(state.dir);
    cleanups.unshift(() => database.close());
    const row = database.db.prepare('SELECT task_json FROM ecs_tasks WHERE task_arn = ?').get(taskArn) as {
      task_json: string;
    };
    const pid = (JSON.parse(row.task_json) as { local: { pid: number } }).local.pid;
    stack.removeAllListeners('exit');
    stack.kill('SIGKILL');
    await waitFor(() => !isAlive(pid), 'the stand-in to exit with its stack');

    const restarted = open({ database, bus: createEventBus(database) });
    await restarted.ecs.reconciled;

    expect(restarted.stateChanges(taskArn).map((detail) => detail.lastStatus)).toEqual([
      'PROVISIONING',
      'PENDING',
      'RUNNING',
      'STOPPED',
    ]);
    expect(restarted.stateChanges(taskArn).at(-1)).toMatchObject({
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Local stack restarted; the task process is gone',
      version: 4,
    });
    expect(restarted.ecs.listTasks({ cluster: 'workspaces', startedBy: 'ws-crash' }).taskArns).toEqual([]);
  });
});
