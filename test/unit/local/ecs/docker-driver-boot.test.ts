/**
 * The docker driver with the boot step and env files, against a real engine (skipped visibly, as the
 * other docker tests are, where none answers): the task's configs directory is bind-mounted at
 * /configs, the env files' variables reach the container through a temporary `--env-file` and never
 * on a command line, and the task's address is the container's bridge IP on the container port.
 */
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '#config/catalog.ts';
import { encodeBootBundle, sha256Hex } from '#core/boot-bundle.ts';
import { s3ObjectArn } from '#core/workspace-files.ts';
import { createS3ObjectStore } from '#local/s3/index.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';
import { buildStandInImages, docker, dockerEngineFor } from '../../../docker-engine.ts';
import { CODEX_WITH_BOOT, type EcsHarness, ecsHarness, runTaskRequest, waitFor } from '../helpers.ts';

const engine = dockerEngineFor('docker-driver-boot.test.ts');
const BUCKET = 'workspace-files';
const SECRET = `sk-ant-${process.pid}-never-on-a-command-line`;
const FILES = [
  { path: 'config.yaml', content: Buffer.from('model: claude\n') },
  { path: 'prompts/concierge.md', content: Buffer.from('# concierge\n') },
];

describe.skipIf(!engine.available)('the docker driver with env files and the boot step', () => {
  let work: string;
  let harness: EcsHarness;
  let database: ReturnType<typeof openDatabase>;
  const cliLog = () => readFileSync(join(work, 'docker-cli.log'), 'utf8');

  beforeAll(() => {
    buildStandInImages();
    work = mkdtempSync(join(tmpdir(), 'docker-boot-'));
    // A docker CLI that records every command line it is given, then runs the real one.
    const cli = join(work, 'docker');
    writeFileSync(
      cli,
      `#!/bin/sh\nprintf '%s\\n' "$*" >> '${join(work, 'docker-cli.log')}'\nexec docker "$@"\n`,
    );
    chmodSync(cli, 0o755);
    database = openDatabase(IN_MEMORY);
    const objects = createS3ObjectStore(database);
    const put = (key: string, body: string) =>
      objects.put({ bucket: BUCKET, key, body: Buffer.from(body), headers: {} }, Date.now());
    put('orgs/o/secrets/org.env', `ANTHROPIC_API_KEY=${SECRET}\nSHARED=org\n`);
    put('orgs/o/workspaces/w/secrets.env', 'SHARED=workspace\n');
    put('boot/o/w/r.env', encodeBootBundle(FILES));
    harness = ecsHarness({
      database,
      driver: 'docker',
      dockerCommand: cli,
      stopTimeoutMs: 1000,
      taskDefinitions: [{ ...CODEX_WITH_BOOT, image: loadCatalog({}).runtimes.codex?.image as string }],
      envFiles: objects,
      configsDirectory: join(work, 'configs'),
    });
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
    database?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('mounts the configs at /configs, passes env files through an --env-file, and reports the bridge address', async () => {
    const taskArn = harness.ecs.runTask(
      runTaskRequest({
        overrides: {
          containerOverrides: [
            {
              name: 'workspace',
              environment: [
                { name: 'WORKSPACE_ID', value: 'ws-docker-boot' },
                { name: 'WORKSPACE_KIND', value: 'platform' },
              ],
              environmentFiles: [
                { type: 's3', value: s3ObjectArn(BUCKET, 'orgs/o/secrets/org.env') },
                { type: 's3', value: s3ObjectArn(BUCKET, 'orgs/o/workspaces/w/secrets.env') },
              ],
            },
            {
              name: 'boot',
              environmentFiles: [{ type: 's3', value: s3ObjectArn(BUCKET, 'boot/o/w/r.env') }],
            },
          ],
        },
      }),
    ).tasks[0]?.taskArn as string;
    await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING', 60_000);
    const running = harness.stateChanges(taskArn).at(-1) as {
      attachments: Array<{ details: Array<{ name: string; value: string }> }>;
      containers: Array<{ name: string; exitCode?: number }>;
    };
    expect(running.containers.find((container) => container.name === 'boot')?.exitCode).toBe(0);
    const address = running.attachments[0]?.details.find(
      (detail) => detail.name === 'privateIPv4Address',
    )?.value;
    const container = `ecs-local-${taskArn.split('/').at(-1)}`;
    expect(address).toBe(
      docker('inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', container)
        .stdout,
    );

    // The env files' values went in through a file, never on a command line; the file is gone.
    const created = cliLog()
      .split('\n')
      .find((line) => line.startsWith('create '));
    expect(created).toMatch(/--env-file \S+task\.env/);
    expect(cliLog()).not.toContain(SECRET);
    const envFile = /--env-file (\S+)/.exec(created as string)?.[1] as string;
    expect(existsSync(envFile)).toBe(false);
    expect(
      readdirSync(join(envFile, '..', '..')).includes(join(envFile, '..').split('/').at(-1) as string),
    ).toBe(false);

    // The container holds the variables (a later file winning) and finds the files at /configs.
    const env = JSON.parse(
      docker('inspect', '--format', '{{json .Config.Env}}', container).stdout,
    ) as string[];
    expect(env).toEqual(
      expect.arrayContaining([
        `ANTHROPIC_API_KEY=${SECRET}`,
        'SHARED=workspace',
        'WORKSPACE_CONFIG_PATH=/configs',
      ]),
    );
    let report: { env: string[]; configs: Array<{ path: string; sha256: string }> } | undefined;
    const deadline = Date.now() + 15_000;
    while (report === undefined) {
      try {
        report = (await (
          await fetch(`http://${address}:${CODEX_WITH_BOOT.containerPort}/`)
        ).json()) as typeof report;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(report?.configs).toEqual(
      FILES.map((file) => ({ path: file.path, sha256: sha256Hex(file.content) })),
    );
    expect(report?.env).toEqual(expect.arrayContaining(['ANTHROPIC_API_KEY', 'SHARED']));
    expect(JSON.stringify(report)).not.toContain(SECRET);
  }, 120_000);
});
