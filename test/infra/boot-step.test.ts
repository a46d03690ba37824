import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '#config/catalog.ts';
import { ConfigError } from '#config/errors.ts';
import { DATA_VOLUME_NAME } from '#contracts/names.ts';
import { bootImageProblem } from '#infra/boot-image.ts';
import { parseSettings } from '#infra/settings.ts';
import { BOOT_STEP, DEFAULT_BOOT_IMAGE } from '#wiring/boot-step.ts';
import { buildStack, resourcesOf, statementsOfRole, synth } from './fixtures.ts';

const { template } = synth();
const runtimes = Object.keys(loadCatalog().runtimes);
type ContainerDefinition = Record<string, unknown> & { Name: string; Image: string };
const definitionOf = (tmpl: ReturnType<typeof synth>['template'], runtime: string) => {
  const found = Object.values(resourcesOf(tmpl, 'AWS::ECS::TaskDefinition')).find(
    (definition) => definition.Properties.Family === `workspace-${runtime}`,
  );
  if (!found) throw new Error(`no task definition for ${runtime}`);
  return found.Properties;
};
const containerOf = (tmpl: ReturnType<typeof synth>['template'], runtime: string, name: string) => {
  const container = (definitionOf(tmpl, runtime).ContainerDefinitions as ContainerDefinition[]).find(
    (candidate) => candidate.Name === name,
  );
  if (!container) throw new Error(`no ${name} container for ${runtime}`);
  return container;
};
const digest = `sha256:${'ab'.repeat(32)}`;

describe('the boot step in every task definition', () => {
  it.each(runtimes)(
    'runs the boot container in workspace-%s, non-essential, with its own log stream',
    (runtime) => {
      expect(containerOf(template, runtime, 'boot')).toEqual({
        Name: BOOT_STEP.containerName,
        Image: DEFAULT_BOOT_IMAGE,
        Essential: false,
        Command: [...BOOT_STEP.command],
        MemoryReservation: BOOT_STEP.memoryReservationMiB,
        MountPoints: [{ ContainerPath: '/configs', SourceVolume: 'configs', ReadOnly: false }],
        // awslogs names the stream <prefix>/<container>/<task id>: <runtime>/boot/<task id>.
        LogConfiguration: {
          LogDriver: 'awslogs',
          Options: {
            'awslogs-group': { Ref: expect.stringMatching(/^TaskDefinitionsContainerLogs/) },
            'awslogs-stream-prefix': runtime,
            'awslogs-region': { Ref: 'AWS::Region' },
          },
        },
      });
    },
  );

  it.each(runtimes)(
    'starts the workspace of workspace-%s only after the boot step exits 0, on the same volume',
    (runtime) => {
      const dataPath = loadCatalog().runtimes[runtime]?.dataPath;
      expect(containerOf(template, runtime, 'workspace')).toMatchObject({
        Essential: true,
        DependsOn: [{ ContainerName: 'boot', Condition: 'SUCCESS' }],
        MountPoints: [
          { ContainerPath: '/configs', SourceVolume: 'configs', ReadOnly: false },
          // v1.3: and the persistent data volume at the runtime's data path (data-volumes.test.ts).
          { ContainerPath: dataPath, SourceVolume: DATA_VOLUME_NAME, ReadOnly: false },
        ],
        Environment: [{ Name: 'WORKSPACE_CONFIG_PATH', Value: '/configs' }],
      });
      // Task storage: a bind mount with no host path and no EFS, which is what Fargate gives a task;
      // v1.3: beside it, the data volume configured at launch.
      expect(definitionOf(template, runtime).Volumes).toEqual([
        { Name: 'configs' },
        { Name: DATA_VOLUME_NAME, ConfiguredAtLaunch: true },
      ]);
    },
  );

  it('takes the names and the command from wiring/boot-step.ts, which the local stack runs too', () => {
    expect(BOOT_STEP).toMatchObject({
      containerName: 'boot',
      workspaceContainerName: 'workspace',
      volumeName: 'configs',
      mountPath: '/configs',
      dependencyCondition: 'SUCCESS',
    });
    expect(BOOT_STEP.command.slice(0, 2)).toEqual(['sh', '-c']);
  });

  it('pins the default boot image by digest', () => {
    expect(bootImageProblem(DEFAULT_BOOT_IMAGE)).toBeUndefined();
  });

  it('needs no Docker to deploy: the cloud assembly has no container image asset', () => {
    const { app } = buildStack();
    const assembly = app.synth();
    const manifests = assembly.artifacts.filter(
      (artifact): artifact is AssetManifestArtifact => artifact instanceof AssetManifestArtifact,
    );
    expect(manifests.length).toBeGreaterThan(0);
    for (const manifest of manifests) {
      const contents = JSON.parse(readFileSync(path.resolve(manifest.file), 'utf8')) as {
        dockerImages?: Record<string, unknown>;
      };
      expect(contents.dockerImages ?? {}).toEqual({});
    }
  });
});

describe('bootImage', () => {
  it('runs the image given, pinned by digest, in every task definition', () => {
    const image = `public.ecr.aws/docker/library/busybox@${digest}`;
    const { template: custom } = synth({ bootImage: image });
    for (const runtime of runtimes) expect(containerOf(custom, runtime, 'boot').Image).toBe(image);
  });

  it('lets the execution role pull a boot image kept in a private ECR repository', () => {
    const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/busybox@${digest}`;
    const statements = statementsOfRole(synth({ bootImage: image }).template, 'TaskDefinitionsExecutionRole');
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      Resource: 'arn:aws:ecr:eu-west-1:123456789012:repository/mirror/busybox',
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'ecr:GetAuthorizationToken',
      Resource: '*',
    });
  });

  it('grants no ECR pull for the default image on ECR Public, which needs no credentials', () => {
    const actions = statementsOfRole(template, 'TaskDefinitionsExecutionRole').flatMap((statement) =>
      ([] as string[]).concat(statement.Action as string[]),
    );
    expect(actions.filter((action) => action.startsWith('ecr:'))).toEqual([]);
  });

  it.each([
    ['busybox:1.36.1', 'must be pinned by digest'],
    ['public.ecr.aws/docker/library/busybox', 'must be pinned by digest'],
    ['busybox@sha256:abc', 'must end in "@sha256:" and 64 lower-case hex digits'],
    [`busybox@sha256:${'AB'.repeat(32)}`, 'must end in "@sha256:" and 64 lower-case hex digits'],
  ])('refuses %s at synth, naming the option', (image, expected) => {
    expect(() => parseSettings({ bootImage: image })).toThrow(ConfigError);
    expect(() => parseSettings({ bootImage: image })).toThrow(`context option "bootImage" ${expected}`);
  });

  it.each([`busybox:1.36.1@${digest}`, `registry.example.com:5000/tools/busybox@${digest}`])(
    'accepts %s',
    (image) => {
      expect(parseSettings({ bootImage: image }).bootImage).toBe(image);
    },
  );
});
