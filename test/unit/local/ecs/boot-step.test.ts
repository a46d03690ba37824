/**
 * The ECS emulator's agent: `environmentFiles` in RunTask overrides (validated, downloaded from the
 * local S3 before any container runs), the boot step (its bundle decoded into the task's configs
 * directory, its container STOPPED with the exit code), and the containers and ENI attachment that
 * DescribeTasks and the task state change events report. Driven by the real ECS and S3 clients.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeTasksCommand,
  ECSClient,
  InvalidParameterException,
  RunTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBootBundle, sha256Hex } from '#core/boot-bundle.ts';
import { bootBundleKey, s3ObjectArn, secretsKey } from '#core/workspace-files.ts';
import { localClientConfig } from '#local/clients.ts';
import { createEcsEmulator, type EcsTaskDefinition } from '#local/ecs/index.ts';
import { createEventBridgeEmulator, createEventBus } from '#local/eventbridge/index.ts';
import type { AcceptedEvent } from '#local/interfaces.ts';
import { createS3ObjectStore, s3Route } from '#local/s3/index.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';
import { createLocalServer } from '#local/wire/index.ts';
import { CODEX_WITH_BOOT, NETWORK, temporaryStateDir, waitFor } from '../helpers.ts';

const BUCKET = 'workspace-files';
const SECRET_VALUE = 'sk-ant-never-in-any-event';

describe('the ECS agent: env files and the boot step', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function start(definition: EcsTaskDefinition = CODEX_WITH_BOOT) {
    const state = temporaryStateDir();
    const database = openDatabase(IN_MEMORY);
    const bus = createEventBus(database);
    const objects = createS3ObjectStore(database);
    const configsDirectory = join(state.dir, 'configs');
    const ecs = createEcsEmulator({
      database,
      bus,
      driver: 'simulated',
      simulatedStepMs: 1,
      taskDefinitions: [definition],
      envFiles: objects,
      configsDirectory,
    });
    const server = await createLocalServer({
      port: 0,
      eventBridge: createEventBridgeEmulator({ bus }),
      ecs,
      bus,
      ready: () => true,
      routes: [s3Route({ store: objects, buckets: [BUCKET] })],
    });
    const config = localClientConfig(server.url, 'us-east-1', { maxAttempts: 1 });
    const ecsClient = new ECSClient(config);
    const s3 = new S3Client({ ...config, forcePathStyle: true });
    cleanups.unshift(async () => {
      ecsClient.destroy();
      s3.destroy();
      await server.close();
      await ecs.close();
      database.close();
      state.remove();
    });
    const stateChanges = (taskArn: string) =>
      bus
        .list({ detailType: 'ECS Task State Change' })
        .map((event: AcceptedEvent) => event.envelope.detail as Task & Record<string, unknown>)
        .filter((detail) => detail.taskArn === taskArn);
    const describe = async (taskArn: string): Promise<Task> =>
      (await ecsClient.send(new DescribeTasksCommand({ cluster: 'workspaces', tasks: [taskArn] })))
        .tasks?.[0] as Task;
    const run = async (containerOverrides: unknown[]) =>
      (
        await ecsClient.send(
          new RunTaskCommand({
            cluster: 'workspaces',
            taskDefinition: definition.family,
            launchType: 'FARGATE',
            networkConfiguration: NETWORK as never,
            overrides: { containerOverrides: containerOverrides as never },
          }),
        )
      ).tasks?.[0]?.taskArn as string;
    return { ecsClient, s3, bus, stateChanges, describe, run, configsDirectory };
  }

  const bundleFiles = [
    { path: 'config.yaml', content: Buffer.from('model: claude\nname: concierge\n') },
    { path: 'prompts/concierge.md', content: Buffer.from('# You are the concierge\n') },
  ];
  const bootOverride = (key: string) => ({
    name: 'boot',
    environmentFiles: [{ type: 's3', value: s3ObjectArn(BUCKET, key) }],
  });

  it('runs the boot step into the task configs directory, reports it exited 0 before RUNNING, and shows both containers and the ENI', async () => {
    const { s3, run, describe, stateChanges, configsDirectory } = await start();
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: bootBundleKey('o-1', 'ws-1', 'r-1'),
        Body: encodeBootBundle(bundleFiles),
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: secretsKey('org', 'o-1', 'ws-1'),
        Body: `ANTHROPIC_API_KEY=${SECRET_VALUE}\n`,
      }),
    );
    const orgArn = s3ObjectArn(BUCKET, secretsKey('org', 'o-1', 'ws-1'));
    const taskArn = await run([
      {
        name: 'workspace',
        environment: [{ name: 'WORKSPACE_ID', value: 'ws-1' }],
        environmentFiles: [{ type: 's3', value: orgArn }],
      },
      bootOverride(bootBundleKey('o-1', 'ws-1', 'r-1')),
    ]);
    await waitFor(() => stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING');

    const directory = join(configsDirectory, taskArn.split('/').at(-1) as string);
    for (const file of bundleFiles) {
      expect(sha256Hex(readFileSync(join(directory, file.path)))).toBe(sha256Hex(file.content));
    }

    const changes = stateChanges(taskArn);
    const bootOf = (task: Task) => task.containers?.find((container) => container.name === 'boot');
    const bootExited = changes.findIndex((change) => bootOf(change)?.lastStatus === 'STOPPED');
    const running = changes.findIndex((change) => change.lastStatus === 'RUNNING');
    expect(bootExited).toBeGreaterThanOrEqual(0);
    expect(bootExited).toBeLessThan(running);
    expect(bootOf(changes[bootExited] as Task)?.exitCode).toBe(0);

    const task = await describe(taskArn);
    expect(
      task.containers?.map((container) => [container.name, container.lastStatus, container.exitCode]),
    ).toEqual([
      ['workspace', 'RUNNING', undefined],
      ['boot', 'STOPPED', 0],
    ]);
    const eni = task.attachments?.[0];
    expect(eni?.type).toBe('ElasticNetworkInterface');
    expect(eni?.status).toBe('ATTACHED');
    const address = eni?.details?.find((detail) => detail.name === 'privateIPv4Address')?.value;
    expect(address).toMatch(/^10\.0\.\d{1,3}\.\d{1,3}$/);
    expect(eni?.details?.find((detail) => detail.name === 'subnetId')?.value).toBe('subnet-local');
    expect((changes.at(-1)?.attachments as Task['attachments'])?.[0]?.details).toEqual(eni?.details);

    // Overrides carry the env files' ARNs; no value of a file appears anywhere ECS reports.
    expect(task.overrides?.containerOverrides?.[0]?.environmentFiles).toEqual([
      { type: 's3', value: orgArn },
    ]);
    expect(JSON.stringify(task)).not.toContain(SECRET_VALUE);
    expect(JSON.stringify(changes)).not.toContain(SECRET_VALUE);
    expect(JSON.stringify(changes)).not.toContain(bundleFiles[0]?.content.toString('base64'));
  });

  it('removes the configs directory when the task stops', async () => {
    const { s3, run, stateChanges, configsDirectory, ecsClient } = await start();
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'boot/o/w/r.env', Body: encodeBootBundle(bundleFiles) }),
    );
    const taskArn = await run([bootOverride('boot/o/w/r.env')]);
    await waitFor(() => stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING');
    const directory = join(configsDirectory, taskArn.split('/').at(-1) as string);
    expect(existsSync(join(directory, 'config.yaml'))).toBe(true);
    const { StopTaskCommand } = await import('@aws-sdk/client-ecs');
    await ecsClient.send(new StopTaskCommand({ cluster: 'workspaces', task: taskArn }));
    await waitFor(() => stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');
    expect(existsSync(directory)).toBe(false);
    expect(stateChanges(taskArn).at(-1)?.attachments?.[0]?.status).toBe('DELETED');
  });

  it('stops a task whose env file is missing with TaskFailedToStart and a ResourceInitializationError, running nothing', async () => {
    const { run, stateChanges, describe } = await start();
    const taskArn = await run([
      {
        name: 'workspace',
        environmentFiles: [
          { type: 's3', value: s3ObjectArn(BUCKET, secretsKey('workspace', 'o-1', 'ws-1')) },
        ],
      },
    ]);
    await waitFor(() => stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');
    const task = await describe(taskArn);
    expect(task.stopCode).toBe('TaskFailedToStart');
    expect(task.stoppedReason).toMatch(
      /^ResourceInitializationError: failed to download env files: .*secrets\.env.*NoSuchKey/,
    );
    expect(stateChanges(taskArn).some((change) => change.lastStatus === 'RUNNING')).toBe(false);
    expect(task.containers?.every((container) => container.exitCode === undefined)).toBe(true);
  });

  const badBundles: Array<{ name: string; body: () => string; exitCode: number }> = [
    {
      name: 'a file that does not match its sha256',
      body: () =>
        encodeBootBundle(bundleFiles).replace(
          /BOOT_FILE_0_SHA256=[0-9a-f]+/,
          `BOOT_FILE_0_SHA256=${'0'.repeat(64)}`,
        ),
      exitCode: 66,
    },
    {
      name: 'a path outside /configs',
      body: () =>
        'BOOT_FILE_COUNT=1\nBOOT_FILE_0_PATH=../escape\nBOOT_FILE_0_SHA256=x\nBOOT_FILE_0_CHUNKS=0\n',
      exitCode: 65,
    },
  ];
  it.each(badBundles)(
    'fails the task when the boot bundle has $name: boot exits $exitCode, the workspace never starts',
    async ({ body, exitCode }) => {
      const { s3, run, stateChanges, describe } = await start();
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'boot/o/w/bad.env', Body: body() }));
      const taskArn = await run([bootOverride('boot/o/w/bad.env')]);
      await waitFor(() => stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');
      const task = await describe(taskArn);
      expect(task.stopCode).toBe('TaskFailedToStart');
      const boot = task.containers?.find((container) => container.name === 'boot');
      const workspace = task.containers?.find((container) => container.name === 'workspace');
      expect(boot?.exitCode).toBe(exitCode);
      expect(workspace?.exitCode).toBeUndefined();
      expect(stateChanges(taskArn).some((change) => change.lastStatus === 'RUNNING')).toBe(false);
    },
  );

  // EnvironmentFile (ECS API Reference, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_EnvironmentFile.html):
  // "You can specify up to ten environment files. The file must have a .env file extension." The
  // type's only supported value is s3 and the value is "the Amazon Resource Name (ARN) of the Amazon
  // S3 object containing the environment variable file".
  const arn = (key: string) => s3ObjectArn(BUCKET, key);
  const invalidOverrides: Array<{ name: string; overrides: unknown[]; message: RegExp }> = [
    {
      name: 'a type other than s3',
      overrides: [{ name: 'workspace', environmentFiles: [{ type: 'ssm', value: arn('a.env') }] }],
      message: /only supported type is s3/,
    },
    {
      name: 'a value that is not an S3 object ARN',
      overrides: [
        { name: 'workspace', environmentFiles: [{ type: 's3', value: 's3://workspace-files/a.env' }] },
      ],
      message: /not the ARN of an S3 object/,
    },
    {
      name: 'a file without the .env extension',
      overrides: [{ name: 'workspace', environmentFiles: [{ type: 's3', value: arn('a.txt') }] }],
      message: /\.env file extension/,
    },
    {
      name: 'eleven files for one container',
      overrides: [
        {
          name: 'workspace',
          environmentFiles: Array.from({ length: 11 }, (_, index) => ({
            type: 's3',
            value: arn(`f${index}.env`),
          })),
        },
      ],
      message: /at most 10/,
    },
    {
      name: 'an override for a container the definition lacks',
      overrides: [{ name: 'sidecar' }],
      message: /not a container in the TaskDefinition/,
    },
  ];
  it.each(invalidOverrides)(
    'refuses $name with InvalidParameterException',
    async ({ overrides, message }) => {
      const { run } = await start();
      const error = await run(overrides).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidParameterException);
      expect((error as Error).message).toMatch(message);
    },
  );

  it('accepts ten env files and an override for the boot container, and reports an override entry per container', async () => {
    const { run, describe, s3 } = await start();
    for (let index = 0; index < 10; index += 1) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `f${index}.env`, Body: `V${index}=x\n` }));
    }
    const taskArn = await run([
      {
        name: 'workspace',
        environmentFiles: Array.from({ length: 10 }, (_, index) => ({
          type: 's3',
          value: arn(`f${index}.env`),
        })),
      },
    ]);
    const task = await describe(taskArn);
    expect(task.overrides?.containerOverrides?.map((override) => override.name)).toEqual([
      'workspace',
      'boot',
    ]);
  });
});
