/**
 * RunTask's `volumeConfigurations` on the local ECS (v1.3): what ECS refuses, with its message where
 * ECS's wording is known, and what it accepts; the task's `AmazonElasticBlockStorage` attachment in
 * RunTask's and DescribeTasks' answers; and the clientToken's request hash covering the volume.
 *
 * Sources (ECS API Reference unless said): `Volume` ("only one volume configured at launch is
 * supported"); `TaskVolumeConfiguration` (`name` "must match the volume name from the Volume object
 * in the task definition"; `managedEBSVolume` not required); `TaskManagedEBSVolumeConfiguration`
 * (`roleArn` required; "You must specify either a volume size or a snapshot ID"; sizes gp2/gp3
 * 1-16,384, io1/io2 4-16,384, st1/sc1 125-16,384; "The magnetic volume type is not supported on
 * Fargate"; `iops` "is required for io1 and io2 volume types"; filesystem types ext3, ext4, xfs);
 * `TaskManagedEBSVolumeTerminationPolicy` (`deleteOnTermination` "If no value is specified, the
 * default value is true"); `EBSTagSpecification` (resource type `volume`; "`AmazonECSCreated` and
 * `AmazonECSManaged` are reserved tags that can't be used"); `Attachment` ("For Elastic Block
 * Storage, this includes `roleArn`, `deleteOnTermination`, `volumeName`, `volumeId`"). ECS's message
 * for a volume configuration naming no `configuredAtLaunch` volume, "Volume configuration provided but
 * no matching configuredAtLaunch volume found in task definition.", is quoted from ECS's answer in
 * go-to-k/cdkd pull request 811.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EcsTaskDefinition } from '#local/ecs/index.ts';
import { NO_MATCHING_VOLUME_MESSAGE } from '#local/ecs/volume-configuration.ts';
import { CODEX, type EcsHarness, ecsHarness, runTaskRequest, temporaryStateDir, thrown } from '../helpers.ts';
import { type FakeDataVolumes, fakeDataVolumes } from './fake-data-volumes.ts';

const ROLE_ARN = 'arn:aws:iam::000000000000:role/WorkspaceProvisioner-ecs-infrastructure';
const CODEX_WITH_DATA: EcsTaskDefinition = {
  ...CODEX,
  dataVolume: { name: 'workspace-data', mountPath: '/workspace' },
};

/** A `volumeConfigurations` entry for `workspace-data`, with `managed` over a valid gp3 volume. */
function volumeConfiguration(managed: Record<string, unknown> = {}, name = 'workspace-data') {
  return {
    name,
    managedEBSVolume: {
      roleArn: ROLE_ARN,
      sizeInGiB: 20,
      volumeType: 'gp3',
      filesystemType: 'ext4',
      terminationPolicy: { deleteOnTermination: false },
      tagSpecifications: [{ resourceType: 'volume', tags: [{ key: 'workspace-id', value: 'ws-1' }] }],
      ...managed,
    },
  };
}

