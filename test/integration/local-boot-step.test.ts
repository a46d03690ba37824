/**
 * The local stack's own wiring of issue 12's ECS side, with the real S3 and ECS clients and the
 * process driver: what the provisioner's functions will send (secrets and the boot bundle as env
 * files in the workspace files bucket, RunTask overrides naming their ARNs) boots the stand-in on
 * its configs, reachable at the address and port DescribeTasks reports.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTasksCommand, RunTaskCommand, StopTaskCommand, type Task } from '@aws-sdk/client-ecs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '#config/catalog.ts';
import { DEFAULT_WORKSPACE_FILES_BUCKET } from '#contracts/names.ts';
import { encodeBootBundle, sha256Hex } from '#core/boot-bundle.ts';
import { bootBundleKey, s3ObjectArn, secretsKey } from '#core/workspace-files.ts';
import { localClientConfig } from '#local/clients.ts';
import { startTestStack, type TestStack } from './helpers.ts';

const Bucket = DEFAULT_WORKSPACE_FILES_BUCKET;
const SECRET = `sk-ant-${process.pid}-stays-in-its-file`;

describe('the local stack runs the boot step and env files (process driver)', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('boots the stand-in on the bundle files with the secrets as variables, reported at its address and port', async () => {
    const local: TestStack = await startTestStack({ driver: 'process' });
    cleanups.unshift(() => local.stop());
    const s3 = new S3Client({
      ...localClientConfig(local.stack.url, local.stack.region),
      forcePathStyle: true,
    });
    cleanups.unshift(() => s3.destroy());
    const files = [
      { path: 'config.yaml', content: Buffer.from('name: concierge\n') },
      { path: 'prompts/concierge.md', content: Buffer.from('# hello\n') },
    ];
    await s3.send(
      new PutObjectCommand({
        Bucket,
        Key: secretsKey('org', 'o-boot', 'ws-boot'),
        Body: `ANTHROPIC_API_KEY=${SECRET}\n`,
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket,
        Key: bootBundleKey('o-boot', 'ws-boot', 'r-boot'),
        Body: encodeBootBundle(files),
      }),
    );

    const family = loadCatalog({}).runtimes.codex?.family as string;
    const run = await local.ecs.send(
      new RunTaskCommand({
        cluster: 'workspaces',
        taskDefinition: family,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a'] } },
        overrides: {
          containerOverrides: [
            {
              name: 'workspace',
              environment: [
                { name: 'WORKSPACE_ID', value: 'ws-boot' },
                { name: 'WORKSPACE_KIND', value: 'platform' },
              ],
              environmentFiles: [
                { type: 's3', value: s3ObjectArn(Bucket, secretsKey('org', 'o-boot', 'ws-boot')) },
              ],
            },
            {
              name: 'boot',
              environmentFiles: [
                { type: 's3', value: s3ObjectArn(Bucket, bootBundleKey('o-boot', 'ws-boot', 'r-boot')) },
              ],
            },
          ],
        },
      }),
    );
    const taskArn = run.tasks?.[0]?.taskArn as string;
    let task: Task | undefined;
    const deadline = Date.now() + 20_000;
    while (task?.lastStatus !== 'RUNNING') {
      if (Date.now() > deadline) throw new Error(`the task never ran: ${JSON.stringify(task)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      task = (await local.ecs.send(new DescribeTasksCommand({ cluster: 'workspaces', tasks: [taskArn] })))
        .tasks?.[0];
    }

    const boot = task.containers?.find((container) => container.name === 'boot');
    const workspace = task.containers?.find((container) => container.name === 'workspace');
    expect(boot).toMatchObject({ lastStatus: 'STOPPED', exitCode: 0 });
    const address = task.attachments?.[0]?.details?.find(
      (detail) => detail.name === 'privateIPv4Address',
    )?.value;
    const port = workspace?.networkBindings?.[0]?.hostPort;
    expect(address).toBe('127.0.0.1');
    const report = (await (await fetch(`http://${address}:${port}/`)).json()) as {
      env: string[];
      configs: unknown;
    };
    expect(report).toMatchObject({ workspaceId: 'ws-boot', kind: 'platform' });
    expect(report.env).toContain('ANTHROPIC_API_KEY');
    expect(report.configs).toEqual(
      files.map((file) => ({ path: file.path, sha256: sha256Hex(file.content) })),
    );
    expect(JSON.stringify(task)).not.toContain(SECRET);

    // The configs volume is in the state directory while the task lives, and goes with it.
    const configs = join(local.stateDir, 'configs', taskArn.split('/').at(-1) as string);
    expect(existsSync(join(configs, 'config.yaml'))).toBe(true);
    await local.ecs.send(new StopTaskCommand({ cluster: 'workspaces', task: taskArn }));
    const stopDeadline = Date.now() + 20_000;
    while (existsSync(configs)) {
      if (Date.now() > stopDeadline) throw new Error('the configs directory outlived its task');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
});
