/** The ECS agent in front of a driver, after a restart of the stack (adopt): what it prepares again and what it leaves. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBootBundle } from '#core/boot-bundle.ts';
import { s3ObjectArn } from '#core/workspace-files.ts';
import type { TaskDriver, TaskLaunch } from '#local/ecs/drivers/types.ts';
import { configsDirectoryOf, withTaskAgent } from '#local/ecs/task-agent.ts';
import { CODEX_WITH_BOOT, temporaryStateDir } from '../helpers.ts';
import { taskIn } from './task-fixture.ts';

const overrides = {
  containerOverrides: [
    {
      name: 'workspace',
      environmentFiles: [{ type: 's3', value: s3ObjectArn('workspace-files', 'orgs/o/secrets/org.env') }],
    },
    {
      name: 'boot',
      environmentFiles: [{ type: 's3', value: s3ObjectArn('workspace-files', 'boot/o/w/r.env') }],
    },
  ],
};
const OBJECTS = new Map<string, string>([
  ['orgs/o/secrets/org.env', 'TOKEN_NAME_ONLY=v\n'],
  ['boot/o/w/r.env', encodeBootBundle([{ path: 'config.yaml', content: Buffer.from('fresh: true\n') }])],
]);

describe('the ECS agent on adopt', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  function agent() {
    const state = temporaryStateDir();
    cleanups.push(state.remove);
    const adopted: Array<TaskLaunch | undefined> = [];
    const events: string[] = [];
    const driver: TaskDriver = {
      name: 'process',
      start: () => {},
      stop: () => {},
      adopt: (_task, _definition, launch) => {
        adopted.push(launch);
      },
      close: async () => {},
    };
    const wrapped = withTaskAgent(driver, {
      envFiles: {
        get: (_bucket, key) =>
          OBJECTS.has(key) ? { body: Buffer.from(OBJECTS.get(key) as string) } : undefined,
      },
      configsRoot: state.dir,
      hooks: {
        pending: () => events.push('pending'),
        running: () => events.push('running'),
        stopped: () => events.push('stopped'),
        bootStepExited: (_arn, name, code) => events.push(`${name} exited ${code}`),
        dataVolumeAttached: () => events.push('volume attached'),
      },
      log: () => {},
    });
    return { wrapped, adopted, events, root: state.dir };
  }

  it('keeps the configs volume of a task that ran before the restart and gives the driver its env files again', async () => {
    const { wrapped, adopted, events, root } = agent();
    const task = taskIn('RUNNING', 'RUNNING', { overrides, startedAt: 2_000 });
    const directory = configsDirectoryOf(root, task.taskId);
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, 'config.yaml'), 'written before the restart\n');
    await wrapped.adopt(task, CODEX_WITH_BOOT);
    expect(events).toEqual(['pending']);
    expect(adopted).toEqual([
      {
        environmentFileVariables: { TOKEN_NAME_ONLY: 'v' },
        configsDirectory: directory,
        configsMountPath: '/configs',
        pending: true,
      },
    ]);
    expect(readFileSync(join(directory, 'config.yaml'), 'utf8')).toBe('written before the restart\n');
  });

  it('runs the boot step of a task the restart caught before the agent did, then hands it to the driver', async () => {
    const { wrapped, adopted, events, root } = agent();
    const task = taskIn('PROVISIONING', 'RUNNING', { overrides });
    await wrapped.adopt(task, CODEX_WITH_BOOT);
    expect(events).toEqual(['pending', 'boot exited 0']);
    expect(adopted).toHaveLength(1);
    expect(readFileSync(join(configsDirectoryOf(root, task.taskId), 'config.yaml'), 'utf8')).toBe(
      'fresh: true\n',
    );
  });

  it('leaves a task that was stopping to its driver without preparing anything', async () => {
    const { wrapped, adopted, events, root } = agent();
    const task = taskIn('RUNNING', 'STOPPED', { overrides, startedAt: 2_000 });
    await wrapped.adopt(task, CODEX_WITH_BOOT);
    expect(events).toEqual([]);
    expect(adopted).toEqual([undefined]);
    expect(existsSync(configsDirectoryOf(root, task.taskId))).toBe(false);
  });

  it('stops a task whose configs directory cannot be written as failed to start, instead of crashing the stack', async () => {
    const state = temporaryStateDir();
    cleanups.push(state.remove);
    const blocked = join(state.dir, 'a-file');
    writeFileSync(blocked, 'not a directory');
    const outcomes: unknown[] = [];
    let started = 0;
    const wrapped = withTaskAgent(
      { name: 'process', start: () => started++, stop: () => {}, adopt: () => {}, close: async () => {} },
      {
        envFiles: {
          get: (_bucket, key) =>
            OBJECTS.has(key) ? { body: Buffer.from(OBJECTS.get(key) as string) } : undefined,
        },
        configsRoot: blocked,
        hooks: {
          pending: () => {},
          running: () => {},
          stopped: (_arn, outcome) => outcomes.push(outcome),
          bootStepExited: () => {},
          dataVolumeAttached: () => {},
        },
        log: () => {},
      },
    );
    wrapped.start(taskIn('PROVISIONING', 'RUNNING', { overrides }), CODEX_WITH_BOOT);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toBe(0);
    expect(outcomes).toEqual([
      { failedToStart: true, stoppedReason: expect.stringMatching(/^CannotStartContainerError: /) },
    ]);
  });
});