describe('RunTask volumeConfigurations', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  function open(definition: EcsTaskDefinition = CODEX_WITH_DATA): EcsHarness & { volumes: FakeDataVolumes } {
    const state = temporaryStateDir();
    const volumes = fakeDataVolumes(state.dir);
    const harness = ecsHarness({ taskDefinitions: [definition], dataVolumes: volumes });
    cleanups.push(async () => {
      await harness.close();
      state.remove();
    });
    return { ...harness, volumes };
  }

  it.each<{ why: string; configurations: unknown[]; code?: string; message: string | RegExp }>([
    {
      why: 'two volume configurations (only one volume configured at launch is supported)',
      configurations: [volumeConfiguration(), volumeConfiguration()],
      message: /^Only one volume configured at launch is supported/,
    },
    {
      why: 'a name that is no configuredAtLaunch volume of the task definition',
      configurations: [volumeConfiguration({}, 'other-volume')],
      message: NO_MATCHING_VOLUME_MESSAGE,
    },
    {
      why: 'no name',
      configurations: [{ managedEBSVolume: volumeConfiguration().managedEBSVolume }],
      message: NO_MATCHING_VOLUME_MESSAGE,
    },
    {
      why: 'no roleArn (required)',
      configurations: [volumeConfiguration({ roleArn: undefined })],
      message: /roleArn/,
    },
    {
      why: 'neither a size nor a snapshot',
      configurations: [volumeConfiguration({ sizeInGiB: undefined })],
      message: 'You must specify either a volume size or a snapshot ID.',
    },
    {
      why: 'gp3 below 1 GiB',
      configurations: [volumeConfiguration({ sizeInGiB: 0 })],
      message: /between 1 and 16384/,
    },
    {
      why: 'gp3 above 16,384 GiB',
      configurations: [volumeConfiguration({ sizeInGiB: 16_385 })],
      message: /between 1 and 16384/,
    },
    {
      why: 'a fractional size',
      configurations: [volumeConfiguration({ sizeInGiB: 1.5 })],
      message: /between 1 and/,
    },
    {
      why: 'io1 below 4 GiB',
      configurations: [volumeConfiguration({ volumeType: 'io1', iops: 3000, sizeInGiB: 3 })],
      message: /io1 volume must be between 4 and 16384/,
    },
    {
      why: 'st1 below 125 GiB',
      configurations: [volumeConfiguration({ volumeType: 'st1', sizeInGiB: 124 })],
      message: /st1 volume must be between 125 and 16384/,
    },
    {
      why: 'io2 without iops',
      configurations: [volumeConfiguration({ volumeType: 'io2', sizeInGiB: 20 })],
      message: /iops is required for io2/,
    },
    {
      why: 'the magnetic volume type',
      configurations: [volumeConfiguration({ volumeType: 'standard' })],
      message: 'The magnetic volume type is not supported on Fargate.',
    },
    {
      why: 'an unknown volume type',
      configurations: [volumeConfiguration({ volumeType: 'gp9' })],
      message: /volumeType/,
    },
    {
      why: 'a filesystem type Linux tasks do not have',
      configurations: [volumeConfiguration({ filesystemType: 'ntfs' })],
      message: /filesystemType/,
    },
    {
      why: 'a tag specification for another resource type',
      configurations: [volumeConfiguration({ tagSpecifications: [{ resourceType: 'snapshot', tags: [] }] })],
      message: /resourceType/,
    },
    {
      why: 'a reserved tag',
      configurations: [
        volumeConfiguration({
          tagSpecifications: [{ resourceType: 'volume', tags: [{ key: 'AmazonECSManaged', value: 'x' }] }],
        }),
      ],
      message: /AmazonECSManaged/,
    },
    {
      why: 'a size that is not a number',
      configurations: [volumeConfiguration({ sizeInGiB: '20' })],
      code: 'SerializationException',
      message: /sizeInGiB/,
    },
  ])('refuses $why', ({ configurations, code, message }) => {
    const harness = open();
    const error = thrown(() => harness.ecs.runTask(runTaskRequest({ volumeConfigurations: configurations })));
    expect(error.code).toBe(code ?? 'InvalidParameterException');
    if (typeof message === 'string') expect(error.message).toBe(message);
    else expect(error.message).toMatch(message);
    expect(harness.stateChanges()).toEqual([]);
  });

  it('refuses any volume configuration for a task definition without a configuredAtLaunch volume', () => {
    const harness = open(CODEX);
    expect(
      thrown(() => harness.ecs.runTask(runTaskRequest({ volumeConfigurations: [volumeConfiguration()] }))),
    ).toMatchObject({
      code: 'InvalidParameterException',
      message: NO_MATCHING_VOLUME_MESSAGE,
    });
  });

  it('refuses a snapshot the EBS store cannot restore (missing or not completed)', () => {
    const harness = open();
    const pending = harness.volumes.addSnapshot({ 'a.txt': 'a' }, 'pending');
    for (const snapshotId of [pending, 'snap-0123456789abcdef0']) {
      expect(
        thrown(() =>
          harness.ecs.runTask(
            runTaskRequest({ volumeConfigurations: [volumeConfiguration({ snapshotId })] }),
          ),
        ),
      ).toMatchObject({ code: 'InvalidParameterException', message: expect.stringContaining(snapshotId) });
    }
  });

  it.each<{ why: string; configurations?: unknown[]; ebs: boolean }>([
    { why: 'the smallest gp3 volume', configurations: [volumeConfiguration({ sizeInGiB: 1 })], ebs: true },
    {
      why: 'the largest gp3 volume',
      configurations: [volumeConfiguration({ sizeInGiB: 16_384 })],
      ebs: true,
    },
    {
      why: 'io1 at its 4 GiB floor',
      configurations: [volumeConfiguration({ volumeType: 'io1', iops: 3000, sizeInGiB: 4 })],
      ebs: true,
    },
    {
      why: 'ECS defaults (no volume type, file system, encryption or policy)',
      configurations: [{ name: 'workspace-data', managedEBSVolume: { roleArn: ROLE_ARN, sizeInGiB: 5 } }],
      ebs: true,
    },
    { why: 'no volume configuration: an ephemeral task on the same task definition', ebs: false },
    { why: 'an empty list', configurations: [], ebs: false },
    {
      why: 'a volume configuration without managedEBSVolume',
      configurations: [{ name: 'workspace-data' }],
      ebs: false,
    },
  ])('accepts $why', ({ configurations, ebs }) => {
    const harness = open();
    const task = harness.ecs.runTask(
      runTaskRequest(configurations === undefined ? {} : { volumeConfigurations: configurations }),
    ).tasks[0] as { attachments: Array<{ type: string }> };
    expect(task.attachments.map((attachment) => attachment.type)).toEqual(
      ebs ? ['ElasticNetworkInterface', 'AmazonElasticBlockStorage'] : ['ElasticNetworkInterface'],
    );
  });

  it('accepts a snapshot without a size: the snapshot gives the size', () => {
    const harness = open();
    const snapshotId = harness.volumes.addSnapshot({ 'a.txt': 'a' });
    const answer = harness.ecs.runTask(
      runTaskRequest({ volumeConfigurations: [volumeConfiguration({ sizeInGiB: undefined, snapshotId })] }),
    );
    expect(answer.tasks).toHaveLength(1);
  });

  it('reports the volume as an AmazonElasticBlockStorage attachment in RunTask and DescribeTasks, deleteOnTermination true by default', () => {
    const harness = open();
    const kept = harness.ecs.runTask(runTaskRequest({ volumeConfigurations: [volumeConfiguration()] }))
      .tasks[0];
    const byDefault = harness.ecs.runTask(
      runTaskRequest({ volumeConfigurations: [volumeConfiguration({ terminationPolicy: undefined })] }),
    ).tasks[0];
    const expected = (deleteOnTermination: string) => ({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'AmazonElasticBlockStorage',
      status: 'PRECREATED',
      details: [
        { name: 'roleArn', value: ROLE_ARN },
        { name: 'volumeName', value: 'workspace-data' },
        { name: 'deleteOnTermination', value: deleteOnTermination },
      ],
    });
    expect((kept as { attachments: unknown[] }).attachments[1]).toEqual(expected('false'));
    expect((byDefault as { attachments: unknown[] }).attachments[1]).toEqual(expected('true'));
    const described = harness.ecs.describeTasks({
      cluster: 'workspaces',
      tasks: [kept?.taskArn, byDefault?.taskArn],
    }).tasks as Array<{ attachments: unknown[] }>;
    expect(described.map((task) => task.attachments[1])).toEqual([expected('false'), expected('true')]);
  });

  it('counts the volume configuration in the clientToken request hash', () => {
    const harness = open();
    const first = harness.ecs.runTask(
      runTaskRequest({ clientToken: 'token-1', volumeConfigurations: [volumeConfiguration()] }),
    );
    const again = harness.ecs.runTask(
      runTaskRequest({ clientToken: 'token-1', volumeConfigurations: [volumeConfiguration()] }),
    );
    expect(again.tasks.map((task) => task.taskArn)).toEqual(first.tasks.map((task) => task.taskArn));
    for (const other of [[volumeConfiguration({ sizeInGiB: 30 })], []]) {
      expect(
        thrown(() =>
          harness.ecs.runTask(runTaskRequest({ clientToken: 'token-1', volumeConfigurations: other })),
        ),
      ).toMatchObject({ code: 'ConflictException' });
    }
  });
});
